/* api_findings.c — GET /api/runs/{id}/findings: the run's stored findings document (the
 * verdict sentence, then ranked findings with their numbers and links), computed on first
 * request and kept, so every share link shows the same verdict. */
#include "api.h"
#include "api_params.h"
#include "db.h"
#include "find.h"

int api_run_findings(sqlite3 *db, const char *run_id, const struct api_request *rq, cJSON **out)
{
	struct db_run r;
	char err[256];
	cJSON *doc = NULL;
	(void)rq;
	int st = api_find_run(db, run_id, &r, out);
	if (st)
		return st;
	int rc = find_get(db, r.id, &doc, err, sizeof err);
	db_run_clear(&r);
	if (rc != 0) {
		*out = api_error("cannot compute findings: %s", err);
		return 500;
	}
	*out = doc;
	return 200;
}
