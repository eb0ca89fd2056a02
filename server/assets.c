/* assets.c — serves the embedded web assets: pages by route (/, /runs/<id>, /compare, /record
 * and its downloads under /record/) and files
 * under /static/. Nothing is read from disk (a run page's verdict is read from the run,
 * run_page.c); unknown paths get the HTML "page not found" page
 * with status 404 (the JSON 404 is for /api/ only, see routes.c). Pages and plain /static/
 * names are revalidated on every use (no-cache); the content-hashed names the pages refer
 * to (web/embed.c) never change meaning, so they are cached for a year, immutable. */
#include <string.h>
#include "api_params.h"
#include "assets.h"
#include "server.h"

#define CACHE_IMMUTABLE "public, max-age=31536000, immutable"

/* The asset at url (its plain or hashed name); *hashed says which matched. */
static const struct asset *lookup_named(const char *url, int *hashed)
{
	for (const struct asset *a = assets; a->url; a++) {
		if (strcmp(a->url, url) == 0)
			return a;
		if (a->hashed && strcmp(a->hashed, url) == 0) {
			*hashed = 1;
			return a;
		}
	}
	return NULL;
}

static const struct asset *lookup(const char *url)
{
	int hashed = 0;
	return lookup_named(url, &hashed);
}

int assets_handle(struct mg_connection *conn, void *cbdata)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	const char *uri = ri->local_uri;
	const struct asset *a = NULL;
	const char *cache = "no-cache";
	int hashed = 0;

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
		a = lookup_named(uri, &hashed);
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
	if (strncmp(uri, "/runs/", 6) == 0) { /* its verdict in the HTML (run_page.c) */
		run_page_send(conn, a, uri + 6, cache);
		return 200;
	}
	http_send_page(conn, 200, a->mime, a->data, a->len, hashed ? CACHE_IMMUTABLE : cache,
		       a->style_src);
	return 200;
}
