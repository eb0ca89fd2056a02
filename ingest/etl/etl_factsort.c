/* etl_factsort.c — the per-slice facts sorted in the store's key order (etl_factsort.h). */
#include "etl_factsort.h"

/* a before b in the store's key order */
static inline int before(const struct sink_slice_fact *a, const struct sink_slice_fact *b)
{
	if (a->domain != b->domain)
		return a->domain < b->domain;
	if (a->slice != b->slice)
		return a->slice < b->slice;
	if (a->cpu != b->cpu)
		return a->cpu < b->cpu;
	if (a->pid != b->pid)
		return a->pid < b->pid;
	if (a->tid != b->tid)
		return a->tid < b->tid;
	return (int64_t)a->key < (int64_t)b->key;
}

enum { RUN = 16 }; /* each run of RUN indices is insertion-sorted before the merges */

/* Merge the sorted src[lo..mid) and src[mid..hi) into dst[lo..hi). */
static void merge(const struct sink_slice_fact *v, const uint32_t *src, uint32_t *dst, size_t lo,
		  size_t mid, size_t hi)
{
	size_t i = lo, j = mid, k = lo;
	if (mid < hi && i < mid && !before(&v[src[mid]], &v[src[mid - 1]])) {
		/* already in order (the map's keys come roughly in time order) */
		for (; k < hi; k++)
			dst[k] = src[k];
		return;
	}
	while (i < mid && j < hi)
		dst[k++] = before(&v[src[j]], &v[src[i]]) ? src[j++] : src[i++];
	while (i < mid)
		dst[k++] = src[i++];
	while (j < hi)
		dst[k++] = src[j++];
}

void etl_factsort(struct sink_slice_fact *v, size_t n, uint32_t *idx, uint32_t *tmp)
{
	if (n < 2)
		return;
	for (size_t i = 0; i < n; i++)
		idx[i] = (uint32_t)i;
	for (size_t lo = 0; lo < n; lo += RUN) {
		size_t hi = lo + RUN < n ? lo + RUN : n;
		for (size_t i = lo + 1; i < hi; i++) {
			uint32_t x = idx[i];
			size_t j = i;
			for (; j > lo && before(&v[x], &v[idx[j - 1]]); j--)
				idx[j] = idx[j - 1];
			idx[j] = x;
		}
	}
	uint32_t *src = idx, *dst = tmp;
	for (size_t w = RUN; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
			merge(v, src, dst, lo, mid, hi);
		}
		uint32_t *t = src;
		src = dst;
		dst = t;
	}
	/* src[k] is the index of the fact that belongs at k: move each fact once, cycle by
	 * cycle, marking a placed slot by src[k] = k */
	for (size_t s = 0; s < n; s++) {
		if (src[s] == s)
			continue;
		struct sink_slice_fact hold = v[s];
		size_t k = s;
		while (src[k] != s) {
			size_t from = src[k];
			v[k] = v[from];
			src[k] = (uint32_t)k;
			k = from;
		}
		v[k] = hold;
		src[k] = (uint32_t)k;
	}
}
