/* sym_http.c — a bounded download with libcurl: connect and total timeouts, a size cap
 * (checked against Content-Length and against the bytes as they arrive), http/https only,
 * progress reports that can cancel. No HTTP is written by hand. */
#include "sym_http.h"
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct sink {
	FILE *f;
	uint64_t got, max;
	int over, cancelled;
	const sym_opts *opts;
} sink;

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	sink *s = ctx;
	size_t len = size * n;
	if (s->got + len > s->max) {
		s->over = 1;
		return 0;
	}
	if (fwrite(p, 1, len, s->f) != len)
		return 0;
	s->got += len;
	return len;
}

static int on_progress(void *ctx, curl_off_t total, curl_off_t now, curl_off_t ut, curl_off_t un)
{
	sink *s = ctx;
	(void)ut;
	(void)un;
	if (s->opts->progress && s->opts->progress(s->opts->ctx, (uint64_t)now, (uint64_t)total)) {
		s->cancelled = 1;
		return 1;
	}
	return 0;
}

static void global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

sym_status sym_http_get(const char *url, const char *out, const sym_opts *opts, char *why,
			size_t whylen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, global_init);
	sink s = {.max = opts->max_download, .opts = opts};
	s.f = fopen(out, "wb");
	if (!s.f) {
		snprintf(why, whylen, "cannot write %s", out);
		return SYM_NET_ERROR;
	}
	CURL *c = curl_easy_init();
	if (!c) {
		fclose(s.f);
		snprintf(why, whylen, "libcurl failed to start");
		return SYM_NET_ERROR;
	}
	char cerr[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L); /* msdl.microsoft.com redirects to a CDN */
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, opts->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, opts->total_timeout_ms);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)opts->max_download);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "etlscope-symbols/1");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &s);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	CURLcode rc = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	int wrote = fclose(s.f) == 0;
	sym_status st = SYM_FOUND;
	if (s.over || rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(why, whylen, "larger than the %llu-byte download limit",
			 (unsigned long long)opts->max_download);
		st = SYM_TOO_LARGE;
	} else if (s.cancelled || rc == CURLE_ABORTED_BY_CALLBACK) {
		snprintf(why, whylen, "cancelled");
		st = SYM_CANCELLED;
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(why, whylen, "timed out (connect %ld ms, total %ld ms)",
			 opts->connect_timeout_ms, opts->total_timeout_ms);
		st = SYM_TIMEOUT;
	} else if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
		st = SYM_NET_ERROR;
	} else if (code == 404 || code == 410) {
		snprintf(why, whylen, "not found (HTTP %ld)", code);
		st = SYM_NOT_FOUND;
	} else if (code != 200) {
		snprintf(why, whylen, "HTTP %ld", code);
		st = SYM_NET_ERROR;
	} else if (!wrote) {
		snprintf(why, whylen, "cannot write %s", out);
		st = SYM_NET_ERROR;
	}
	if (st != SYM_FOUND)
		remove(out);
	return st;
}
