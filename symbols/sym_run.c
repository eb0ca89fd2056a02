/* sym_run.c — names a stored run's DPC/ISR routines and stack frames from PDBs (sym_run.h).
 * One module at a time: its PDB is opened, its addresses looked up, the PDB closed, so memory
 * holds one PDB's table and one module's addresses (≤ DB_SYM_MAX_RVAS + DB_SYM_MAX_FRAMES) at
 * most. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_symbols.h"
#include "pdb.h"
#include "sym_run.h"

/* The modules to look at, copied out of the query (sym_find must not run inside it). */
struct want_list {
	struct db_sym_module *v;
	size_t n, cap;
	int32_t only;
	int oom;
};

static char *dup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	return d ? memcpy(d, s, n) : NULL;
}

static int collect(void *ud, const struct db_sym_module *m)
{
	struct want_list *w = ud;
	if (w->only >= 0 && m->id != w->only)
		return 0;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct db_sym_module *v = realloc(w->v, cap * sizeof *v);
		if (!v)
			return w->oom = 1;
		w->v = v;
		w->cap = cap;
	}
	struct db_sym_module c = *m;
	c.name = dup(m->name);
	c.pdb = dup(m->pdb);
	c.guid = dup(m->guid);
	c.status = NULL;
	w->v[w->n++] = c;
	if (!c.name || !c.pdb || !c.guid)
		return w->oom = 1;
	return 0;
}

static void want_list_clear(struct want_list *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free((char *)w->v[i].name);
		free((char *)w->v[i].pdb);
		free((char *)w->v[i].guid);
	}
	free(w->v);
	memset(w, 0, sizeof *w);
}

/* Merges two ascending arrays into a new ascending array without repeats (free()). */
static uint32_t *merge_unique(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
			      size_t *n)
{
	uint32_t *v = malloc((na + nb ? na + nb : 1) * sizeof *v);
	size_t i = 0, j = 0, k = 0;
	if (!v)
		return NULL;
	while (i < na || j < nb) {
		uint32_t x = j >= nb || (i < na && a[i] <= b[j]) ? a[i] : b[j];
		if (!k || v[k - 1] != x)
			v[k++] = x;
		i += i < na && a[i] == x;
		j += j < nb && b[j] == x;
	}
	*n = k;
	return v;
}

/* Names the module's DPC/ISR routines and stack frames from the PDB at path and stores
 * them. 0, or -1 with err. */
static int name_routines(sqlite3 *db, int64_t run_id, const struct db_sym_module *m,
			 const char *path, struct sym_run_stats *stats, char *err, size_t errlen)
{
	char perr[PDB_ERR_LEN], why[PDB_ERR_LEN + 256];
	pdb *p = pdb_open(path, perr, sizeof perr);
	if (!p) {
		snprintf(why, sizeof why, "the PDB found does not read: %s", perr);
		return db_sym_store(db, run_id, m->id, "not_found", why, NULL, 0, err, errlen);
	}
	uint32_t *routines = NULL, *frames = NULL, *rvas = NULL;
	size_t nr, nf, total_frames, n = 0, k = 0, kr = 0, kf = 0;
	struct db_sym_name *names = NULL;
	int rc = -1;
	if (db_sym_routines(db, run_id, m, &routines, &nr, err, errlen) != 0 ||
	    db_sym_frames(db, run_id, m->id, &frames, &nf, &total_frames, err, errlen) != 0)
		goto out;
	rvas = merge_unique(routines, nr, frames, nf, &n);
	names = calloc(n ? n : 1, sizeof *names);
	if (!rvas || !names) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0, ir = 0, jf = 0; i < n; i++) {
		const char *name;
		uint32_t off;
		int is_r = 0, is_f = 0;
		while (ir < nr && routines[ir] < rvas[i])
			ir++;
		while (jf < nf && frames[jf] < rvas[i])
			jf++;
		is_r = ir < nr && routines[ir] == rvas[i];
		is_f = jf < nf && frames[jf] == rvas[i];
		if (!pdb_lookup(p, rvas[i], &name, &off))
			continue;
		names[k++] = (struct db_sym_name){rvas[i], off, name};
		kr += is_r;
		kf += is_f;
	}
	int w = snprintf(why, sizeof why, "%zu of %zu DPC/ISR routine addresses and %zu of %zu stack "
			 "frame addresses named", kr, nr, kf, nf);
	if (total_frames > nf && w > 0 && (size_t)w < sizeof why)
		snprintf(why + w, sizeof why - (size_t)w, "; the stacks hold %zu distinct frames in this "
			 "module, only the first %zu by address were looked up (the rest show "
			 "module+offset)", total_frames, nf);
	rc = db_sym_store(db, run_id, m->id, "resolved", why, names, k, err, errlen);
	if (rc == 0) {
		stats->resolved++;
		stats->names += k;
	}
out:
	free(names);
	free(rvas);
	free(routines);
	free(frames);
	pdb_close(p);
	return rc;
}

/* Rewrites why in place: each occurrence of dir becomes "uploaded PDBs". */
static void hide_dir(char *why, size_t cap, const char *dir)
{
	static const char label[] = "uploaded PDBs";
	size_t dl = dir ? strlen(dir) : 0;
	char *at = why;
	if (!dl)
		return;
	while ((at = strstr(at, dir))) {
		size_t tail = strlen(at + dl) + 1;
		if ((size_t)(at - why) + sizeof label - 1 + tail > cap)
			return;
		memmove(at + sizeof label - 1, at + dl, tail);
		memcpy(at, label, sizeof label - 1);
		at += sizeof label - 1;
	}
}

int sym_run_resolve(sqlite3 *db, int64_t run_id, int32_t module_id, const sym_path *path,
		    const sym_opts *opts, struct sym_run_stats *stats, char *err, size_t errlen)
{
	return sym_run_resolve_hiding(db, run_id, module_id, path, opts, NULL, stats, err, errlen);
}

int sym_run_resolve_hiding(sqlite3 *db, int64_t run_id, int32_t module_id,
			   const sym_path *path, const sym_opts *opts, const char *private_dir,
			   struct sym_run_stats *stats, char *err, size_t errlen)
{
	struct want_list w = {.only = module_id};
	memset(stats, 0, sizeof *stats);
	if (db_sym_modules(db, run_id, collect, &w, err, errlen) != 0 || w.oom) {
		if (w.oom)
			snprintf(err, errlen, "out of memory");
		want_list_clear(&w);
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < w.n && rc == 0; i++) {
		const struct db_sym_module *m = &w.v[i];
		char keytext[48];
		sym_want want = {.pdb_name = m->pdb};
		snprintf(keytext, sizeof keytext, "%s%X", m->guid, m->age);
		stats->modules++;
		if (sym_key_parse(keytext, want.guid, &want.age) != 0) {
			rc = db_sym_store(db, run_id, m->id, "no_identity",
					  "the trace's GUID for this image is malformed", NULL, 0, err,
					  errlen);
			continue;
		}
		sym_result *res = calloc(1, sizeof *res);
		if (!res) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
		sym_status st = sym_find(path, opts, &want, res);
		hide_dir(res->why, sizeof res->why, private_dir);
		if (st == SYM_FOUND)
			rc = name_routines(db, run_id, m, res->path, stats, err, errlen);
		else
			rc = db_sym_store(db, run_id, m->id,
					  st == SYM_MISMATCH ? "guid_mismatch" : "not_found",
					  res->why[0] ? res->why : sym_status_name(st), NULL, 0, err,
					  errlen);
		free(res);
	}
	want_list_clear(&w);
	return rc;
}
