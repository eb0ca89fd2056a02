/* ssl_compat.c — a small "libssl.so" that civetweb loads instead of the system's.
 *
 * Debian's civetweb 1.15 loads libssl at run time by name and looks up the OpenSSL 1.1
 * function set, but bookworm ships OpenSSL 3, where SSL_get_peer_certificate is no longer
 * an exported function (it became a macro for SSL_get1_peer_certificate). civetweb then
 * calls a NULL pointer on the first TLS connection. This library re-exports the missing
 * name and depends on the real libssl.so.3, so every other lookup falls through to it.
 * The etlscope binary finds it first through its RPATH ($ORIGIN/tls). */
#include <openssl/ssl.h>

#undef SSL_get_peer_certificate
X509 *SSL_get_peer_certificate(const SSL *s);

X509 *SSL_get_peer_certificate(const SSL *s)
{
	return SSL_get1_peer_certificate(s);
}
