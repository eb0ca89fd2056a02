/* run_page.c — the run page (/runs/<id>) with its verdict already in the HTML: the stored
 * findings' verdict sentence, HTML-escaped, inside #verdict, and the findings panel shown,
 * so the verdict is on screen at the page's first paint, before any script has run
 * (issue 17: verdict ≤ 300 ms). The scripts then draw the findings from /findings as
 * before, the verdict included (panel_findings.js).
 *
 * Invariants:
 * - Only a stored findings document is used (find_stored), never one computed here: the
 *   HTML is not held back by the findings engine. A run without one (still ingesting,
 *   never asked), an unknown run, a run that cannot be opened, a missing marker in the
 *   embedded page, or no memory: the embedded page as it is, and the scripts draw the
 *   verdict as before. The page is never an error because of the verdict.
 * - Every byte taken from the run is escaped (& < > " '); the severity becomes part of a
 *   class name only when it is lower-case letters.
 * - Reads are public (the access token guards changes only, http_access_allowed), so the
 *   HTML shows nothing /api/runs/{id}/findings does not. */
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "api_params.h"
#include "assets.h"
#include "db_store.h"
#include "find.h"
#include "server.h"

/* The markers of web/run.html this file fills; tests/integration/run_page.test.mjs
 * fails when they are gone. */
static const char PANEL_TAG[] = "<section class=\"card\" id=\"findings-panel\" hidden>";
static const char PANEL_SHOWN[] = "<section class=\"card\" id=\"findings-panel\">";
static const char VERDICT_TAG[] = "<p id=\"verdict\" class=\"verdict\" role=\"status\">…</p>";

/* The page is built once into a buffer sized for it up front (escaping at most sixfold a
 * byte), so appending never grows it. */
struct buf {
	char *p;
	size_t len;
};

static void put(struct buf *b, const char *s, size_t n)
{
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void put_str(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put_escaped(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': put_str(b, "&amp;"); break;
		case '<': put_str(b, "&lt;"); break;
		case '>': put_str(b, "&gt;"); break;
		case '"': put_str(b, "&quot;"); break;
		case '\'': put_str(b, "&#39;"); break;
		default: put(b, s, 1);
		}
	}
}

static int lower_word(const char *s)
{
	if (!*s || strlen(s) > 16)
		return 0;
	for (; *s; s++)
		if (*s < 'a' || *s > 'z')
			return 0;
	return 1;
}

/* The stored verdict of run id: 0 with *sev and *sentence (in *doc, which the caller
 * deletes), 1 when there is none to show. */
static int stored_verdict(struct db_reader *rd, const char *id, cJSON **doc, const char **sev,
			  const char **sentence)
{
	char err[256];
	struct db_run r;
	cJSON *out = NULL;
	*doc = NULL;
	sqlite3 *db = rd ? db_run_open(rd, id, err, sizeof err) : NULL;
	if (!db)
		return 1;
	if (api_find_run(db, id, &r, &out) != 0) {
		cJSON_Delete(out);
		return 1;
	}
	int rc = find_stored(db, r.id, doc, err, sizeof err);
	db_run_clear(&r);
	if (rc != 0)
		return 1;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(*doc, "verdict");
	*sev = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "severity"));
	*sentence = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "sentence"));
	if (!*sev || !*sentence || !**sentence || !lower_word(*sev)) {
		cJSON_Delete(*doc);
		*doc = NULL;
		return 1;
	}
	return 0;
}

void run_page_send(struct mg_connection *conn, const struct asset *page, const char *id,
		   const char *cache_control)
{
	const char *html = (const char *)page->data, *end = html + page->len;
	const char *panel = memmem(html, page->len, PANEL_TAG, sizeof PANEL_TAG - 1);
	const char *verdict = panel ? memmem(panel, (size_t)(end - panel), VERDICT_TAG,
					     sizeof VERDICT_TAG - 1) : NULL;
	const char *sev, *sentence;
	cJSON *doc = NULL;
	if (!verdict ||
	    stored_verdict(mg_get_thread_pointer(conn), id, &doc, &sev, &sentence) != 0) {
		http_send_page(conn, 200, page->mime, page->data, page->len, cache_control,
			       page->style_src);
		return;
	}
	/* the page, the shown panel's tag, the verdict's markup (< 96 bytes), the severity
	 * and the sentence escaped (≤ 6 bytes each) */
	struct buf b = {malloc(page->len + sizeof PANEL_SHOWN + 96 + strlen(sev) +
			       6 * strlen(sentence)), 0};
	if (!b.p) {
		cJSON_Delete(doc);
		http_send_page(conn, 200, page->mime, page->data, page->len, cache_control,
			       page->style_src);
		return;
	}
	put(&b, html, (size_t)(panel - html));
	put_str(&b, PANEL_SHOWN);
	const char *after_panel = panel + sizeof PANEL_TAG - 1;
	put(&b, after_panel, (size_t)(verdict - after_panel));
	put_str(&b, "<p id=\"verdict\" class=\"verdict sev-");
	put_str(&b, sev);
	put_str(&b, "\" role=\"status\"><strong>");
	put_escaped(&b, sentence);
	put_str(&b, "</strong></p>");
	const char *rest = verdict + sizeof VERDICT_TAG - 1;
	put(&b, rest, (size_t)(end - rest));
	cJSON_Delete(doc);
	http_send_page(conn, 200, page->mime, b.p, b.len, cache_control, page->style_src);
	free(b.p);
}
