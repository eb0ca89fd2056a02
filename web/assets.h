/* assets.h — files embedded at build time by web/embed.c: the web assets (assets_gen.c)
 * and the demo scenarios (server's demo_gen.c). */
#ifndef ETLSCOPE_ASSETS_H
#define ETLSCOPE_ASSETS_H

#include <stddef.h>

struct asset {
	const char *url;  /* e.g. "/static/app.js" */
	const char *mime;
	const unsigned char *data;
	size_t len;
	const char *hashed; /* "/static/app.<content hash>.js": cached for good; NULL for pages */
	const char *style_src; /* "'sha256-<base64>'": the CSP source of the page's inline
				  style sheet (web/embed.c); NULL when it has none */
};

extern const struct asset assets[];         /* web pages and scripts; url == NULL ends it */
extern const struct asset demo_scenarios[]; /* demo/scenarios/NAME.json, by NAME */
extern const struct asset stacktags_default[]; /* kb/default.stacktags (api) */

#endif
