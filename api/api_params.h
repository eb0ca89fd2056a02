/* api_params.h — reading and validating query parameters (internal to api/). */
#ifndef ETLSCOPE_API_PARAMS_H
#define ETLSCOPE_API_PARAMS_H

#include <stddef.h>
#include <stdint.h>
#include "api.h"

/* Copy parameter `name` (occurrence nth) into dst; 1 if present, 0 if absent, -1 if too
 * long or malformed. */
int api_param(const struct api_request *rq, const char *name, size_t nth, char *dst,
	      size_t dstlen);
/* Time window (?from=&to= in ms) → µs; absent bounds are open. -1 with *out set on error. */
int api_param_window(const struct api_request *rq, int64_t *from_us, int64_t *to_us,
		     cJSON **out);
/* ?points=N, 0 < N <= limit; def when absent. -1 with *out set on error. */
int api_param_points(const struct api_request *rq, uint32_t def, uint32_t limit, uint32_t *pts,
		     cJSON **out);
/* A run id must look like one before it reaches SQL: exactly 32 lowercase hex chars. */
int api_valid_run_id(const char *id);

/* ?cpus=0,2,4-6 (repeatable): 1 with the set filled, 0 absent, -1 with *out set. */
struct db_cpu_set;
int api_param_cpus(const struct api_request *rq, struct db_cpu_set *set, cJSON **out);
/* A ms-since-epoch window (µs, open ends INT64_MIN/MAX) → ns since the trace start. */
void api_window_ns(int64_t start_us, int64_t from_us, int64_t to_us, int64_t *from_ns,
		   int64_t *to_ns);

/* a × b and a + b, saturating at INT64_MIN/INT64_MAX instead of overflowing: for
 * arithmetic on stored times and durations, which come from untrusted files. */
int64_t api_sat_mul(int64_t a, int64_t b);
int64_t api_sat_add(int64_t a, int64_t b);

/* A JSON number that reads back as exactly v, in the fewest digits (null for NaN/inf);
 * api_json_number.c. */
cJSON *api_json_number(double v);
/* longest text api_json_number_text writes, with its NUL ("-1.2345678901234567e-308") */
#define API_JSON_NUMBER_MAX 32
/* The text of api_json_number(v), "null" for NaN/inf, into buf; returns its length. */
size_t api_json_number_text(double v, char buf[API_JSON_NUMBER_MAX]);

struct db_run;
/* Read counters idx[0..n) of run r over the request's window (?from=&to=, ?points=) and
 * add "raw_samples", "points", "t" to o and "mean", "max" arrays to each of the n objects
 * of series (in idx order). 0, or an HTTP status with *out set. */
int api_series_emit(sqlite3 *db, const struct db_run *r, const uint32_t *idx, size_t n,
		    const struct api_request *rq, cJSON *o, cJSON *series, cJSON **out);

/* Look up the run named in the URL: 0 found, else an HTTP status with *out set. */
int api_find_run(sqlite3 *db, const char *run_id, struct db_run *r, cJSON **out);

#endif
