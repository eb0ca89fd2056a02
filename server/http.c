/* http.c — response helpers: JSON bodies, errors, bytes, and the security headers that
 * every response carries (no handler writes a status line by hand). */
#include <stdarg.h>
#include <stdlib.h>
#include <strings.h>
#include <stdio.h>
#include <string.h>
#include "api.h"
#include "db.h"
#include "server.h"

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

/* disposition: a Content-Disposition value, or NULL */
static void send_bytes(struct mg_connection *conn, int status, const char *mime,
		       const void *data, size_t len, const char *cache_control,
		       const char *disposition)
{
	enum { NSEC = sizeof security_headers / sizeof *security_headers };
	const char *h[NSEC + 7][2];
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
	if (disposition)
		h[n][0] = "Content-Disposition", h[n++][1] = disposition;
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
	if (len && strcmp(mg_get_request_info(conn)->request_method, "HEAD") != 0)
		mg_write(conn, data, len);
}

void http_send_bytes(struct mg_connection *conn, int status, const char *mime,
		     const void *data, size_t len, const char *cache_control)
{
	send_bytes(conn, status, mime, data, len, cache_control, NULL);
}

void http_send_download(struct mg_connection *conn, const char *mime, const void *data,
			size_t len, const char *filename)
{
	char disp[300];
	/* the name is ours (run id + suffix): no quoting needed beyond the quotes */
	snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", filename);
	send_bytes(conn, 200, mime, data, len, NULL, disp);
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

/* "http://host:port" must equal "http://" + Host for a cross-origin check to pass. */
int http_same_origin(struct mg_connection *conn)
{
	const char *origin = mg_get_header(conn, "Origin");
	const char *host = mg_get_header(conn, "Host");
	const char *p;
	if (!origin)
		return 1; /* not a browser cross-site request (curl, scripts) */
	if (!host)
		return 0;
	p = strstr(origin, "://");
	return p && strcmp(p + 3, host) == 0;
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
