/* api_params.c — query-parameter parsing and validation shared by the API handlers. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <civetweb.h>
#include "api_params.h"
#include "db.h"

int api_param(const struct api_request *rq, const char *name, size_t nth, char *dst,
	      size_t dstlen)
{
	if (!rq || !rq->query)
		return 0;
	int n = mg_get_var2(rq->query, strlen(rq->query), name, dst, dstlen, nth);
	if (n >= 0) /* a decoded %00 would cut the value short: refuse it as malformed */
		return (size_t)n == strlen(dst) ? 1 : -1;
	return n == -1 ? 0 : -1;
}

static int parse_ms(const char *s, int64_t *us)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || fabs(v) > 9.0e15)
		return -1;
	*us = (int64_t)llround(v * 1000.0);
	return 0;
}

int api_param_window(const struct api_request *rq, int64_t *from_us, int64_t *to_us,
		     cJSON **out)
{
	char buf[64];
	int r;
	*from_us = INT64_MIN;
	*to_us = INT64_MAX;
	if ((r = api_param(rq, "from", 0, buf, sizeof buf)) < 0 ||
	    (r == 1 && parse_ms(buf, from_us) != 0)) {
		*out = api_error("'from' must be a time in milliseconds since the epoch");
		return -1;
	}
	if ((r = api_param(rq, "to", 0, buf, sizeof buf)) < 0 ||
	    (r == 1 && parse_ms(buf, to_us) != 0)) {
		*out = api_error("'to' must be a time in milliseconds since the epoch");
		return -1;
	}
	if (*from_us > *to_us) {
		*out = api_error("'from' is after 'to'");
		return -1;
	}
	return 0;
}

int api_param_points(const struct api_request *rq, uint32_t def, uint32_t limit, uint32_t *pts,
		     cJSON **out)
{
	char buf[32], *end;
	int r = api_param(rq, "points", 0, buf, sizeof buf);
	*pts = def;
	if (r == 0)
		return 0;
	errno = 0;
	unsigned long v = r == 1 ? strtoul(buf, &end, 10) : 0;
	if (r < 0 || errno || end == buf || *end || v == 0 || v > limit) {
		*out = api_error("'points' must be a whole number from 1 to %u", limit);
		return -1;
	}
	*pts = (uint32_t)v;
	return 0;
}

int64_t api_sat_mul(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_mul_overflow(a, b, &r))
		return (a < 0) != (b < 0) ? INT64_MIN : INT64_MAX;
	return r;
}

int64_t api_sat_add(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return a < 0 ? INT64_MIN : INT64_MAX;
	return r;
}

int api_valid_run_id(const char *id)
{
	size_t n = 0;
	for (; id[n]; n++)
		if (!((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'f')))
			return 0;
	return n == DB_PUBLIC_ID_LEN;
}

int api_find_run(sqlite3 *db, const char *run_id, struct db_run *r, cJSON **out)
{
	int rc = api_valid_run_id(run_id) ? db_run_get(db, run_id, r) : 1;
	if (rc == 1) {
		*out = api_error("no such run");
		return 404;
	}
	if (rc < 0) {
		*out = api_error("cannot read run: %s", sqlite3_errmsg(db));
		return 500;
	}
	return 0;
}

