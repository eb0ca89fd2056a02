/* assets.h — the embedded web assets (generated into assets_gen.c at build time). */
#ifndef ETLSCOPE_ASSETS_H
#define ETLSCOPE_ASSETS_H

#include <stddef.h>

struct asset {
	const char *url;  /* e.g. "/static/app.js" */
	const char *mime;
	const unsigned char *data;
	size_t len;
};

extern const struct asset assets[]; /* terminated by url == NULL */

#endif
