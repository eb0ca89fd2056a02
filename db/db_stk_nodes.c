/* db_stk_nodes.c — loading a run's stack nodes and frames into arrays (db_stk_nodes.h).
 * No temporary copy: the peak is the arrays themselves (8 bytes a node, 12 a frame). */
#include <stdlib.h>
#include <string.h>
#include "db_stk_nodes.h"

size_t db_stk_nodes_bytes(int64_t nn, int64_t nf)
{
	return (size_t)(nn + 1) * 2 * sizeof(int32_t) +
	       (size_t)(nf + 1) * (sizeof(int32_t) + sizeof(uint64_t));
}

int db_stk_nodes_count(sqlite3 *db, int64_t run_id, int64_t *nn, int64_t *nf)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "SELECT n_nodes, n_frames FROM stk_runs WHERE run_id=?", -1,
			       &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, run_id);
	int st = sqlite3_step(q), rc = st == SQLITE_ROW ? 0 : st == SQLITE_DONE ? 1 : -1;
	if (!rc) {
		*nn = sqlite3_column_int64(q, 0);
		*nf = sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);
	return rc;
}

size_t db_stk_nodes_size(const struct db_stk_nodes *n)
{
	return db_stk_nodes_bytes(n->nn, n->nf) + db_stk_nodes_slices_size(n);
}

void db_stk_nodes_clear(struct db_stk_nodes *n)
{
	db_stk_nodes_clear_slices(n);
	free(n->parent);
	free(n->frame);
	free(n->fmod);
	free(n->foff);
	memset(n, 0, sizeof *n);
}

/* Frames into fmod/foff: 0, 1 when an id is out of range, -1 on an SQL error */
static int load_frames(sqlite3 *db, int64_t run_id, struct db_stk_nodes *n)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "SELECT id, module_id, offset FROM stk_frames WHERE run_id=?",
			       -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, run_id);
	int st, rc = 0;
	while (!rc && (st = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);
		if (id < 1 || id > n->nf) {
			rc = 1;
			break;
		}
		n->fmod[id] = (int32_t)sqlite3_column_int64(q, 1);
		n->foff[id] = (uint64_t)sqlite3_column_int64(q, 2);
	}
	if (!rc && st != SQLITE_DONE)
		rc = -1;
	sqlite3_finalize(q);
	return rc;
}

/* Nodes into parent/frame, each checked against the frames read: 0, 1, -1 as above */
static int load_nodes(sqlite3 *db, int64_t run_id, struct db_stk_nodes *n)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "SELECT id, parent, frame FROM stk_nodes WHERE run_id=?", -1,
			       &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, run_id);
	int st, rc = 0;
	while (!rc && (st = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0), parent = sqlite3_column_int64(q, 1),
			f = sqlite3_column_int64(q, 2);
		if (id < 1 || id > n->nn || parent < 0 || parent > n->nn || f < 1 || f > n->nf ||
		    n->fmod[f] == -1 - INT32_MAX) {
			rc = 1;
			break;
		}
		n->frame[id] = (int32_t)f;
		n->parent[id] = (int32_t)parent;
	}
	if (!rc && st != SQLITE_DONE)
		rc = -1;
	sqlite3_finalize(q);
	for (int64_t i = 1; !rc && i <= n->nn; i++)
		if (n->frame[i] == -1) /* an id never stored: not dense */
			rc = 1;
	return rc;
}

int db_stk_nodes_load(sqlite3 *db, int64_t run_id, size_t max_bytes, struct db_stk_nodes *n)
{
	int64_t nn = 0, nf = 0;
	memset(n, 0, sizeof *n);
	int rc = db_stk_nodes_count(db, run_id, &nn, &nf);
	if (rc)
		return rc;
	/* ids are stored as int32 in the arrays */
	if (nn <= 0 || nf <= 0 || nn >= INT32_MAX || nf >= INT32_MAX ||
	    db_stk_nodes_bytes(nn, nf) > max_bytes)
		return 1;
	n->nn = nn;
	n->nf = nf;
	n->fmod = malloc((size_t)(nf + 1) * sizeof *n->fmod);
	n->foff = malloc((size_t)(nf + 1) * sizeof *n->foff);
	n->frame = malloc((size_t)(nn + 1) * sizeof *n->frame);
	n->parent = malloc((size_t)(nn + 1) * sizeof *n->parent);
	if (!n->fmod || !n->foff || !n->frame || !n->parent) {
		db_stk_nodes_clear(n);
		return -1;
	}
	/* not seen yet: a frame's module INT32_MIN (a stored one is ≥ -1), a node's frame -1 */
	for (int64_t i = 0; i <= nf; i++)
		n->fmod[i] = -1 - INT32_MAX;
	memset(n->frame, 0xff, (size_t)(nn + 1) * sizeof *n->frame);
	n->parent[0] = 0;
	n->frame[0] = 0;
	rc = load_frames(db, run_id, n);
	if (!rc)
		rc = load_nodes(db, run_id, n);
	if (rc)
		db_stk_nodes_clear(n);
	return rc;
}
