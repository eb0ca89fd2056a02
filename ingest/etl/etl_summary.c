/* etl_summary.c — the run's facts as a cJSON summary (header values, group masks, counts per
 * event kind and header type) and the warnings (truncation, lost events, undecodable data,
 * DPC/ISR tracing off). */
#include <inttypes.h>
#include <stdio.h>
#include <cjson/cJSON.h>
#include "etl_summary.h"
#include "etl_fltagg.h"
#include "etl_merge.h"
#include "etl_logfile.h"

#define FILETIME_UNIX_EPOCH 116444736000000000ull
#define PROCESS_ROWS 256 /* processes listed, most samples first */

static double filetime_to_unix_us(uint64_t ft)
{
	if (ft < FILETIME_UNIX_EPOCH)
		return 0;
	return (double)((ft - FILETIME_UNIX_EPOCH) / 10);
}

/* Buffers that failed to decode (those skipped for the limits are counted apart). */
static uint64_t undecodable(const struct etl_summary_facts *f)
{
	return f->reader.bad_buffers - f->reader.limit_buffers;
}

static uint64_t unknown_count(const struct etl_summary_facts *f)
{
	return f->reader.malformed_buffers + undecodable(f) + f->malformed_events +
	       f->dpcisr_malformed;
}

static uint64_t limit_buffers(const struct etl_summary_facts *f)
{
	return f->reader.limit_buffers > f->merge_limit_buffers ? f->reader.limit_buffers
							       : f->merge_limit_buffers;
}

int etl_summary_partial(const struct etl_summary_facts *f)
{
	return f->reader.truncated || f->reader.io_error || f->reader.damaged_times ||
	       f->dpcisr_damaged || limit_buffers(f);
}

static int dpcisr_enabled(const struct etl_reader *r, const struct etl_summary_facts *f)
{
	uint64_t seen = f->kind_counts[ETL_K_DPC] + f->kind_counts[ETL_K_THREADED_DPC] +
			f->kind_counts[ETL_K_TIMER_DPC] + f->kind_counts[ETL_K_ISR] +
			f->kind_counts[ETL_K_ISR_MSI];
	return seen > 0 || (r->have_masks && etl_groupmask_dpcisr(r->masks));
}

static const char *compression_name(int fmt)
{
	switch (fmt) {
	case 2: return "lznt1";
	case 3: return "xpress";
	case 4: return "xpress_huffman";
	default: return "unknown";
	}
}

cJSON *etl_summary_build(const struct etl_reader *r, const struct etl_summary_facts *f)
{
	const struct etl_logfile *lf = &r->lf;
	cJSON *s = cJSON_CreateObject();
	if (!s)
		return NULL;
	char buf[64];
	cJSON_AddStringToObject(s, "format", "etl");
	cJSON_AddNumberToObject(s, "os_build", lf->build);
	snprintf(buf, sizeof buf, "%u.%u", lf->version & 0xFF, (lf->version >> 8) & 0xFF);
	cJSON_AddStringToObject(s, "os_version", buf);
	snprintf(buf, sizeof buf, "0x%08" PRIx32, lf->version);
	cJSON_AddStringToObject(s, "header_version", buf);
	cJSON_AddNumberToObject(s, "cpus", lf->cpus);
	cJSON_AddNumberToObject(s, "pointer_size", lf->pointer_size);
	cJSON_AddNumberToObject(s, "clock_type", lf->clock_type);
	cJSON_AddNumberToObject(s, "qpc_frequency", (double)lf->perf_freq);
	cJSON_AddNumberToObject(s, "cpu_mhz", lf->cpu_mhz);
	cJSON_AddNumberToObject(s, "timer_resolution", lf->timer_resolution);
	double start_us = filetime_to_unix_us(lf->start_time);
	cJSON_AddNumberToObject(s, "start_utc_us", start_us);
	double dur_us = 0;
	if (f->have_ts && f->last_ts > lf->header_timestamp)
		dur_us = (double)(etl_reader_ticks_to_ns(r, f->last_ts - lf->header_timestamp) / 1000);
	cJSON_AddNumberToObject(s, "duration_us", dur_us);
	cJSON_AddNumberToObject(s, "end_utc_us", start_us + dur_us);
	cJSON_AddNumberToObject(s, "header_end_utc_us", filetime_to_unix_us(lf->end_time));
	cJSON_AddNumberToObject(s, "boot_utc_us", filetime_to_unix_us(lf->boot_time));
	cJSON_AddNumberToObject(s, "timezone_bias_min", lf->tz_bias);
	cJSON_AddNumberToObject(s, "buffer_size", lf->buffer_size);
	cJSON_AddNumberToObject(s, "buffers_written", lf->buffers_written);
	cJSON_AddNumberToObject(s, "buffers", (double)f->reader.buffers);
	int compressed = (lf->log_file_mode & ETL_LOGFILE_MODE_COMPRESSED) ||
			 f->reader.compressed_buffers > 0;
	cJSON_AddBoolToObject(s, "compressed", compressed);
	cJSON_AddNumberToObject(s, "compressed_buffers", (double)f->reader.compressed_buffers);
	cJSON_AddNumberToObject(s, "compression_format",
				compressed ? r->walker.compression_format : 0);
	if (compressed)
		cJSON_AddStringToObject(s, "compression_format_name",
					compression_name(r->walker.compression_format));
	cJSON_AddNumberToObject(s, "events_lost", lf->events_lost);
	cJSON_AddNumberToObject(s, "buffers_lost", lf->buffers_lost);
	cJSON_AddNumberToObject(s, "buffers_flagged_lost", (double)f->reader.buffers_events_lost);
	cJSON_AddStringToObject(s, "logger_name", lf->logger_name);
	cJSON_AddStringToObject(s, "log_file_name", lf->log_file_name);
	cJSON_AddNumberToObject(s, "log_file_mode", lf->log_file_mode);
	cJSON_AddBoolToObject(s, "relogged", (lf->log_file_mode & ETL_LOGFILE_MODE_RELOG) != 0);
	cJSON_AddBoolToObject(s, "circular", (lf->log_file_mode & ETL_LOGFILE_MODE_CIRCULAR) != 0);
	if (f->computer_name[0]) { /* from the SystemConfig rundown (etl_kernel.c) */
		cJSON_AddStringToObject(s, "computer_name", f->computer_name);
		/* "machines" is the run's machine field, as in perfmon runs (run list, run page) */
		cJSON *m = cJSON_AddArrayToObject(s, "machines");
		if (m)
			cJSON_AddItemToArray(m, cJSON_CreateString(f->computer_name));
	}

	cJSON *masks = cJSON_AddArrayToObject(s, "group_masks");
	cJSON *groups = cJSON_AddArrayToObject(s, "kernel_groups");
	if (masks && groups && r->have_masks) {
		const char *names[64];
		for (int i = 0; i < 8; i++)
			cJSON_AddItemToArray(masks, cJSON_CreateNumber(r->masks[i]));
		int n = etl_groupmask_names(r->masks, names, 64);
		for (int i = 0; i < n; i++)
			cJSON_AddItemToArray(groups, cJSON_CreateString(names[i]));
	}
	cJSON_AddBoolToObject(s, "group_masks_present", r->have_masks);
	cJSON_AddBoolToObject(s, "dpcisr_enabled", dpcisr_enabled(r, f));
	cJSON_AddBoolToObject(s, "partial", etl_summary_partial(f));

	cJSON_AddNumberToObject(s, "events", (double)f->reader.events);
	/* counts: one number per event kind, disjoint, so they add up to "events"; the
	 * StackWalk roll-up of its kinds stands beside it, not inside it. */
	uint64_t stack = 0;
	for (int k = ETL_K_STACK; k <= ETL_K_STACK_KEY_USER; k++)
		stack += f->kind_counts[k];
	cJSON_AddNumberToObject(s, "stackwalk_events", (double)stack);
	cJSON *counts = cJSON_AddObjectToObject(s, "counts");
	if (counts) {
		for (int k = 1; k < ETL_K_COUNT; k++) {
			if (f->kind_counts[k])
				cJSON_AddNumberToObject(counts, etl_kernel_kind_name(k),
							(double)f->kind_counts[k]);
		}
		for (int g = 0; g < 256; g++) {
			if (!f->group_counts[g])
				continue;
			const char *gn = etl_kernel_group_name(g);
			char name[48];
			if (gn)
				snprintf(name, sizeof name, "%sOther", gn);
			else
				snprintf(name, sizeof name, "KernelGroup%d", g);
			cJSON_AddNumberToObject(counts, name, (double)f->group_counts[g]);
		}
		if (f->classic_events)
			cJSON_AddNumberToObject(counts, "Classic", (double)f->classic_events);
		if (f->manifest_events)
			cJSON_AddNumberToObject(counts, "Manifest", (double)f->manifest_events);
		if (f->other_events)
			cJSON_AddNumberToObject(counts, "Other", (double)f->other_events);
	}
	cJSON *ht = cJSON_AddObjectToObject(s, "header_types");
	if (ht)
		for (int i = 0; i < 32; i++)
			if (f->reader.by_header_type[i])
				cJSON_AddNumberToObject(ht, etl_header_type_name((uint8_t)i),
							(double)f->reader.by_header_type[i]);
	cJSON_AddNumberToObject(s, "unknown", (double)unknown_count(f));
	cJSON_AddNumberToObject(s, "malformed_buffers", (double)f->reader.malformed_buffers);
	cJSON_AddNumberToObject(s, "bad_buffers", (double)undecodable(f));
	cJSON_AddNumberToObject(s, "limit_buffers", (double)limit_buffers(f));
	cJSON_AddNumberToObject(s, "damaged_events",
				(double)(f->reader.damaged_times + f->dpcisr_damaged));
	cJSON_AddNumberToObject(s, "malformed_events", (double)(f->malformed_events + f->dpcisr_malformed));
	cJSON_AddNumberToObject(s, "skipped_records", (double)f->reader.skipped);
	cJSON_AddNumberToObject(s, "modules", (double)f->modules);
	cJSON_AddNumberToObject(s, "kernel_sys_images", (double)f->kernel_sys_images);
	cJSON_AddNumberToObject(s, "kernel_sys_image_events", (double)f->kernel_sys_image_events);
	cJSON_AddNumberToObject(s, "dpcisr_records", (double)f->dpcisr_emitted);
	cJSON_AddNumberToObject(s, "dpcisr_unresolved", (double)f->dpcisr_unresolved);
	cJSON_AddNumberToObject(s, "cpu_samples", (double)f->samples_emitted);
	cJSON_AddNumberToObject(s, "cpu_samples_with_stack", (double)f->samples_with_stack);
	cJSON_AddNumberToObject(s, "stack_events_matched", (double)f->stack_events_matched);
	cJSON_AddNumberToObject(s, "cpu_samples_in_dpcisr_interval",
				(double)f->samples_in_dpcisr_interval);
	cJSON_AddNumberToObject(s, "stack_keys_unresolved", (double)f->stack_keys_unresolved);
	cJSON_AddNumberToObject(s, "stack_events_unmatched", (double)f->stack_events_unmatched);
	cJSON_AddNumberToObject(s, "stack_events_late", (double)f->stack_events_late);
	cJSON_AddNumberToObject(s, "cpu_samples_without_stack",
				(double)(f->samples_emitted - f->samples_with_stack));
	cJSON_AddNumberToObject(s, "cpu_samples_out_of_order", (double)f->samples_out_of_order);
	cJSON_AddNumberToObject(s, "stack_window_shed", (double)f->stack_window_shed);
	if (f->merge_late_buffers)
		cJSON_AddNumberToObject(s, "buffers_merged_late", (double)f->merge_late_buffers);
	if (f->passes) {
		cJSON *p = cJSON_AddObjectToObject(s, "ingest_passes");
		if (p) {
			cJSON_AddStringToObject(p, "mode", f->passes);
			if (!f->redo_reason)
				cJSON_AddNumberToObject(p, "deferred_samples",
							(double)f->deferred_samples);
			if (f->redo_reason) {
				cJSON_AddStringToObject(p, "redo_reason", f->redo_reason);
				cJSON_AddNumberToObject(p, "redo_at_ns", (double)f->redo_at_ns);
			}
		}
	}
	cJSON_AddNumberToObject(s, "idle_samples", (double)f->idle_samples);
	cJSON_AddNumberToObject(s, "samples_unknown_process", (double)f->samples_unknown_process);
	cJSON_AddNumberToObject(s, "implausible_image_events", (double)f->implausible_images);
	if (f->unknown_kernel)
		cJSON_AddItemToObject(s, "unknown_kernel_addresses", etl_addrs_json(f->unknown_kernel));
	if (f->unknown_user)
		cJSON_AddItemToObject(s, "user_code_without_image", etl_addrs_json(f->unknown_user));
	if (f->flt && f->flt->events) /* which way the minifilter layout went (etl_fltagg.h) */
		cJSON_AddItemToObject(s, "minifilter", etl_fltagg_summary(f->flt));
	if (f->procs) {
		size_t omitted = 0;
		cJSON *procs = etl_procstats_json(f->procs, PROCESS_ROWS, &omitted);
		if (procs) {
			cJSON_AddItemToObject(s, "processes", procs);
			cJSON_AddNumberToObject(s, "processes_omitted", (double)omitted);
		}
	}
	return s;
}

static int warn(const struct ingest_sink *sink, const char *code, const char *msg)
{
	return sink->warning ? sink->warning(sink->ud, code, msg) : 0;
}

int etl_summary_emit(const struct etl_reader *r, const struct etl_summary_facts *f,
		     const struct ingest_sink *sink, struct ingest_error *err)
{
	char msg[256];
	int rc;
	if (f->reader.truncated || f->reader.io_error) {
		snprintf(msg, sizeof msg, "the trace is cut short after %" PRIu64
			 " buffers (header says %u): results are partial",
			 f->reader.buffers, r->lf.buffers_written);
		if ((rc = warn(sink, "truncated", msg)) < 0)
			return rc;
	}
	if (r->lf.events_lost || r->lf.buffers_lost || f->reader.buffers_events_lost) {
		snprintf(msg, sizeof msg, "the trace session lost %u events and %u buffers "
			 "(%" PRIu64 " buffers flagged): counts are under-estimates",
			 r->lf.events_lost, r->lf.buffers_lost, f->reader.buffers_events_lost);
		if ((rc = warn(sink, "events_lost", msg)) < 0)
			return rc;
	}
	int fmt = r->walker.compression_format;
	if (undecodable(f) && (fmt == 2 || fmt == 4)) {
		/* Every sample and every xperf/WPR -compress seen uses XPRESS (3); say plainly
		 * that this one is different rather than call its buffers damaged. */
		snprintf(msg, sizeof msg, "%" PRIu64 " buffers are compressed with %s, which "
			 "etlscope does not decode; they were skipped (the file's other buffers "
			 "were read)", undecodable(f), fmt == 2 ? "LZNT1" : "XPRESS Huffman");
		if ((rc = warn(sink, "unsupported_compression", msg)) < 0)
			return rc;
	} else if (undecodable(f)) {
		snprintf(msg, sizeof msg, "%" PRIu64 " buffers could not be decompressed and were "
			 "skipped", undecodable(f));
		if ((rc = warn(sink, "bad_buffer", msg)) < 0)
			return rc;
	}
	if (limit_buffers(f)) {
		snprintf(msg, sizeof msg, "%" PRIu64 " compressed buffers would expand beyond %ux "
			 "their size or beyond the reader's memory budget; they were not read and "
			 "results are partial", limit_buffers(f), ETL_XPRESS_MAX_RATIO);
		if ((rc = warn(sink, "buffer_limit", msg)) < 0)
			return rc;
	}
	if (f->reader.damaged_times || f->dpcisr_damaged) {
		snprintf(msg, sizeof msg, "%" PRIu64 " events had timestamps outside the trace's "
			 "time span or out of order, and %" PRIu64 " DPC/ISR records had impossible "
			 "start times or durations; they were dropped as damaged and results are "
			 "partial", f->reader.damaged_times, f->dpcisr_damaged);
		if ((rc = warn(sink, "damaged_time", msg)) < 0)
			return rc;
	}
	if (unknown_count(f) - undecodable(f)) {
		snprintf(msg, sizeof msg, "%" PRIu64 " buffers had undecodable records and %" PRIu64
			 " events had malformed payloads; they were skipped",
			 f->reader.malformed_buffers, f->malformed_events + f->dpcisr_malformed);
		if ((rc = warn(sink, "unknown_event", msg)) < 0)
			return rc;
	}
	if (f->implausible_images) {
		snprintf(msg, sizeof msg, "%" PRIu64 " image events were implausible (empty name, "
			 "size 0, an address range past the pointer width or an impossible process "
			 "id) and were not taken as modules", f->implausible_images);
		if ((rc = warn(sink, "implausible_image", msg)) < 0)
			return rc;
	}
	if (f->merge_late_buffers) {
		snprintf(msg, sizeof msg, "%" PRIu64 " buffers were found further from their "
			 "place in the file than the reader looks ahead (%u buffers): their events "
			 "were read after later ones of other CPUs", f->merge_late_buffers,
			 ETL_MERGE_LOOKAHEAD);
		if ((rc = warn(sink, "buffers_late", msg)) < 0)
			return rc;
	}
	if (f->stack_events_late || f->samples_out_of_order) {
		snprintf(msg, sizeof msg, "%" PRIu64 " stack events came too late to meet their "
			 "sample and %" PRIu64 " samples arrived out of time order: inclusive counts "
			 "miss those stacks", f->stack_events_late, f->samples_out_of_order);
		if ((rc = warn(sink, "stacks_unmatched", msg)) < 0)
			return rc;
	}
	if (!dpcisr_enabled(r, f)) {
		snprintf(msg, sizeof msg, "DPC/ISR tracing was not enabled in this trace%s",
			 r->have_masks ? " (kernel group masks have neither DPC nor INTERRUPT)" : "");
		if ((rc = warn(sink, "dpcisr_disabled", msg)) < 0)
			return rc;
	}
	cJSON *s = etl_summary_build(r, f);
	if (!s) {
		ingest_error_set(err, "out of memory while building the summary");
		return INGEST_ENOMEM;
	}
	rc = sink->summary ? sink->summary(sink->ud, s) : 0;
	cJSON_Delete(s);
	return rc < 0 ? rc : INGEST_OK;
}
