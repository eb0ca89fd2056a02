/* cache.c — HTTP revalidation of a run's JSON answers. A stored run never changes except
 * by PATCH (name, notes, expiry), the one-time storing of its findings and symbolisation,
 * so an answer is fixed by: the server process (a restart may bring new code: every tag changes),
 * the version of the run's file (every change after ingest writes a new one: db_store.h), the
 * driver knowledge base version, the run row's editable fields, its findings row, the state
 * of its symbols (a symbol job or a PDB upload names routines after ingest), and the URL
 * (path and query). cache_run_etag hashes exactly those into a strong ETag; a request
 * whose If-None-Match holds it gets 304 Not Modified without computing the answer.
 * The same tag keys the answers kept in memory (answers.h): a kept answer is sent for a tag
 * only if it was printed for that tag.
 * Invariants: a tag is only given to runs whose ingest finished (status ready or partial)
 * and that have not expired;
 * any change to what a run answer reads after ingest must be part of the hash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "answers.h"
#include "cache.h"
#include "db.h"
#include "kb.h"

_Static_assert(CACHE_ETAG_LEN <= ANSWERS_TAG_LEN, "answers.h keeps whole tags");

struct hash2 {
	uint64_t a, b;
};

/* Two FNV-1a 64 streams with different offset bases: 128 bits against accidental equality
 * (tags are not secrets, only identities of answers). A field ends with a 0 byte, so
 * ("ab","c") and ("a","bc") differ. */
static void mix(struct hash2 *h, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i <= n; i++) {
		unsigned c = i < n ? p[i] : 0;
		h->a = (h->a ^ c) * 0x100000001b3ULL;
		h->b = (h->b ^ c ^ 0x5a) * 0x100000001b3ULL;
	}
}

static void mix_str(struct hash2 *h, const char *s)
{
	mix(h, s ? s : "", s ? strlen(s) : 0);
}

static void mix_i64(struct hash2 *h, int64_t v)
{
	mix(h, &v, sizeof v);
}

static const char etag_sql[] =
	"SELECT r.id, r.created_us, r.name, r.notes, coalesce(r.expires_us, -1), r.status,"
	" coalesce(f.created_us, -1), coalesce(f.engine, -1), coalesce(f.kb_version, ''),"
	/* symbolisation names a run's routines, frames and syscalls after ingest (issue 14):
	 * every store of names rewrites its module's status and why, and why counts the names
	 * per source, so these two change whenever the names do (a count of etw_symbols rows
	 * would cost a scan of up to ~300 Ki rows per module here) */
	" coalesce((SELECT group_concat(module_id || ':' || status || ':' || why, ';')"
	"  FROM etw_module_symbols WHERE run_id = r.id), ''),"
	" 0"
	" FROM runs r LEFT JOIN run_findings f ON f.run_id = r.id WHERE r.public_id = ?1"
	/* an expired run answers 404 from then on (db_run_get), never a kept answer */
	" AND (r.expires_us IS NULL OR r.expires_us > ?2)";

int cache_run_etag(sqlite3 *db, int64_t epoch, int64_t version, const char *run_id,
		   const char *what, const char *query, char etag[CACHE_ETAG_LEN])
{
	struct hash2 h = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};
	/* kept on the connection (parsing it was a tenth of a kept answer's time) */
	sqlite3_stmt *st = db_kept_stmt(db, etag_sql);
	int rc = 1;
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, db_now_us());
	int s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(st, 5);
		if (status && (strcmp(status, "ready") == 0 || strcmp(status, "partial") == 0)) {
			mix_str(&h, ETLSCOPE_VERSION);
			mix_i64(&h, epoch);
			mix_i64(&h, version);
			mix_str(&h, kb_version());
			for (int c = 0; c < 11; c++)
				if (sqlite3_column_type(st, c) == SQLITE_INTEGER)
					mix_i64(&h, sqlite3_column_int64(st, c));
				else
					mix_str(&h, (const char *)sqlite3_column_text(st, c));
			mix_str(&h, what);
			mix_str(&h, query);
			snprintf(etag, CACHE_ETAG_LEN, "\"%016llx%016llx\"", (unsigned long long)h.a,
				 (unsigned long long)h.b);
			rc = 0;
		}
	} else if (s != SQLITE_DONE) {
		rc = -1;
	}
	db_kept_done(st);
	return rc;
}

/* If-None-Match: a comma-separated list of tags, compared weakly (RFC 9110 13.1.2: W/"x"
 * matches "x"). "*" is not honoured: the check runs before the path is known to exist. */
int cache_fresh(struct mg_connection *conn, const char *etag)
{
	const char *inm = mg_get_header(conn, "If-None-Match");
	size_t n = strlen(etag);
	if (!inm)
		return 0;
	for (const char *p = inm; *p;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' ' || p[n] == '\t'))
			return 1;
		while (*p && *p != ',')
			p++;
	}
	return 0;
}

void cache_send_json(struct mg_connection *conn, int status, cJSON *body, const char *etag,
		     struct answers *keep)
{
	char *text = body ? cJSON_PrintUnformatted(body) : NULL;
	cJSON_Delete(body);
	if (!text) {
		http_send_error(conn, 500, "out of memory");
		return;
	}
	size_t len = strlen(text);
	if (keep)
		answers_put(keep, etag, text, len);
	http_send_tagged(conn, status, "application/json; charset=utf-8", text, len,
			 CACHE_RUN_CONTROL, etag);
	cJSON_free(text);
}

int cache_send_kept(struct mg_connection *conn, struct answers *keep, const char *etag,
		    int *claimed)
{
	size_t len = 0;
	char *text = answers_get_or_claim(keep, etag, &len, claimed);
	if (!text)
		return 0;
	http_send_tagged(conn, 200, "application/json; charset=utf-8", text, len,
			 CACHE_RUN_CONTROL, etag);
	free(text);
	return 1;
}

void cache_send_not_modified(struct mg_connection *conn, const char *etag)
{
	http_send_tagged(conn, 304, "application/json; charset=utf-8", NULL, 0, CACHE_RUN_CONTROL,
			 etag);
}
