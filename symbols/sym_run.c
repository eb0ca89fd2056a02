/* sym_run.c — names a stored run's DPC/ISR routines, stack frames and syscall addresses from
 * PDBs (sym_run.h).
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

static int cmp_name_rva(const void *key, const void *elem)
{
	uint32_t k = *(const uint32_t *)key, r = ((const struct db_sym_name *)elem)->rva;
	return k < r ? -1 : k > r;
}

/* How many of rvas[0..n) have a name in names[0..k) (sorted by rva). */
static size_t named(const uint32_t *rvas, size_t n, const struct db_sym_name *names, size_t k)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += bsearch(&rvas[i], names, k, sizeof *names, cmp_name_rva) != NULL;
	return c;
}

/* The addresses of a module that users see, by source (each ascending, without repeats). */
enum { SRC_ROUTINES, SRC_FRAMES, SRC_SYSCALLS, SRC_N };

/* Names the module's DPC/ISR routines, stack frames and syscall addresses from the PDB at
 * path and stores them. 0, or -1 with err. */
static int name_routines(sqlite3 *db, int64_t run_id, const struct db_sym_module *m,
			 const char *path, struct sym_run_stats *stats, char *err, size_t errlen)
{
	char perr[PDB_ERR_LEN], why[PDB_ERR_LEN + 320];
	pdb *p = pdb_open(path, perr, sizeof perr);
	if (!p) {
		snprintf(why, sizeof why, "the PDB found does not read: %s", perr);
		return db_sym_store(db, run_id, m->id, "not_found", why, NULL, 0, err, errlen);
	}
	uint32_t *src[SRC_N] = {NULL}, *rvas = NULL, *tmp = NULL;
	size_t nsrc[SRC_N] = {0}, total_frames, n = 0, ntmp = 0, k = 0;
	struct db_sym_name *names = NULL;
	int rc = -1;
	if (db_sym_routines(db, run_id, m, &src[SRC_ROUTINES], &nsrc[SRC_ROUTINES], err, errlen) ||
	    db_sym_frames(db, run_id, m->id, &src[SRC_FRAMES], &nsrc[SRC_FRAMES], &total_frames, err,
			  errlen) ||
	    db_sym_syscalls(db, run_id, m, &src[SRC_SYSCALLS], &nsrc[SRC_SYSCALLS], err, errlen))
		goto out;
	tmp = merge_unique(src[0], nsrc[0], src[1], nsrc[1], &ntmp);
	rvas = tmp ? merge_unique(tmp, ntmp, src[2], nsrc[2], &n) : NULL;
	names = calloc(n ? n : 1, sizeof *names);
	if (!rvas || !names) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const char *name;
		uint32_t off;
		if (pdb_lookup(p, rvas[i], &name, &off))
			names[k++] = (struct db_sym_name){rvas[i], off, name};
	}
	int w = snprintf(why, sizeof why, "%zu of %zu DPC/ISR routine addresses, %zu of %zu stack "
			 "frame addresses and %zu of %zu syscall addresses named",
			 named(src[0], nsrc[0], names, k), nsrc[0], named(src[1], nsrc[1], names, k),
			 nsrc[1], named(src[2], nsrc[2], names, k), nsrc[2]);
	if (total_frames > nsrc[SRC_FRAMES] && w > 0 && (size_t)w < sizeof why)
		snprintf(why + w, sizeof why - (size_t)w, "; the stacks hold %zu distinct frames in this "
			 "module, only the first %zu by address were looked up (the rest show "
			 "module+offset)", total_frames, nsrc[SRC_FRAMES]);
	rc = db_sym_store(db, run_id, m->id, "resolved", why, names, k, err, errlen);
	if (rc == 0) {
		stats->resolved++;
		stats->names += k;
	}
out:
	free(names);
	free(rvas);
	free(tmp);
	for (int i = 0; i < SRC_N; i++)
		free(src[i]);
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
