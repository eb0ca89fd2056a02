/* http.c — response helpers: JSON bodies, errors, bytes, and the security headers that
 * every response carries (no handler writes a status line by hand). */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <strings.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "api.h"
#include "db.h"
#include "server.h"

/* How long a refused request's body may still be discarded before the connection is cut:
 * long enough for a small body already in flight, short against a trickle or a flood. */
#define HTTP_REFUSED_IDLE_MS 100
#define HTTP_REFUSED_DRAIN_MS 500

static const char *const security_headers[][2] = {
	{"Content-Security-Policy",
	 "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
	 "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
	 "frame-ancestors 'none'"},
	{"X-Content-Type-Options", "nosniff"},
	{"Referrer-Policy", "no-referrer"},
	{"X-Frame-Options", "DENY"},
	{"Cross-Origin-Opener-Policy", "same-origin"},
	{"Cross-Origin-Resource-Policy", "same-origin"},
};

void http_send_bytes(struct mg_connection *conn, int status, const char *mime,
		     const void *data, size_t len, const char *cache_control)
{
	enum { NSEC = sizeof security_headers / sizeof *security_headers };
	const char *h[NSEC + 6][2];
	size_t n = 0;
	char clen[32];
	snprintf(clen, sizeof clen, "%zu", len);
	h[n][0] = "Content-Type", h[n++][1] = mime;
	h[n][0] = "Content-Length", h[n++][1] = clen;
	h[n][0] = "Cache-Control", h[n++][1] = cache_control ? cache_control : "no-store";
	for (size_t i = 0; i < NSEC; i++)
		h[n][0] = security_headers[i][0], h[n++][1] = security_headers[i][1];
	if (mg_get_request_info(conn)->is_ssl)
		h[n][0] = "Strict-Transport-Security", h[n++][1] = "max-age=31536000";
	if (status == 429)
		h[n][0] = "Retry-After", h[n++][1] = "1";
	if (mg_response_header_start(conn, status) == 0) {
		for (size_t i = 0; i < n; i++)
			mg_response_header_add(conn, h[i][0], h[i][1], -1);
		mg_response_header_send(conn);
	} else {
		/* Something was written already (the interim "100 Continue" of an upload, see
		 * http_send_continue): civetweb then refuses to start headers, so the status
		 * line and the same headers are written here. */
		mg_printf(conn, "HTTP/1.1 %d %s\r\n", status, mg_get_response_code_text(conn, status));
		for (size_t i = 0; i < n; i++)
			mg_printf(conn, "%s: %s\r\n", h[i][0], h[i][1]);
		mg_printf(conn, "Connection: close\r\n\r\n");
	}
	const struct mg_request_info *ri = mg_get_request_info(conn);
	if (len && !(ri->request_method && strcmp(ri->request_method, "HEAD") == 0))
		mg_write(conn, data, len);
	/* A refused request's body is never read: civetweb would otherwise drain it (a
	 * trickling client then holds the thread for as long as it likes). */
	if (status >= 400 && (ri->content_length > 0 || mg_get_header(conn, "Transfer-Encoding")))
		guard_close_refused(&((struct server_ctx *)mg_get_user_data(mg_get_context(conn)))->guard,
				    conn, HTTP_REFUSED_IDLE_MS, HTTP_REFUSED_DRAIN_MS);
}

void http_send_raw(int fd, int status, const char *reason, const char *extra, const char *json)
{
	char out[2048];
	size_t blen = json ? strlen(json) : 0;
	int n = snprintf(out, sizeof out, "HTTP/1.1 %d %s\r\n", status, reason);
	for (size_t i = 0; i < sizeof security_headers / sizeof *security_headers && n > 0; i++)
		n += snprintf(out + n, sizeof out - (size_t)n, "%s: %s\r\n", security_headers[i][0],
			      security_headers[i][1]);
	if (n > 0 && (size_t)n < sizeof out && extra)
		n += snprintf(out + n, sizeof out - (size_t)n, "%s\r\n", extra);
	if (n > 0 && (size_t)n < sizeof out && json) /* a 204 has no body headers */
		n += snprintf(out + n, sizeof out - (size_t)n,
			      "Content-Type: application/json; charset=utf-8\r\n"
			      "Content-Length: %zu\r\n", blen);
	if (n > 0 && (size_t)n < sizeof out)
		n += snprintf(out + n, sizeof out - (size_t)n,
			      "Cache-Control: no-store\r\nConnection: close\r\n\r\n%s", json ? json : "");
	if (n > 0 && (size_t)n < sizeof out)
		(void)!send(fd, out, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
}

void http_send_continue(struct mg_connection *conn)
{
	const char *expect = mg_get_header(conn, "Expect");
	if (expect && strcasecmp(expect, "100-continue") == 0)
		mg_printf(conn, "HTTP/1.1 100 Continue\r\n\r\n");
}

void http_send_json(struct mg_connection *conn, int status, cJSON *body)
{
	char *text = body ? cJSON_PrintUnformatted(body) : NULL;
	cJSON_Delete(body);
	if (!text) {
		static const char oom[] = "{\"error\":\"out of memory\"}";
		http_send_bytes(conn, 500, "application/json", oom, sizeof oom - 1, NULL);
		return;
	}
	http_send_bytes(conn, status, "application/json; charset=utf-8", text, strlen(text), NULL);
	cJSON_free(text);
}

void http_send_error(struct mg_connection *conn, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	http_send_json(conn, status, api_error("%s", msg));
}

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

const char *http_client_token(struct mg_connection *conn)
{
	const char *t = mg_get_header(conn, "X-Edit-Token");
	const char *a = mg_get_header(conn, "Authorization");
	if (t)
		return t;
	if (a && strncasecmp(a, "Bearer ", 7) == 0)
		return a + 7;
	return NULL;
}

char *http_read_body(struct mg_connection *conn, size_t max, size_t *len, int *status)
{
	long long declared = mg_get_request_info(conn)->content_length;
	size_t cap = declared > 0 && (size_t)declared <= max ? (size_t)declared + 1 : 4096;
	size_t n = 0;
	char *buf;
	if (declared > 0 && (size_t)declared > max) {
		*status = 413;
		return NULL;
	}
	buf = malloc(cap);
	for (;;) {
		if (!buf) {
			*status = 500;
			return NULL;
		}
		if (n + 1 >= cap) {
			if (cap > max) {
				free(buf);
				*status = 413;
				return NULL;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				free(buf);
			buf = nb;
			cap *= 2;
			continue;
		}
		int r = mg_read(conn, buf + n, cap - n - 1);
		if (r < 0) {
			free(buf);
			*status = 400;
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			free(buf);
			*status = 413;
			return NULL;
		}
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

int http_access_allowed(struct mg_connection *conn, const struct server_config *cfg)
{
	const char *t = mg_get_header(conn, "X-Auth-Token");
	const char *a = mg_get_header(conn, "Authorization");
	if (!cfg->auth_token || !*cfg->auth_token)
		return 1;
	if (!t && a && strncasecmp(a, "Bearer ", 7) == 0)
		t = a + 7;
	if (!t)
		return 0;
	return db_token_equal(t, cfg->auth_token) ||
	       (cfg->admin_token && *cfg->admin_token && db_token_equal(t, cfg->admin_token));
}
