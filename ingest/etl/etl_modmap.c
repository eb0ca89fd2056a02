/* etl_modmap.c — image events → deduplicated modules → address lookup (binary search on
 * base inside an address space, with a short backward scan for overlapping entries). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "etl_modmap.h"

void etl_modmap_init(struct etl_modmap *m)
{
	memset(m, 0, sizeof *m);
}

void etl_modmap_free(struct etl_modmap *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].path);
		free(m->v[i].norm);
	}
	free(m->v);
	memset(m, 0, sizeof *m);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '\\');
	const char *t = strrchr(path, '/');
	if (t && (!s || t > s))
		s = t;
	return s ? s + 1 : path;
}

/* Length of a prefix of p matching pat case-insensitively ('#' = one or more digits,
 * '@' = one letter); 0 if no match. */
static size_t prefix(const char *p, const char *pat)
{
	size_t i = 0;
	for (; *pat; pat++) {
		if (*pat == '#') {
			if (!isdigit((unsigned char)p[i]))
				return 0;
			while (isdigit((unsigned char)p[i]))
				i++;
		} else if (*pat == '@') {
			if (!isalpha((unsigned char)p[i]))
				return 0;
			i++;
		} else if (tolower((unsigned char)p[i]) == *pat) {
			i++;
		} else {
			return 0;
		}
	}
	return p[i] == '\\' || p[i] == '/' ? i : 0;
}

void etl_path_norm(const char *path, char *out, size_t n)
{
	size_t k = 0, skip;
	const char *repl = "";
	if (!n)
		return;
	skip = prefix(path, "\\device\\harddiskvolume#");
	if (!skip)
		skip = prefix(path, "\\??\\@:");
	if (!skip)
		skip = prefix(path, "@:");
	if (!skip && (skip = prefix(path, "\\systemroot")) != 0)
		repl = "\\windows";
	for (; *repl && k + 1 < n; repl++)
		out[k++] = *repl;
	for (const char *p = path + skip; *p && k + 1 < n; p++)
		out[k++] = *p == '/' ? '\\' : (char)tolower((unsigned char)*p);
	out[k] = 0;
}

int etl_image_implausible(const struct etl_image *im, unsigned psize)
{
	uint64_t top = psize == 8 ? UINT64_MAX : UINT32_MAX;
	return !im->path[0] || im->size == 0 || im->base > top || im->size - 1 > top - im->base ||
	       im->pid > 0x7FFFFFFFu;
}

int etl_modmap_add(struct etl_modmap *m, const struct etl_image *im, enum etl_kernel_kind kind,
		   int64_t t_ns, unsigned psize)
{
	if (m->n == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 256;
		struct etl_module *n = realloc(m->v, ncap * sizeof *n);
		if (!n)
			return -1;
		m->v = n;
		m->cap = ncap;
	}
	struct etl_module *e = &m->v[m->n];
	memset(e, 0, sizeof *e);
	char norm[sizeof im->path + 16];
	etl_path_norm(im->path, norm, sizeof norm);
	e->path = strdup(im->path);
	e->norm = strdup(norm);
	if (!e->path || !e->norm) {
		free(e->path);
		free(e->norm);
		return -1;
	}
	int kernel = etl_is_kernel_address(im->base, psize);
	e->space = kernel ? 0 : (uint64_t)im->pid + 1;
	e->base = im->base;
	e->size = im->size;
	e->pid = kernel ? (im->pid == 4 ? 4 : 0) : im->pid;
	e->checksum = im->checksum;
	e->timestamp = im->timestamp;
	e->load_ns = INT64_MIN;
	e->unload_ns = INT64_MAX;
	e->id = -1;
	switch (kind) {
	case ETL_K_IMAGE_LOAD: e->seen_load = 1; e->load_ns = t_ns; break;
	case ETL_K_IMAGE_UNLOAD: e->seen_unload = 1; e->unload_ns = t_ns; break;
	case ETL_K_IMAGE_DCSTART: e->seen_dcstart = 1; break;
	case ETL_K_IMAGE_DCEND: e->seen_dcend = 1; break;
	default: break;
	}
	m->n++;
	m->finalized = 0;
	return 0;
}

static int mod_cmp(const void *a, const void *b)
{
	const struct etl_module *x = a, *y = b;
	if (x->space != y->space)
		return x->space < y->space ? -1 : 1;
	if (x->base != y->base)
		return x->base < y->base ? -1 : 1;
	int c = strcmp(x->norm, y->norm);
	if (c)
		return c;
	/* loads before unloads so merged intervals read naturally */
	return (x->load_ns > y->load_ns) - (x->load_ns < y->load_ns);
}

/* Merge e's facts into p (one module, two events); the load is the earliest, the unload
 * the latest, the sink id and the looked-up mark survive. */
static void merge_into(struct etl_module *p, const struct etl_module *e)
{
	p->seen_load |= e->seen_load;
	p->seen_unload |= e->seen_unload;
	p->seen_dcstart |= e->seen_dcstart;
	p->seen_dcend |= e->seen_dcend;
	if (e->seen_load && (p->load_ns == INT64_MIN || e->load_ns < p->load_ns))
		p->load_ns = e->load_ns;
	if (e->seen_unload && (p->unload_ns == INT64_MAX || e->unload_ns > p->unload_ns))
		p->unload_ns = e->unload_ns;
	if (e->size > p->size)
		p->size = e->size;
	if (!p->timestamp)
		p->timestamp = e->timestamp;
	if (!p->checksum)
		p->checksum = e->checksum;
	if (p->id < 0)
		p->id = e->id;
	p->looked |= e->looked;
}

/* The lifetime the lookups use: a rundown or a missing load means loaded before the trace,
 * a rundown at the end or a missing unload still loaded at its end. */
static void settle(struct etl_module *e)
{
	if (e->seen_dcstart || !e->seen_load)
		e->load_ns = INT64_MIN;
	if (e->seen_dcend || !e->seen_unload)
		e->unload_ns = INT64_MAX;
	e->name = base_name(e->path);
}

int etl_modmap_finalize(struct etl_modmap *m)
{
	if (m->finalized)
		return 0;
	if (m->n)
		qsort(m->v, m->n, sizeof *m->v, mod_cmp);
	size_t o = 0;
	for (size_t i = 0; i < m->n; i++) {
		struct etl_module *e = &m->v[i];
		if (o > 0) {
			struct etl_module *p = &m->v[o - 1];
			if (p->space == e->space && p->base == e->base &&
			    strcmp(p->norm, e->norm) == 0) {
				merge_into(p, e);
				free(e->path);
				free(e->norm);
				continue;
			}
		}
		m->v[o++] = *e;
	}
	m->n = o;
	for (size_t i = 0; i < m->n; i++)
		settle(&m->v[i]);
	m->finalized = 1;
	m->sorted_n = m->n;
	return 0;
}

/* Is v[i] the module (space, base, norm)? */
static int same_module(const struct etl_module *x, uint64_t space, uint64_t base, const char *norm)
{
	return x->space == space && x->base == base && strcmp(x->norm, norm) == 0;
}

int etl_modmap_merge_event(struct etl_modmap *m, const struct etl_image *im,
			   enum etl_kernel_kind kind, int64_t t_ns, unsigned psize,
			   struct etl_module *before, struct etl_module *after)
{
	char norm[sizeof im->path + 16];
	etl_path_norm(im->path, norm, sizeof norm);
	uint64_t space = etl_is_kernel_address(im->base, psize) ? 0 : (uint64_t)im->pid + 1;
	struct etl_module *x = NULL;
	size_t lo = 0, hi = m->sorted_n; /* first sorted entry with (space, base) >= the image's */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct etl_module *e = &m->v[mid];
		if (e->space < space || (e->space == space && e->base < im->base))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; !x && i < m->sorted_n && m->v[i].space == space &&
			    m->v[i].base == im->base; i++)
		if (same_module(&m->v[i], space, im->base, norm))
			x = &m->v[i];
	for (size_t i = m->sorted_n; !x && i < m->n; i++)
		if (same_module(&m->v[i], space, im->base, norm))
			x = &m->v[i];
	if (!x)
		return 0;
	struct etl_module e = {.size = im->size, .checksum = im->checksum,
			       .timestamp = im->timestamp, .load_ns = INT64_MIN,
			       .unload_ns = INT64_MAX, .id = -1};
	switch (kind) {
	case ETL_K_IMAGE_LOAD: e.seen_load = 1; e.load_ns = t_ns; break;
	case ETL_K_IMAGE_UNLOAD: e.seen_unload = 1; e.unload_ns = t_ns; break;
	case ETL_K_IMAGE_DCSTART: e.seen_dcstart = 1; break;
	case ETL_K_IMAGE_DCEND: e.seen_dcend = 1; break;
	default: break;
	}
	*before = *x;
	settle(before);
	merge_into(x, &e);
	*after = *x;
	settle(after);
	if (x < m->v + m->sorted_n)
		settle(x); /* a sorted entry stays settled, as finalize left it */
	return 1;
}

static const struct etl_module *lookup_space(const struct etl_modmap *m, uint64_t space,
					     uint64_t addr, int64_t t_ns)
{
	/* lo = entries with (space, base) <= (space, addr): the last such one is v[lo - 1].
	 * Each step's side is taken by a mask, not a branch: interleaved DPCs/ISRs of several
	 * drivers ask about addresses no predictor can follow. */
	size_t lo = 0, len = m->n;
	while (len > 0) {
		size_t half = len / 2;
		const struct etl_module *e = &m->v[lo + half];
		size_t in = (size_t)0 - (size_t)((e->space < space) |
						 ((e->space == space) & (e->base <= addr)));
		lo += (half + 1) & in;
		len = half ^ ((half ^ (len - half - 1)) & in);
	}
	const struct etl_module *best = NULL;
	for (size_t i = lo, k = 0; i-- > 0 && k < 16; k++) {
		const struct etl_module *e = &m->v[i];
		if (e->space != space)
			break;
		if (addr - e->base < e->size) {
			if (t_ns >= e->load_ns && t_ns <= e->unload_ns)
				return e;
			if (!best)
				best = e;
		}
	}
	return best;
}

const struct etl_module *etl_modmap_lookup(const struct etl_modmap *m, uint64_t addr,
					   uint32_t pid, int64_t t_ns, unsigned psize)
{
	if (!m->n)
		return NULL;
	if (etl_is_kernel_address(addr, psize))
		return lookup_space(m, 0, addr, t_ns);
	return lookup_space(m, (uint64_t)pid + 1, addr, t_ns);
}

static int ends_sys(const char *path)
{
	size_t l = strlen(path);
	return l >= 4 && strcasecmp(path + l - 4, ".sys") == 0;
}

int etl_image_is_kernel_sys(const struct etl_image *im, unsigned psize)
{
	return (im->pid == 0 || im->pid == 4 || etl_is_kernel_address(im->base, psize)) &&
	       ends_sys(im->path);
}

size_t etl_modmap_count_sys(const struct etl_modmap *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].space == 0 && ends_sys(m->v[i].path))
			n++;
	return n;
}
