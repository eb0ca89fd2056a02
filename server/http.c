/* http.c — response helpers: JSON bodies, errors, bytes, and the security headers that
 * every response carries (no handler writes a status line by hand). */
#include <stdarg.h>
#include <stdlib.h>
#include <strings.h>
#include <stdio.h>
#include <string.h>
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

void http_send_bytes(struct mg_connection *conn, int status, const char *mime,
		     const void *data, size_t len, const char *cache_control)
{
	char clen[32];
	snprintf(clen, sizeof clen, "%zu", len);
	mg_response_header_start(conn, status);
	mg_response_header_add(conn, "Content-Type", mime, -1);
	mg_response_header_add(conn, "Content-Length", clen, -1);
	mg_response_header_add(conn, "Cache-Control", cache_control ? cache_control : "no-store",
			       -1);
	for (size_t i = 0; i < sizeof security_headers / sizeof *security_headers; i++)
		mg_response_header_add(conn, security_headers[i][0], security_headers[i][1], -1);
	if (mg_get_request_info(conn)->is_ssl)
		mg_response_header_add(conn, "Strict-Transport-Security", "max-age=31536000", -1);
	if (status == 429)
		mg_response_header_add(conn, "Retry-After", "1", -1);
	mg_response_header_send(conn);
	if (len && strcmp(mg_get_request_info(conn)->request_method, "HEAD") != 0)
		mg_write(conn, data, len);
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
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "error", msg);
	http_send_json(conn, status, o);
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
