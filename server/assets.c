/* assets.c — serves the embedded web assets: pages by route (/, /runs/<id>, /compare, /record
 * and its downloads under /record/) and files
 * under /static/. Nothing is read from disk; unknown paths get the HTML "page not found" page
 * with status 404 (the JSON 404 is for /api/ only, see routes.c). */
#include <string.h>
#include "api_params.h"
#include "assets.h"
#include "server.h"

static const struct asset *lookup(const char *url)
{
	for (const struct asset *a = assets; a->url; a++)
		if (strcmp(a->url, url) == 0)
			return a;
	return NULL;
}

int assets_handle(struct mg_connection *conn, void *cbdata)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	const char *uri = ri->local_uri;
	const struct asset *a = NULL;
	const char *cache = "no-cache";

	if (strcmp(ri->request_method, "GET") != 0 && strcmp(ri->request_method, "HEAD") != 0) {
		http_send_error(conn, 405, "method not allowed here (use GET)");
		return 405;
	}
	if (strcmp(uri, "/") == 0 || strcmp(uri, "/index.html") == 0)
		a = lookup("/");
	else if (strncmp(uri, "/runs/", 6) == 0 && api_valid_run_id(uri + 6))
		a = lookup("/run");
	else if (strcmp(uri, "/compare") == 0)
		a = lookup("/compare");
	else if (strcmp(uri, "/record") == 0 || strncmp(uri, "/record/", 8) == 0)
		a = lookup(uri); /* the recording page, its WPR profile and script */
	else if (strncmp(uri, "/static/", 8) == 0)
		a = lookup(uri);
	else if (strcmp(uri, "/favicon.ico") == 0)
		a = lookup("/static/favicon.svg");
	if (!a && ri->local_uri_raw && strncmp(ri->local_uri_raw, "/api/", 5) == 0) {
		/* an /api/ URL that cleaned to a page path ("/api/runs/../../x"): a program asked */
		http_send_error(conn, 404, "not found");
		return 404;
	}
	if (!a) {
		a = lookup("/404");
		http_send_bytes(conn, 404, a->mime, a->data, a->len, cache);
		return 404;
	}
	http_send_bytes(conn, 200, a->mime, a->data, a->len, cache);
	return 200;
}
