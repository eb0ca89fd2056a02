/* etl_fltagg.h — minifilter delays of one trace: decides whether the trace proves the
 * candidate layout (etl_fltio.h), then aggregates the WPA "Mini-Filter Delays" table per
 * (filter module, major function, pre/post, process, file), the slowest delays, and the
 * per-slice facts (domain SINK_FACT_FLT) that the window/CPU/process/thread filter reads.
 *
 * Invariants:
 * - nothing is aggregated before the trace proved the layout: the first ETL_FLTAGG_PROBE
 *   decodable records (or all, if fewer) are checked (etl_fltio_check) and held; if at
 *   least 99 % of them pass, the valid ones are aggregated and every later record is
 *   checked again and aggregated only if it passes (failures counted); else the state is
 *   REJECTED and every later record is only counted (never a table of guessed numbers);
 * - a delay exists only for a completion (PreOpCompletion/PostOpCompletion): event time −
 *   InitialTime, both on the trace clock; Init events count, Failure events count;
 * - memory is bounded: at most ETL_FLTAGG_MAX_ROWS rows, later keys fold into one row per
 *   (module, major, pre/post) with pid SINK_PID_UNKNOWN and no file (rows_folded);
 * - a file is never guessed: the records that decide the layout also decide which pointer
 *   slot is the FileObject (etl_fltpin_choose over how many of them held, slot by slot, a
 *   FileObject the trace's FileIo events showed so far); rows and slowest delays carry
 *   the pinned slot's name, and no file at all when no slot was pinned (file_slot -1). */
#ifndef ETLSCOPE_ETL_FLTAGG_H
#define ETLSCOPE_ETL_FLTAGG_H
#include <stddef.h>
#include <stdint.h>
#include "etl_fltio.h"
#include "etl_fltpin.h"
#include "etl_slicefacts.h"
#include "sink.h"

#define ETL_FLTAGG_PROBE 256
#define ETL_FLTAGG_MAX_ROWS 65536u

enum etl_flt_state { ETL_FLT_ABSENT = 0, ETL_FLT_PROBING, ETL_FLT_DECODED, ETL_FLT_REJECTED };

/* One record as the ingest resolved it. */
struct etl_flt_rec {
	struct etl_fltio f;
	struct etl_flt_lookup lk;
	unsigned bad;          /* etl_fltio_check bits, 0 = fits */
	int64_t t_ns;          /* event time, trace-relative */
	uint64_t delay_ns;     /* completions that fit: event time − InitialTime */
	uint32_t pid, tid;
	uint16_t cpu;
	int32_t module;        /* sink id of RoutineAddr's image, -1 if none */
	/* per pointer slot: 1 if its value is a FileObject the trace's FileIo events showed
	 * so far (etl_fltpin_has), and then its name (lives as long as the name map) or NULL;
	 * the caller resolves names only for the slots etl_fltagg_name_slots asks for */
	uint8_t seen[ETL_FLT_SLOTS];
	const char *slot_file[ETL_FLT_SLOTS];
};

struct etl_fltagg_row { struct sink_flt_row r; uint8_t used; };

struct etl_fltagg {
	int state;             /* enum etl_flt_state */
	uint64_t events;       /* minifilter events seen (all six types) */
	uint64_t short_payloads; /* shorter than the candidate: counted, not checked */
	uint64_t checked, valid, fail_bits[ETL_FLTC_COUNT];
	uint64_t in_image_slot[ETL_FLT_SLOTS]; /* records whose slot i fell inside an image */
	uint64_t after_reject;  /* records after the layout was refused: counted only */
	uint64_t invalid_after_accept; /* records after acceptance that failed a check */
	uint64_t decided_at;    /* records checked when the decision was taken */
	uint64_t decided_valid;
	uint64_t type_fit[6];    /* records aggregated, by type − 0x60 */
	struct etl_flt_rec probe[ETL_FLTAGG_PROBE];
	size_t probe_n;
	struct etl_fltagg_row *rows; /* open addressing */
	size_t rows_cap, rows_n;
	uint64_t rows_folded;
	struct sink_flt_slow slow[SINK_FLT_SLOWEST];
	size_t slow_n;
	struct etl_fltpin objects;    /* FileObjects of the FileIo events (the caller feeds it) */
	uint64_t pin_matches[ETL_FLT_SLOTS]; /* deciding records whose slot i was seen */
	int file_slot;          /* the pinned FileObject slot, -1 none (from the decision on) */
	struct etl_slicefacts *facts; /* NULL: no per-slice facts */
	int rc;                 /* first error of the facts (negative), then no more */
};

void etl_fltagg_init(struct etl_fltagg *a);
void etl_fltagg_free(struct etl_fltagg *a);
/* A minifilter event whose payload was too short for the candidate. */
void etl_fltagg_short(struct etl_fltagg *a);
/* One decoded record (its checks done by the caller: rec->bad). 0, or -1 on ENOMEM or the
 * facts' negative value. */
int etl_fltagg_add(struct etl_fltagg *a, const struct etl_flt_rec *rec);
/* Bit i set: the caller should resolve slot i's name (rec->slot_file[i]) for the next
 * record — every FileObject candidate while the slot is undecided, then the pinned one
 * only, none when no slot was pinned or the layout was refused. */
unsigned etl_fltagg_name_slots(const struct etl_fltagg *a);
/* At the end: decide if still probing. 0 or negative as _add. */
int etl_fltagg_finish(struct etl_fltagg *a);
/* Rows, slowest delays and the warnings (layout refused, failures after acceptance,
 * FileObject slot not pinned) to the sink (callbacks may be NULL). 0 or the sink's negative value. */
int etl_fltagg_emit(const struct etl_fltagg *a, const struct ingest_sink *sink);
struct cJSON;
/* The summary's "minifilter" object (NULL when the trace has no minifilter event, or on
 * ENOMEM: the caller checks a->events). */
struct cJSON *etl_fltagg_summary(const struct etl_fltagg *a);
/* Name of a state: "absent", "probing", "decoded", "layout_rejected". */
const char *etl_fltagg_state_name(int state);

#endif
