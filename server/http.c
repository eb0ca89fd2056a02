/* http.c — response helpers: JSON bodies, errors, bytes, and the security headers that
 * every response carries (no handler writes a status line by hand). */
#include <stdarg.h>
#include <stdlib.h>
#include <strings.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "api.h"
#include "db.h"
#include "server.h"

/* How long a refused request's body may still be discarded before the connection is cut:
 * long enough for a small body already in flight, short against a trickle or a flood. */
#define HTTP_REFUSED_IDLE_MS 100
#define HTTP_REFUSED_DRAIN_MS 500

/* The Content-Security-Policy, in two parts around the end of style-src, where a page with
 * an inline style sheet adds the one source that allows it (http_send_page). */
#define CSP_HEAD "default-src 'none'; script-src 'self'; style-src 'self'"
#define CSP_TAIL "; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; " \
		 "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

static const char *const security_headers[][2] = {
	{"Content-Security-Policy", CSP_HEAD CSP_TAIL},
	{"X-Content-Type-Options", "nosniff"},
	{"Referrer-Policy", "no-referrer"},
	{"X-Frame-Options", "DENY"},
	{"Cross-Origin-Opener-Policy", "same-origin"},
	{"Cross-Origin-Resource-Policy", "same-origin"},
};

/* A refused request's body is never read: civetweb would otherwise drain it (a trickling
 * client then holds the thread for as long as it likes). */
static int is_refused(struct mg_connection *conn, int status)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	return status >= 400 && (ri->content_length > 0 || mg_get_header(conn, "Transfer-Encoding"));
}

/* One response: etag (an ETag value), disposition (a Content-Disposition value) and
 * style_src (one more style-src source, e.g. "'sha256-…'") may be NULL. */
static void send_head(struct mg_connection *conn, int status, const char *mime, size_t len,
		      const char *cache_control, const char *etag, const char *disposition,
		      const char *style_src)
{
	enum { NSEC = sizeof security_headers / sizeof *security_headers };
	const char *h[NSEC + 8][2];
	size_t n = 0;
	char clen[32], keep[32];
	struct server_ctx *s = mg_get_user_data(mg_get_context(conn));
	const struct mg_request_info *ri = mg_get_request_info(conn);
	int refused = is_refused(conn, status);
	/* Keep the connection for the next request only while that cannot starve others
	 * (limits_keep_alive), saying for how long so that clients let go of it first. */
	if (refused || !limits_keep_alive(&s->limits, ri->remote_addr)) {
		mg_disable_connection_keep_alive(conn);
	} else {
		snprintf(keep, sizeof keep, "timeout=%d", s->keep_alive_ms / 1000);
		h[n][0] = "Keep-Alive", h[n++][1] = keep;
	}
	snprintf(clen, sizeof clen, "%zu", len);
	h[n][0] = "Content-Type", h[n++][1] = mime;
	if (status != 304) /* a 304's length would be the 200's, not of its empty body */
		h[n][0] = "Content-Length", h[n++][1] = clen;
	h[n][0] = "Cache-Control", h[n++][1] = cache_control ? cache_control : "no-store";
	if (etag)
		h[n][0] = "ETag", h[n++][1] = etag;
	char csp[sizeof CSP_HEAD CSP_TAIL + 128]; /* a sha256 source is 53 bytes */
	int own_csp = style_src && strlen(style_src) < 120 &&
		      snprintf(csp, sizeof csp, CSP_HEAD " %s" CSP_TAIL, style_src) > 0;
	for (size_t i = 0; i < NSEC; i++) /* security_headers[0] is the CSP */
		h[n][0] = security_headers[i][0],
		h[n++][1] = i == 0 && own_csp ? csp : security_headers[i][1];
	if (ri->is_ssl)
		h[n][0] = "Strict-Transport-Security", h[n++][1] = "max-age=31536000";
	if (status == 429)
		h[n][0] = "Retry-After", h[n++][1] = "1";
	if (disposition)
		h[n][0] = "Content-Disposition", h[n++][1] = disposition;
	if (mg_response_header_start(conn, status) == 0) {
		for (size_t i = 0; i < n; i++)
			mg_response_header_add(conn, h[i][0], h[i][1], -1);
		mg_response_header_send(conn);
	} else {
		/* Something was written already (the interim "100 Continue" of an upload, see
		 * http_send_continue): civetweb then refuses to start headers, so the status
		 * line and the same headers are written here, and the connection closed. */
		mg_disable_connection_keep_alive(conn);
		mg_printf(conn, "HTTP/1.1 %d %s\r\n", status, mg_get_response_code_text(conn, status));
		for (size_t i = 0; i < n; i++)
			if (strcmp(h[i][0], "Keep-Alive") != 0)
				mg_printf(conn, "%s: %s\r\n", h[i][0], h[i][1]);
		mg_printf(conn, "Connection: close\r\n\r\n");
	}
}

static int is_head(struct mg_connection *conn)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	return ri->request_method && strcmp(ri->request_method, "HEAD") == 0;
}

static void send_full(struct mg_connection *conn, int status, const char *mime,
		      const void *data, size_t len, const char *cache_control, const char *etag,
		      const char *disposition, const char *style_src)
{
	send_head(conn, status, mime, len, cache_control, etag, disposition, style_src);
	if (len && !is_head(conn))
		mg_write(conn, data, len);
	if (is_refused(conn, status))
		guard_close_refused(&((struct server_ctx *)mg_get_user_data(mg_get_context(conn)))->guard,
				    conn, HTTP_REFUSED_IDLE_MS, HTTP_REFUSED_DRAIN_MS);
}

void http_send_tagged(struct mg_connection *conn, int status, const char *mime,
		      const void *data, size_t len, const char *cache_control, const char *etag)
{
	send_full(conn, status, mime, data, len, cache_control, etag, NULL, NULL);
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

void http_send_bytes(struct mg_connection *conn, int status, const char *mime,
		     const void *data, size_t len, const char *cache_control)
{
	send_full(conn, status, mime, data, len, cache_control, NULL, NULL, NULL);
}

void http_send_page(struct mg_connection *conn, int status, const char *mime,
		    const void *data, size_t len, const char *cache_control, const char *style_src)
{
	send_full(conn, status, mime, data, len, cache_control, NULL, NULL, style_src);
}

void http_send_download(struct mg_connection *conn, const char *mime, const void *data,
			size_t len, const char *filename)
{
	char disp[300];
	/* the name is ours (run id + suffix): no quoting needed beyond the quotes */
	snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", filename);
	send_full(conn, 200, mime, data, len, NULL, NULL, disp, NULL);
}

int http_send_file(struct mg_connection *conn, int fd, int64_t size, const char *mime,
		   const char *filename)
{
	enum { CHUNK = 256 * 1024 };
	char disp[300], *buf = malloc(CHUNK);
	if (!buf)
		return -1;
	snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", filename);
	send_head(conn, 200, mime, (size_t)size, NULL, NULL, disp, NULL);
	int64_t left = is_head(conn) ? 0 : size;
	while (left > 0) {
		ssize_t n = read(fd, buf, left < CHUNK ? (size_t)left : CHUNK);
		if (n <= 0 || mg_write(conn, buf, (size_t)n) <= 0) {
			/* the length said more: the client sees a cut download, and the
			 * connection must not carry another response after it */
			mg_disable_connection_keep_alive(conn);
			break;
		}
		left -= n;
	}
	free(buf);
	return left == 0 ? 0 : -1;
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
