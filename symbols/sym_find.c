/* sym_find.c — walks a symbol path for one PDB (see sym_find.h): local directories (SymStore
 * layout, then flat), SymStore directories behind srv*, symbol servers over HTTP(S) with the
 * download cached in the first downstream store (name.pdb first, then the CAB-compressed
 * name.pd_). A file is used only after pdb_open reads it and its GUID and age match.
 *
 * Invariants: file names come only from sym_pdb_basename (no '/', no "..", safe characters)
 * and the key from pdb_guid_age_text, so every path stays under its source directory; a
 * download is written to NAME.part and renamed into place only once verified. */
#include "sym_find.h"
#include "pdb.h"
#include "sym_cab.h"
#include "sym_cache.h"
#include "sym_http.h"
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

const char *sym_status_name(sym_status s)
{
	static const char *names[] = {"found",         "not found",         "GUID/age mismatch",
				      "corrupt PDB",   "timed out",         "too large",
				      "network error", "unusable PDB name", "cancelled"};
	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

int sym_pdb_basename(const char *raw, char *out, size_t outlen)
{
	const char *b = raw;
	for (const char *p = raw; *p; p++)
		if (*p == '/' || *p == '\\')
			b = p + 1;
	size_t n = strlen(b);
	if (n < 5 || n > 200 || n >= outlen || b[0] == '.' || strcasecmp(b + n - 4, ".pdb"))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)b[i]) && !strchr("._-+~$", b[i]))
			return -1;
	memcpy(out, b, n + 1);
	return 0;
}

int sym_key_parse(const char *t, uint8_t guid[16], uint32_t *age)
{
	size_t n = strlen(t);
	if (n < 33 || n > 40)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)t[i]))
			return -1;
	uint8_t raw[16];
	for (int i = 0; i < 16; i++) {
		char h[3] = {t[2 * i], t[2 * i + 1], 0};
		raw[i] = (uint8_t)strtoul(h, NULL, 16);
	}
	/* Data1, Data2, Data3 are written as numbers (big-endian text), stored little-endian. */
	static const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
	for (int i = 0; i < 16; i++)
		guid[i] = raw[order[i]];
	errno = 0;
	unsigned long a = strtoul(t + 32, NULL, 16);
	if (errno || a > UINT32_MAX)
		return -1;
	*age = (uint32_t)a;
	return 0;
}

static int mkdirs(const char *path)
{
	char d[PATH_MAX];
	if (snprintf(d, sizeof d, "%s", path) >= (int)sizeof d)
		return -1;
	for (char *p = d + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(d, 0755) != 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(d, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* Opens file and checks it is the wanted PDB. */
static sym_status verify(const char *file, const sym_want *w, char *why, size_t whylen)
{
	char err[PDB_ERR_LEN];
	pdb *p = pdb_open(file, err, sizeof err);
	if (!p) {
		snprintf(why, whylen, "corrupt PDB (%s)", err);
		return SYM_CORRUPT;
	}
	sym_status st = SYM_FOUND;
	if (!pdb_matches(p, w->guid, w->age)) {
		char have[42], want[42];
		pdb_guid_age_text(pdb_id(p)->guid, pdb_id(p)->dbi_age, have);
		pdb_guid_age_text(w->guid, w->age, want);
		snprintf(why, whylen, "GUID/age mismatch (the PDB is %s, the image wants %s)", have,
			 want);
		st = SYM_MISMATCH;
	}
	pdb_close(p);
	return st;
}

static sym_status check_file(const char *file, const sym_want *w, char *why, size_t whylen)
{
	struct stat st;
	if (stat(file, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not found");
		return SYM_NOT_FOUND;
	}
	return verify(file, w, why, whylen);
}

typedef struct ctx {
	const sym_want *w;
	const sym_opts *o;
	const char *name, *key;
	sym_result *res;
} ctx;

/* name.pdb/KEY/name.pdb under base, into out. */
static int store_file(const ctx *c, const char *base, char *out, size_t len)
{
	return snprintf(out, len, "%s/%s/%s/%s", base, c->name, c->key, c->name) < (int)len ? 0
											    : -1;
}

static sym_status from_dir(const ctx *c, const char *dir, int flat_too, char *why, size_t whylen)
{
	char f[PATH_MAX];
	if (store_file(c, dir, f, sizeof f) != 0) {
		snprintf(why, whylen, "path too long");
		return SYM_NOT_FOUND;
	}
	sym_status st = check_file(f, c->w, why, whylen);
	if (st == SYM_NOT_FOUND && flat_too &&
	    snprintf(f, sizeof f, "%s/%s", dir, c->name) < (int)sizeof f)
		st = check_file(f, c->w, why, whylen);
	if (st == SYM_FOUND)
		snprintf(c->res->path, sizeof c->res->path, "%s", f);
	return st;
}

/* Downloads URL/name/KEY/name (or .pd_) into the cache file final. */
static sym_status download(const ctx *c, const char *url, const char *final, char *why,
			   size_t whylen)
{
	char u[PATH_MAX + 64], part[PATH_MAX + 8], cab[PATH_MAX + 8];
	const char *sep = url[strlen(url) - 1] == '/' ? "" : "/";
	snprintf(part, sizeof part, "%s.part", final);
	snprintf(u, sizeof u, "%s%s%s/%s/%s", url, sep, c->name, c->key, c->name);
	sym_status st = sym_http_get(u, part, c->o, why, whylen);
	if (st == SYM_NOT_FOUND) {
		/* SymStore's compressed form: the last letter of the name becomes '_'. */
		size_t n = strlen(u);
		u[n - 1] = '_';
		snprintf(cab, sizeof cab, "%s.cab", final);
		char why2[512];
		st = sym_http_get(u, cab, c->o, why2, sizeof why2);
		if (st == SYM_FOUND) {
			if (sym_cab_expand(cab, part, c->o->max_download, why2, sizeof why2) != 0) {
				snprintf(why, whylen, "corrupt compressed PDB (%s)", why2);
				st = SYM_CORRUPT;
			}
			remove(cab);
		} else if (st != SYM_NOT_FOUND) {
			snprintf(why, whylen, "%s", why2);
		}
	}
	if (st != SYM_FOUND)
		return st;
	st = verify(part, c->w, why, whylen);
	if (st == SYM_FOUND && rename(part, final) != 0) {
		snprintf(why, whylen, "cannot store in the cache: %s", strerror(errno));
		st = SYM_NET_ERROR;
	}
	if (st != SYM_FOUND)
		remove(part);
	return st;
}

static sym_status from_server(const ctx *c, const sym_source *s, char *why, size_t whylen)
{
	for (int i = 0; i < s->nstores; i++) {
		sym_status st = from_dir(c, s->stores[i], 0, why, whylen);
		if (st == SYM_FOUND) {
			sym_cache_touch(c->res->path);
			return st;
		}
	}
	if (!s->is_http)
		return from_dir(c, s->where, 0, why, whylen);
	if (s->nstores == 0) {
		snprintf(why, whylen,
			 "no cache directory to download into (write srv*CACHE*URL or cache*DIR)");
		return SYM_NOT_FOUND;
	}
	char final[PATH_MAX], dir[PATH_MAX];
	if (store_file(c, s->stores[0], final, sizeof final) != 0 ||
	    snprintf(dir, sizeof dir, "%s/%s/%s", s->stores[0], c->name, c->key) >=
		    (int)sizeof dir ||
	    mkdirs(dir) != 0) {
		snprintf(why, whylen, "cannot create the cache directory under %s", s->stores[0]);
		return SYM_NET_ERROR;
	}
	sym_status st = download(c, s->where, final, why, whylen);
	if (st == SYM_FOUND) {
		snprintf(c->res->path, sizeof c->res->path, "%s", final);
		sym_cache_trim(s->stores[0], c->o->cache_cap, final);
	} else {
		rmdir(dir); /* leave no empty KEY directory behind */
	}
	return st;
}

static int rank(sym_status s)
{
	static const int r[] = {[SYM_FOUND] = 9,     [SYM_MISMATCH] = 7, [SYM_CORRUPT] = 6,
				[SYM_TOO_LARGE] = 5, [SYM_TIMEOUT] = 4,  [SYM_NET_ERROR] = 3,
				[SYM_NOT_FOUND] = 1, [SYM_BAD_NAME] = 0, [SYM_CANCELLED] = 8};
	return r[s];
}

sym_status sym_find(const sym_path *path, const sym_opts *opts_in, const sym_want *want,
		    sym_result *res)
{
	memset(res, 0, sizeof *res);
	sym_opts o = opts_in ? *opts_in : (sym_opts){0};
	if (o.connect_timeout_ms <= 0)
		o.connect_timeout_ms = 10000;
	if (o.total_timeout_ms <= 0)
		o.total_timeout_ms = 600000;
	if (!o.max_download)
		o.max_download = 1ull << 30;
	if (!o.cache_cap)
		o.cache_cap = 2ull << 30;
	char name[256], key[42];
	if (!want->pdb_name || sym_pdb_basename(want->pdb_name, name, sizeof name) != 0) {
		snprintf(res->why, sizeof res->why, "the image names an unusable PDB file");
		return res->status = SYM_BAD_NAME;
	}
	pdb_guid_age_text(want->guid, want->age, key);
	ctx c = {want, &o, name, key, res};
	res->status = SYM_NOT_FOUND;
	if (path->n == 0)
		snprintf(res->why, sizeof res->why, "no symbol path is set");
	for (int i = 0; i < path->n; i++) {
		const sym_source *s = &path->src[i];
		char why[1024] = "";
		sym_status st = s->kind == SYM_SRC_DIR ? from_dir(&c, s->where, 1, why, sizeof why)
						       : from_server(&c, s, why, sizeof why);
		if (st == SYM_FOUND) {
			res->why[0] = '\0';
			return res->status = SYM_FOUND;
		}
		size_t n = strlen(res->why);
		snprintf(res->why + n, sizeof res->why - n, "%s%s: %s", n ? "; " : "", s->where,
			 why);
		if (rank(st) > rank(res->status))
			res->status = st;
		if (st == SYM_CANCELLED)
			break;
	}
	return res->status;
}
