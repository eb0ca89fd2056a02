/* store_gen.h — synthetic ETW records for the store tests (seeded, reproducible) and a
 * brute-force reference that answers the same questions as the queries. */
#ifndef ETLSCOPE_STORE_GEN_H
#define ETLSCOPE_STORE_GEN_H

#include <stdint.h>
#include "db/db_etw.h"

#define GEN_MODULES 10
#define GEN_CPUS 24
#define GEN_MAX_STACK 6

struct gen_dpc {
	int64_t t_ns;
	uint32_t duration_ns;
	uint16_t cpu;
	uint8_t kind;
	int32_t module_id;
	uint64_t routine;
};
struct gen_sample {
	int64_t t_ns;
	uint16_t cpu;
	uint32_t pid;
	int32_t module_id;
	int32_t stack[GEN_MAX_STACK];
	uint32_t nstack;
	uint8_t in_dpcisr;
};
struct gen_data {
	struct gen_dpc *dpc;
	size_t ndpc;
	struct gen_sample *smp;
	size_t nsmp;
};

uint64_t gen_rand(uint64_t *s);

/* The test's own histogram, independent of db_buckets.c: edge i (0..40) is the Renard R10
 * preferred number i%10 of {1, 1.25, 1.6, 2, 2.5, 3.2, 4, 5, 6.3, 8} times 10^(i/10) µs, so
 * 1 µs … 10 ms; bucket b holds durations in (edge b-1, edge b] (bucket 41: over 10 ms);
 * found by counting edges below d, not by a search. Guidelines are Microsoft's: DPC 100 µs,
 * ISR 25 µs. */
#define GEN_NEDGES 41
uint32_t gen_edge_ns(int i);
int gen_bucket(uint64_t duration_ns);
uint32_t gen_guideline_ns(int kind);
/* ndpc events and nsmp samples over span_ms, in time order. */
void gen_make(struct gen_data *g, size_t ndpc, size_t nsmp, int64_t span_ms, uint64_t seed);
/* A copy delivered out of order: local jitter within a few ms, some events late by up to
 * 2 s, a few at the very end. */
void gen_shuffle(const struct gen_data *in, struct gen_data *out, uint64_t seed);
void gen_free(struct gen_data *g);

/* Brute force over the same filter semantics as the store. */
int gen_dpc_matches(const struct db_etw_filter *f, const struct gen_dpc *e);
void gen_histogram(const struct gen_data *g, const struct db_etw_filter *f,
		   struct db_dpc_histogram *h);
/* rows[(module+1) * KINDS + kind], cpus alongside */
void gen_modules(const struct gen_data *g, const struct db_etw_filter *f,
		 struct db_dpc_stats *rows, struct db_cpu_set *cpus);
/* excl/incl per module+1 over non-idle samples (Idle-process samples count in totals only) */
void gen_cpu(const struct gen_data *g, const struct db_etw_filter *f, uint64_t *excl,
	     uint64_t *incl, uint64_t totals[4]);

#endif
