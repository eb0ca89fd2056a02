/* blg_emit.c — turns decoder callbacks into sink calls: one sink counter per series, one
 * sink sample per PDH sample with values cooked against the series' previous raw value
 * (a series absent from a sample starts over), and warnings counted by code. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "blg_emit.h"
#include "blg_str.h"
#include "../pdh/pdh_names.h"
#include "ingest.h"

void blg_emit_init(struct blg_emit *e, const struct ingest_sink *sink, const struct blg_tz *tz)
{
	memset(e, 0, sizeof *e);
	e->sink = sink;
	e->tz = tz;
	blg_map_init(&e->machines.map);
	blg_map_init(&e->objects.map);
	blg_map_init(&e->instances.map);
	blg_map_init(&e->cpus.map);
}

void blg_emit_free(struct blg_emit *e)
{
	for (uint32_t i = 0; i < e->n; i++)
		free(e->s[i].path);
	free(e->s);
	free(e->row);
	struct blg_nameset *sets[4] = { &e->machines, &e->objects, &e->instances, &e->cpus };
	for (int i = 0; i < 4; i++) {
		blg_map_free(&sets[i]->map);
		free(sets[i]->items);
	}
	memset(e, 0, sizeof *e);
}

int blg_emit_warning(struct blg_emit *e, const char *code, const char *message)
{
	int i;
	for (i = 0; i < BLG_WARN_CODES && e->warn[i].code; i++)
		if (strcmp(e->warn[i].code, code) == 0)
			break;
	if (i == BLG_WARN_CODES)
		i = BLG_WARN_CODES - 1; /* table full: fold into the last slot */
	if (!e->warn[i].code)
		e->warn[i].code = code;
	e->warn[i].count++;
	if (e->warn[i].count <= BLG_WARN_REPEAT && e->sink->warning)
		return e->sink->warning(e->sink->ud, code, message);
	return 0;
}

int blg_emit_flush_warnings(struct blg_emit *e)
{
	char msg[160];
	for (int i = 0; i < BLG_WARN_CODES && e->warn[i].code; i++) {
		if (e->warn[i].count <= BLG_WARN_REPEAT || !e->sink->warning)
			continue;
		snprintf(msg, sizeof msg, "%llu more warnings of this kind were not listed",
			 (unsigned long long)(e->warn[i].count - BLG_WARN_REPEAT));
		int rc = e->sink->warning(e->sink->ud, e->warn[i].code, msg);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int all_digits(const char *s, size_t n)
{
	if (n == 0 || n > 6)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int blg_cpu_of(const char *object, const char *instance)
{
	if (!object || !instance)
		return -1;
	if (blg_str_ieq(object, "Processor")) {
		if (all_digits(instance, strlen(instance)))
			return atoi(instance);
		return -1;
	}
	if (blg_str_ieq(object, "Processor Information")) {
		const char *comma = strchr(instance, ',');
		if (!comma || !all_digits(instance, (size_t)(comma - instance)) ||
		    !all_digits(comma + 1, strlen(comma + 1)))
			return -1;
		/* node 0 only: other nodes need the topology to map to a CPU number */
		if (atoi(instance) != 0)
			return -1;
		return atoi(comma + 1);
	}
	return -1;
}

static int remember(struct blg_nameset *set, const char *key)
{
	uint32_t v;
	if (blg_map_get(&set->map, key, &v))
		return 0;
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 16;
		const char **ni = realloc(set->items, cap * sizeof *ni);
		if (!ni)
			return INGEST_ENOMEM;
		set->items = ni;
		set->cap = cap;
	}
	if (blg_map_put(&set->map, key, (uint32_t)set->n))
		return INGEST_ENOMEM;
	set->items[set->n++] = blg_map_key(&set->map, key); /* the map's stable copy */
	return 0;
}

static int on_series(void *ud, const struct blg_series_info *si)
{
	struct blg_emit *e = ud;
	struct sink_counter c;
	char *path;
	size_t n;
	uint32_t idx = 0;
	int rc;

	if (si->id != e->n)
		return INGEST_EFORMAT; /* the decoder numbers series densely */
	if (e->n == e->cap) {
		uint32_t cap = e->cap ? e->cap * 2 : 64;
		struct blg_emit_series *ns = realloc(e->s, (size_t)cap * sizeof *ns);
		double *nr = realloc(e->row, (size_t)cap * sizeof *nr);
		if (ns)
			e->s = ns;
		if (nr)
			e->row = nr;
		if (!ns || !nr)
			return INGEST_ENOMEM;
		e->cap = cap;
	}
	n = strlen(si->machine) + strlen(si->object) + strlen(si->counter) +
	    (si->instance ? strlen(si->instance) + 2 : 0) + 8;
	path = malloc(n);
	if (!path)
		return INGEST_ENOMEM;
	if (si->instance)
		snprintf(path, n, "%s%s\\%s(%s)\\%s", si->machine[0] ? "\\\\" : "", si->machine,
			 si->object, si->instance, si->counter);
	else
		snprintf(path, n, "%s%s\\%s\\%s", si->machine[0] ? "\\\\" : "", si->machine,
			 si->object, si->counter);
	memset(&c, 0, sizeof c);
	c.path = path;
	c.machine = si->machine;
	/* localised Processor/Process names under their English ones (pdh_names.def) */
	const char *obj = pdh_names_object(si->object);
	c.object = obj ? obj : si->object;
	const char *ctr = pdh_names_counter(c.object, si->counter);
	c.instance = si->instance;
	c.counter = ctr ? ctr : si->counter;
	c.cpu = blg_cpu_of(c.object, si->instance);
	c.counter_type = si->type;
	if (e->sink->counter && (rc = e->sink->counter(e->sink->ud, &c, &idx)) < 0) {
		free(path);
		return rc;
	}
	memset(&e->s[e->n], 0, sizeof e->s[e->n]);
	e->s[e->n].sink_index = idx;
	e->s[e->n].type = si->type;
	e->s[e->n].path = path;
	e->n++;
	if ((rc = remember(&e->machines, si->machine)) || (rc = remember(&e->objects, si->object)))
		return rc;
	if (si->instance && (rc = remember(&e->instances, si->instance)))
		return rc;
	if (c.cpu >= 0) {
		char cpu[16];
		snprintf(cpu, sizeof cpu, "%d", c.cpu);
		if ((rc = remember(&e->cpus, cpu)))
			return rc;
	}
	return 0;
}

static int on_sample(void *ud, int64_t local_ft, const struct blg_value *v, size_t nv)
{
	struct blg_emit *e = ud;
	uint64_t row = ++e->rows;
	int64_t t_us = blg_local_to_unix_us(e->tz, local_ft);
	char msg[320];
	int rc;

	for (uint32_t i = 0; i < e->n; i++)
		e->row[i] = NAN;
	for (size_t k = 0; k < nv; k++) {
		struct blg_emit_series *s;
		double val;
		if (v[k].series >= e->n)
			continue;
		s = &e->s[v[k].series];
		int had_prev = s->last_row && s->last_row + 1 == row;
		int st = blg_cook(s->type, had_prev ? &s->prev : NULL, &v[k].raw, &val);
		if (st == BLG_COOK_OK) {
			e->row[v[k].series] = val;
			e->values++;
		} else if (st != BLG_COOK_NEED_PREV) {
			snprintf(msg, sizeof msg, "%s: no value at sample %llu (%s)", s->path,
				 (unsigned long long)row, blg_cook_status_code(st));
			if ((rc = blg_emit_warning(e, blg_cook_status_code(st), msg)) < 0)
				return rc;
		}
		s->prev = v[k].raw;
		s->last_row = row;
	}
	for (uint32_t i = 0; i < e->n; i++)
		if (isnan(e->row[i]))
			e->missing++;
	if (e->rows == 1)
		e->first_us = t_us;
	e->last_us = t_us;
	if (e->sink->sample)
		return e->sink->sample(e->sink->ud, t_us, e->row, e->n);
	return 0;
}

static int on_warning(void *ud, const char *code, const char *message)
{
	return blg_emit_warning(ud, code, message);
}

struct blg_pdh_out blg_emit_pdh_out(struct blg_emit *e)
{
	struct blg_pdh_out o = { e, on_series, on_sample, on_warning };
	return o;
}
