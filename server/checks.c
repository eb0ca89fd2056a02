/* checks.c — request checks made before any handler work (begin_request, and the
 * handlers that change state): the Host is one of this server's names (DNS rebinding),
 * the Origin is exactly this server's (scheme, host and port), and Content-Length is
 * unambiguous (request smuggling). */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "server.h"

static struct server_ctx *ctx_of(struct mg_connection *conn)
{
	return mg_get_user_data(mg_get_context(conn));
}

/* The host part of a Host header ("name:port", "[v6]:port"), lowercased; -1 if malformed. */
static int host_name(const char *host, char *out, size_t outlen)
{
	size_t n;
	if (host[0] == '[') {
		const char *end = strchr(host, ']');
		if (!end)
			return -1;
		n = (size_t)(end - host) + 1;
	} else {
		const char *colon = strchr(host, ':');
		n = colon ? (size_t)(colon - host) : strlen(host);
	}
	if (n == 0 || n >= outlen)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)host[i];
		if (!(isalnum(c) || c == '.' || c == '-' || c == '[' || c == ']' || c == ':'))
			return -1;
		out[i] = (char)tolower(c);
	}
	out[n] = '\0';
	return 0;
}

static int is_ip_literal(const char *name)
{
	unsigned char a[16];
	char v6[64];
	size_t n = strlen(name);
	if (inet_pton(AF_INET, name, a) == 1)
		return 1;
	if (n < 3 || n - 2 >= sizeof v6 || name[0] != '[' || name[n - 1] != ']')
		return 0;
	memcpy(v6, name + 1, n - 2);
	v6[n - 2] = '\0';
	return inet_pton(AF_INET6, v6, a) == 1;
}

int http_host_allowed(struct mg_connection *conn)
{
	const struct server_origin *o = &ctx_of(conn)->self;
	const char *host = mg_get_header(conn, "Host");
	const char *version = mg_get_request_info(conn)->http_version;
	char name[256];
	if (!host) /* HTTP/1.0 clients may omit it; HTTP/1.1 requires it */
		return version && strcmp(version, "1.0") == 0;
	if (host_name(host, name, sizeof name) != 0)
		return 0;
	if (o->public_host[0] && strcmp(name, o->public_host) == 0)
		return 1;
	if (o->listen_host[0])
		return strcmp(name, o->listen_host) == 0 ||
		       (o->loopback && strcmp(name, "localhost") == 0);
	/* All addresses: any IP literal (DNS rebinding needs a name) and localhost. */
	return is_ip_literal(name) || strcmp(name, "localhost") == 0;
}

/* The Origin must be this server's: --public-url's origin, or scheme://Host as this
 * connection reached us directly (Host has been checked by http_host_allowed). */
int http_same_origin(struct mg_connection *conn)
{
	const struct server_origin *o = &ctx_of(conn)->self;
	const char *origin = mg_get_header(conn, "Origin");
	const char *host = mg_get_header(conn, "Host");
	char own[300];
	if (!origin)
		return 1; /* not a browser cross-site request (curl, scripts) */
	char name[256];
	if (o->public_origin[0] && strcasecmp(origin, o->public_origin) == 0)
		return 1;
	if (!host || host_name(host, name, sizeof name) != 0)
		return 0;
	/* Reached by the public name: only the public origin (a TLS proxy in front). */
	if (o->public_host[0] && strcmp(name, o->public_host) == 0)
		return 0;
	snprintf(own, sizeof own, "%s://%s", mg_get_request_info(conn)->is_ssl ? "https" : "http",
		 host);
	return strcasecmp(origin, own) == 0;
}

int http_origin_init(struct server_origin *o, const char *url, const char *listen)
{
	const char *colon = strrchr(listen, ':');
	size_t n = colon ? (size_t)(colon - listen) : 0;
	memset(o, 0, sizeof *o);
	if (n >= sizeof o->listen_host)
		return -1;
	memcpy(o->listen_host, listen, n);
	o->listen_host[n] = '\0';
	if (strcmp(o->listen_host, "0.0.0.0") == 0 || strcmp(o->listen_host, "[::]") == 0)
		o->listen_host[0] = '\0';
	for (char *p = o->listen_host; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	o->loopback = strncmp(o->listen_host, "127.", 4) == 0 || strcmp(o->listen_host, "[::1]") == 0 ||
		      strcmp(o->listen_host, "localhost") == 0;
	if (!url)
		return 0;
	/* scheme://authority[/path]: the origin is scheme://authority, without a default port. */
	const char *sep = strstr(url, "://");
	int https = strncasecmp(url, "https://", 8) == 0;
	if (!sep || !(https || strncasecmp(url, "http://", 7) == 0))
		return -1;
	const char *auth = sep + 3;
	size_t alen = strcspn(auth, "/?#");
	char authority[280];
	if (alen == 0 || alen >= sizeof authority || memchr(auth, '@', alen))
		return -1;
	memcpy(authority, auth, alen);
	authority[alen] = '\0';
	if (host_name(authority, o->public_host, sizeof o->public_host) != 0)
		return -1;
	const char *port = authority + strlen(o->public_host);
	if (*port == ':') {
		char *end;
		long p = strtol(port + 1, &end, 10);
		if (*end || p <= 0 || p > 65535)
			return -1;
		if (p == (https ? 443 : 80))
			port = "";
	} else if (*port) {
		return -1;
	}
	snprintf(o->public_origin, sizeof o->public_origin, "%s://%s%s", https ? "https" : "http",
		 o->public_host, port);
	return 0;
}

int http_length_valid(struct mg_connection *conn)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	int lengths = 0, chunked = 0;
	for (int i = 0; i < ri->num_headers; i++) {
		const char *name = ri->http_headers[i].name, *v = ri->http_headers[i].value;
		if (strcasecmp(name, "Transfer-Encoding") == 0)
			chunked = 1;
		if (strcasecmp(name, "Content-Length") != 0)
			continue;
		if (++lengths > 1 || !v || !*v || strlen(v) > 18)
			return 0;
		for (const char *p = v; *p; p++)
			if (*p < '0' || *p > '9')
				return 0;
	}
	return !(lengths && chunked);
}
