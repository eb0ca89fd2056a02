/* etl_factsort.c — the per-slice facts sorted in the store's key order (etl_factsort.h). */
#include "etl_factsort.h"

/* a before b in the store's key order: the packed (domain, slice, CPU) word, the pid, then
 * the facts' tid and key (signed) */
static inline int before(const struct sink_slice_fact *v, const struct etl_factsort_ent *a,
			 const struct etl_factsort_ent *b)
{
	if (a->group != b->group)
		return a->group < b->group;
	if (a->pid != b->pid)
		return a->pid < b->pid;
	const struct sink_slice_fact *x = &v[a->i], *y = &v[b->i];
	if (x->tid != y->tid)
		return x->tid < y->tid;
	return (int64_t)x->key < (int64_t)y->key;
}

enum { RUN = 16 }; /* each run of RUN entries is insertion-sorted before the merges */

/* Merge the sorted src[lo..mid) and src[mid..hi) into dst[lo..hi). */
static void merge(const struct sink_slice_fact *v, const struct etl_factsort_ent *src,
		  struct etl_factsort_ent *dst, size_t lo, size_t mid, size_t hi)
{
	size_t i = lo, j = mid, k = lo;
	if (mid < hi && i < mid && !before(v, &src[mid], &src[mid - 1])) {
		/* already in order (the map's keys come roughly in time order) */
		for (; k < hi; k++)
			dst[k] = src[k];
		return;
	}
	while (i < mid && j < hi)
		dst[k++] = before(v, &src[j], &src[i]) ? src[j++] : src[i++];
	while (i < mid)
		dst[k++] = src[i++];
	while (j < hi)
		dst[k++] = src[j++];
}

void etl_factsort(struct sink_slice_fact *v, size_t n, struct etl_factsort_ent *ent,
		  struct etl_factsort_ent *tmp)
{
	if (n < 2)
		return;
	for (size_t i = 0; i < n; i++)
		ent[i] = (struct etl_factsort_ent){
			(uint64_t)v[i].domain << 48 | (uint64_t)v[i].slice << 16 | v[i].cpu, v[i].pid,
			(uint32_t)i};
	for (size_t lo = 0; lo < n; lo += RUN) {
		size_t hi = lo + RUN < n ? lo + RUN : n;
		for (size_t i = lo + 1; i < hi; i++) {
			struct etl_factsort_ent x = ent[i];
			size_t j = i;
			for (; j > lo && before(v, &x, &ent[j - 1]); j--)
				ent[j] = ent[j - 1];
			ent[j] = x;
		}
	}
	struct etl_factsort_ent *src = ent, *dst = tmp;
	for (size_t w = RUN; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
			merge(v, src, dst, lo, mid, hi);
		}
		struct etl_factsort_ent *t = src;
		src = dst;
		dst = t;
	}
	/* src[k].i is the index of the fact that belongs at k: move each fact once, cycle by
	 * cycle, marking a placed slot by src[k].i = k */
	for (size_t s = 0; s < n; s++) {
		if (src[s].i == s)
			continue;
		struct sink_slice_fact hold = v[s];
		size_t k = s;
		while (src[k].i != s) {
			size_t from = src[k].i;
			v[k] = v[from];
			src[k].i = (uint32_t)k;
			k = from;
		}
		v[k] = hold;
		src[k].i = (uint32_t)k;
	}
}
