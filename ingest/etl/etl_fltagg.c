/* etl_fltagg.c — minifilter delays: the per-trace layout decision and the aggregation
 * (invariants in etl_fltagg.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "etl_fltagg.h"

static const uint64_t over_ns[SINK_FLT_OVER] = {1000000, 10000000, 100000000};
static const char *const slot_name[ETL_FLT_SLOTS] = {"RoutineAddr", "FileObject", "FileContext",
						     "IrpPtr", "CallbackDataPtr"};

void etl_fltagg_init(struct etl_fltagg *a)
{
	memset(a, 0, sizeof *a);
	etl_fltpin_init(&a->objects);
	a->file_slot = -1;
}

void etl_fltagg_free(struct etl_fltagg *a)
{
	free(a->rows);
	etl_fltpin_free(&a->objects);
	memset(a, 0, sizeof *a);
	a->file_slot = -1;
}

unsigned etl_fltagg_name_slots(const struct etl_fltagg *a)
{
	if (a->state == ETL_FLT_ABSENT || a->state == ETL_FLT_PROBING)
		return ((1u << ETL_FLT_SLOTS) - 1) & ~(1u << ETL_FLT_ROUTINE);
	return a->state == ETL_FLT_DECODED && a->file_slot >= 0 ? 1u << a->file_slot : 0;
}

/* The file of a record: the pinned slot's name, NULL when none was pinned. */
static const char *rec_file(const struct etl_fltagg *a, const struct etl_flt_rec *x)
{
	return a->file_slot >= 0 ? x->slot_file[a->file_slot] : NULL;
}

const char *etl_fltagg_state_name(int state)
{
	switch (state) {
	case ETL_FLT_PROBING: return "probing";
	case ETL_FLT_DECODED: return "decoded";
	case ETL_FLT_REJECTED: return "layout_rejected";
	default: return "absent";
	}
}

void etl_fltagg_short(struct etl_fltagg *a)
{
	a->events++;
	a->short_payloads++;
}

static size_t row_hash(int32_t module, uint8_t major, uint8_t post, uint32_t pid,
		       const char *file, size_t cap)
{
	uint64_t k = ((uint64_t)(uint32_t)module << 32 | (uint64_t)major << 8 | post) ^
		     ((uint64_t)pid * 0xff51afd7ed558ccdull) ^
		     ((uint64_t)(uintptr_t)file * 0x9e3779b97f4a7c15ull);
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	k ^= k >> 33;
	return (size_t)(k & (cap - 1));
}

static struct etl_fltagg_row *row_slot(struct etl_fltagg_row *t, size_t cap, int32_t module,
				       uint8_t major, uint8_t post, uint32_t pid, const char *file)
{
	size_t i = row_hash(module, major, post, pid, file, cap);
	while (t[i].used && !(t[i].r.module == module && t[i].r.major == major &&
			      t[i].r.post == post && t[i].r.pid == pid && t[i].r.file == file))
		i = (i + 1) & (cap - 1);
	return &t[i];
}

/* The row of a key (created empty), folded when the table is full; NULL on ENOMEM. */
static struct sink_flt_row *row_get(struct etl_fltagg *a, int32_t module, uint8_t major,
				    uint8_t post, uint32_t pid, const char *file)
{
	if ((a->rows_n + 2) * 2 > a->rows_cap) {
		size_t ncap = a->rows_cap ? a->rows_cap * 2 : 256;
		struct etl_fltagg_row *t = calloc(ncap, sizeof *t);
		if (!t)
			return NULL;
		for (size_t i = 0; i < a->rows_cap; i++)
			if (a->rows[i].used)
				*row_slot(t, ncap, a->rows[i].r.module, a->rows[i].r.major,
					  a->rows[i].r.post, a->rows[i].r.pid, a->rows[i].r.file) = a->rows[i];
		free(a->rows);
		a->rows = t;
		a->rows_cap = ncap;
	}
	struct etl_fltagg_row *e = row_slot(a->rows, a->rows_cap, module, major, post, pid, file);
	if (!e->used && a->rows_n >= ETL_FLTAGG_MAX_ROWS) {
		a->rows_folded++;
		pid = SINK_PID_UNKNOWN;
		file = NULL;
		e = row_slot(a->rows, a->rows_cap, module, major, post, pid, file);
	}
	if (!e->used) {
		e->used = 1;
		e->r.module = module;
		e->r.major = major;
		e->r.post = post;
		e->r.major_name = etl_flt_major_name(major);
		e->r.pid = pid;
		e->r.file = file;
		a->rows_n++;
	}
	return &e->r;
}

static void keep_slowest(struct etl_fltagg *a, const struct etl_flt_rec *x)
{
	struct sink_flt_slow s = {x->t_ns, x->delay_ns, x->module, (uint8_t)x->f.major,
				  x->f.post, x->pid, x->tid, x->cpu, rec_file(a, x)};
	size_t i = a->slow_n;
	if (i == SINK_FLT_SLOWEST) {
		if (s.delay_ns <= a->slow[i - 1].delay_ns)
			return;
		i--;
	} else {
		a->slow_n++;
	}
	while (i > 0 && a->slow[i - 1].delay_ns < s.delay_ns) {
		a->slow[i] = a->slow[i - 1];
		i--;
	}
	a->slow[i] = s;
}

/* A record that fits, into the table, the slowest list and the per-slice facts. */
static int aggregate(struct etl_fltagg *a, const struct etl_flt_rec *x)
{
	struct sink_flt_row *r = row_get(a, x->module, (uint8_t)x->f.major, x->f.post, x->pid,
					 rec_file(a, x));
	if (!r)
		return -1;
	a->type_fit[(x->f.type - ETL_FLT_PRE_INIT) % 6]++;
	if (x->f.failure) {
		r->failures++;
	} else if (!x->f.completion) {
		r->inits++;
	} else {
		r->count++;
		r->total_ns += x->delay_ns;
		if (x->delay_ns > r->max_ns)
			r->max_ns = x->delay_ns;
		for (int i = 0; i < SINK_FLT_OVER; i++)
			r->over[i] += x->delay_ns > over_ns[i];
		keep_slowest(a, x);
	}
	if (!a->facts || !x->f.completion)
		return 0;
	/* key: module id + 1 << 16 | post << 8 | major; n delays, m over 10 ms, ns total
	 * delay, bytes over 1 ms (etl_slicefacts.h) */
	uint64_t key = (uint64_t)(uint32_t)(x->module + 1) << 16 | (uint64_t)x->f.post << 8 |
		       (uint8_t)x->f.major;
	return etl_slicefacts_add(a->facts, SINK_FACT_FLT, x->t_ns, x->cpu, x->pid, x->tid, key,
				  1, x->delay_ns > over_ns[1], x->delay_ns,
				  x->delay_ns > over_ns[0]);
}

/* The held records decide: at least 99 % fit, or the layout is refused. */
static int decide(struct etl_fltagg *a)
{
	a->decided_at = a->checked;
	a->decided_valid = a->valid;
	if (a->valid * 100 < a->checked * 99) {
		a->state = ETL_FLT_REJECTED;
		a->probe_n = 0;
		return 0;
	}
	a->state = ETL_FLT_DECODED;
	/* the FileObject: one of the slots after RoutineAddr (etl_fltpin.h's rule) */
	int s = etl_fltpin_choose(a->pin_matches + ETL_FLT_FILE_OBJECT,
				  ETL_FLT_SLOTS - ETL_FLT_FILE_OBJECT, a->valid);
	a->file_slot = s < 0 ? -1 : s + ETL_FLT_FILE_OBJECT;
	for (size_t i = 0; i < a->probe_n; i++)
		if (!a->probe[i].bad && aggregate(a, &a->probe[i]))
			return -1;
	a->probe_n = 0;
	return 0;
}

int etl_fltagg_add(struct etl_fltagg *a, const struct etl_flt_rec *rec)
{
	a->events++;
	if (a->state == ETL_FLT_REJECTED) {
		a->after_reject++;
		return 0;
	}
	if (a->state == ETL_FLT_ABSENT)
		a->state = ETL_FLT_PROBING;
	a->checked++;
	for (unsigned i = 0; i < ETL_FLT_SLOTS; i++)
		a->in_image_slot[i] += rec->lk.in_image[i] != 0;
	if (rec->bad) {
		for (unsigned b = 0; b < ETL_FLTC_COUNT; b++)
			a->fail_bits[b] += (rec->bad >> b) & 1;
	} else {
		a->valid++;
	}
	if (a->state == ETL_FLT_PROBING && !rec->bad)
		for (unsigned i = ETL_FLT_FILE_OBJECT; i < ETL_FLT_SLOTS; i++)
			a->pin_matches[i] += rec->seen[i] != 0;
	if (a->state == ETL_FLT_PROBING) {
		a->probe[a->probe_n++] = *rec;
		return a->probe_n == ETL_FLTAGG_PROBE ? decide(a) : 0;
	}
	if (rec->bad) {
		a->invalid_after_accept++;
		return 0;
	}
	return aggregate(a, rec);
}

int etl_fltagg_finish(struct etl_fltagg *a)
{
	return a->state == ETL_FLT_PROBING ? decide(a) : 0;
}

/* "size 12, routine 256" — the failed checks and how many records failed each. */
static void fail_list(const struct etl_fltagg *a, char *buf, size_t n)
{
	size_t used = 0;
	buf[0] = 0;
	for (unsigned b = 0; b < ETL_FLTC_COUNT && used < n; b++)
		if (a->fail_bits[b]) {
			int w = snprintf(buf + used, n - used, "%s%s %llu", used ? ", " : "",
					 etl_fltio_check_name(b), (unsigned long long)a->fail_bits[b]);
			if (w < 0)
				break;
			used += (size_t)w;
		}
}

int etl_fltagg_emit(const struct etl_fltagg *a, const struct ingest_sink *sink)
{
	int rc;
	char msg[512], fails[200];
	if (a->state == ETL_FLT_REJECTED && sink->warning) {
		fail_list(a, fails, sizeof fails);
		snprintf(msg, sizeof msg, "minifilter events present; their layout did not validate "
			 "on this trace: %llu of %llu checked (failed: %s); %llu events counted, "
			 "not decoded", (unsigned long long)a->decided_valid,
			 (unsigned long long)a->decided_at, fails, (unsigned long long)a->events);
		if ((rc = sink->warning(sink->ud, "minifilter_layout_rejected", msg)) < 0)
			return rc;
	}
	if (a->state == ETL_FLT_DECODED && a->invalid_after_accept && sink->warning) {
		fail_list(a, fails, sizeof fails);
		snprintf(msg, sizeof msg, "%llu minifilter events after the layout validated did "
			 "not fit it (failed: %s) and were left out of the delays",
			 (unsigned long long)a->invalid_after_accept, fails);
		if ((rc = sink->warning(sink->ud, "minifilter_records_invalid", msg)) < 0)
			return rc;
	}
	if (a->state != ETL_FLT_DECODED)
		return 0;
	if (a->file_slot < 0 && sink->warning) {
		snprintf(msg, sizeof msg, "the FileObject among the minifilter records' pointers "
			 "could not be pinned on this trace: of %llu deciding records, a file object "
			 "of the trace's %zu FileIo file objects sat in FileObject %llu, FileContext "
			 "%llu, IrpPtr %llu, CallbackDataPtr %llu times (a slot needs %d and half of "
			 "them, the others a quarter of it); files are not identified",
			 (unsigned long long)a->decided_valid, a->objects.seen.n,
			 (unsigned long long)a->pin_matches[ETL_FLT_FILE_OBJECT],
			 (unsigned long long)a->pin_matches[ETL_FLT_FILE_CONTEXT],
			 (unsigned long long)a->pin_matches[ETL_FLT_IRP],
			 (unsigned long long)a->pin_matches[ETL_FLT_CALLBACK_DATA],
			 ETL_FLTPIN_MIN_MATCHES);
		if ((rc = sink->warning(sink->ud, "minifilter_file_unpinned", msg)) < 0)
			return rc;
	}
	for (size_t i = 0; sink->flt_row && i < a->rows_cap; i++)
		if (a->rows[i].used && (rc = sink->flt_row(sink->ud, &a->rows[i].r)) < 0)
			return rc;
	for (size_t i = 0; sink->flt_slow && i < a->slow_n; i++)
		if ((rc = sink->flt_slow(sink->ud, &a->slow[i])) < 0)
			return rc;
	if (a->rows_folded && sink->warning &&
	    (rc = sink->warning(sink->ud, "minifilter_rows_folded", "too many (filter, "
				"function, process, file) keys: later ones count without their "
				"process and file")) < 0)
		return rc;
	return 0;
}

cJSON *etl_fltagg_summary(const struct etl_fltagg *a)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "state", etl_fltagg_state_name(a->state));
	cJSON_AddStringToObject(o, "layout", "candidate: [InitialTime u64,] RoutineAddr, "
				"FileObject, FileContext, IrpPtr, CallbackDataPtr (pointers), "
				"MajorFunction u32[, Status u32]");
	cJSON_AddNumberToObject(o, "events", (double)a->events);
	cJSON_AddNumberToObject(o, "short_payloads", (double)a->short_payloads);
	cJSON_AddNumberToObject(o, "checked", (double)a->decided_at);
	cJSON_AddNumberToObject(o, "valid", (double)a->decided_valid);
	cJSON *f = cJSON_AddObjectToObject(o, "failed_checks");
	for (unsigned b = 0; f && b < ETL_FLTC_COUNT; b++)
		cJSON_AddNumberToObject(f, etl_fltio_check_name(b), (double)a->fail_bits[b]);
	cJSON *s = cJSON_AddObjectToObject(o, "slot_in_image");
	for (unsigned i = 0; s && i < ETL_FLT_SLOTS; i++)
		cJSON_AddNumberToObject(s, slot_name[i], (double)a->in_image_slot[i]);
	/* which slot is the FileObject, on what evidence (etl_fltpin.h) */
	cJSON *fo = cJSON_AddObjectToObject(o, "file_object");
	if (fo) {
		int pinned = a->state == ETL_FLT_DECODED && a->file_slot >= 0;
		if (pinned)
			cJSON_AddStringToObject(fo, "slot", slot_name[a->file_slot]);
		else
			cJSON_AddNullToObject(fo, "slot");
		cJSON_AddBoolToObject(fo, "pinned", pinned);
		cJSON_AddNumberToObject(fo, "records", (double)a->decided_valid);
		cJSON *m = cJSON_AddObjectToObject(fo, "matches");
		for (unsigned i = ETL_FLT_FILE_OBJECT; m && i < ETL_FLT_SLOTS; i++)
			cJSON_AddNumberToObject(m, slot_name[i], (double)a->pin_matches[i]);
		cJSON_AddNumberToObject(fo, "file_objects_seen", (double)a->objects.seen.n);
		cJSON_AddNumberToObject(fo, "file_objects_dropped", (double)a->objects.dropped);
	}
	cJSON_AddNumberToObject(o, "invalid_after_accept", (double)a->invalid_after_accept);
	cJSON_AddNumberToObject(o, "not_checked_after_reject", (double)a->after_reject);
	return o;
}
