/* invariant.h — what the fuzz harnesses check beyond "no crash": a violated invariant
 * prints where and aborts, which libFuzzer reports as a crash with the input saved. */
#ifndef ETLSCOPE_FUZZ_INVARIANT_H
#define ETLSCOPE_FUZZ_INVARIANT_H

#include <stdio.h>
#include <stdlib.h>
#include <cjson/cJSON.h>

#define FUZZ_CHECK(cond)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                           \
		}                                                                          \
	} while (0)

/* A number member of a summary, or -1 when absent. */
static inline double fuzz_num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* Sum of the numbers in an object member (counts per kind, per header type). */
static inline double fuzz_sum(const cJSON *o, const char *name)
{
	const cJSON *v, *obj = cJSON_GetObjectItemCaseSensitive(o, name);
	double s = 0;
	cJSON_ArrayForEach(v, obj)
		s += cJSON_IsNumber(v) ? v->valuedouble : 0;
	return s;
}

#endif
