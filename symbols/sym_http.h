/* sym_http.h — one bounded HTTP(S) GET into a file, through libcurl (internal to sym_find). */
#ifndef SYM_HTTP_H
#define SYM_HTTP_H
#include "sym_find.h"

/* Downloads url into the file out (created/truncated). SYM_FOUND on HTTP 200 with the body
 * written; SYM_NOT_FOUND on 404/410; else the failure, with a sentence in why. The body is
 * bounded by opts->max_download; only http and https are followed (redirects included). */
sym_status sym_http_get(const char *url, const char *out, const sym_opts *opts, char *why,
			size_t whylen);
#endif
