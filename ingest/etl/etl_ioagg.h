/* etl_ioagg.h — disk I/O aggregation for one trace: file object → path (from the FileIo
 * name events), per (disk, op, process, file) counts, bytes and latency histograms, the
 * slowest I/Os, and per-type event counts of DiskIo and FileIo; emitted to the sink at the
 * end (sink.h "Disk and file I/O").
 *
 * Invariants: memory is bounded — at most ETL_IOAGG_MAX_NAMES names holding at most
 * ETL_IOAGG_MAX_NAME_BYTES bytes (later names are dropped and counted), at most
 * ETL_IOAGG_MAX_ROWS rows (later keys fold into one row per (disk, op) with pid
 * SINK_PID_UNKNOWN and no file, counted); a name string, once stored, lives until _free,
 * so rows may keep pointers to names that a later name event replaced; queue depth is
 * kept for the first ETL_IOAGG_QUEUE_DISKS disk numbers only. */
#ifndef ETLSCOPE_ETL_IOAGG_H
#define ETLSCOPE_ETL_IOAGG_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "etl_keymap.h"
#include "sink.h"
#include "etl_diskio.h"
#include "etl_fileio.h"
#include "etl_slicefacts.h"
#include "etl_fltpin.h"
#include "etl_u64map.h"

#define ETL_IOAGG_MAX_NAMES (1u << 20)
#define ETL_IOAGG_MAX_NAME_BYTES (64u << 20)
#define ETL_IOAGG_MAX_ROWS 65536u
#define ETL_IOAGG_QUEUE_DISKS 16

/* A row of the table: a disk I/O row, or (disk = ETL_IOAGG_FILE_ROW, op = FileIo type) a
 * file operation row, whose completed count lives beside it. */
#define ETL_IOAGG_FILE_ROW UINT32_MAX
struct etl_ioagg_row { struct sink_disk_io_row r; uint64_t completed; uint8_t used; };
/* A file operation waiting for its OperationEnd: irp 0 = empty, tomb = deleted. */
struct etl_ioagg_pending { uint64_t irp; int64_t t_ns; uint32_t pid, tid; uint16_t cpu; const char *file; uint8_t op, tomb; };
#define ETL_IOAGG_MAX_PENDING 65536u
struct etl_ioagg_slow { struct sink_disk_io_slow s; };

struct etl_ioagg {
	struct etl_u64map names;        /* file object / key → index of its path in strings */
	size_t name_bytes;
	char **strings;                 /* every stored path (a replaced one too), for _free */
	size_t strings_n, strings_cap;
	struct etl_ioagg_row *rows;     /* open addressing by (disk, op, pid, file pointer) */
	size_t rows_cap, rows_n;
	struct sink_disk_io_slow slow[SINK_DISKIO_SLOWEST];
	size_t slow_n;
	uint64_t type_count[2][256], type_undecoded[2][256]; /* [0] DiskIo, [1] FileIo */
	uint64_t names_dropped, rows_folded;
	/* queue depth (sink.h sink_disk_queue) of disks 0 .. ETL_IOAGG_QUEUE_DISKS-1; others
	 * are counted in queue_disks_skipped */
	int64_t span_ns;
	double queue[ETL_IOAGG_QUEUE_DISKS][SINK_DISKIO_SLICES];
	uint8_t queue_used[ETL_IOAGG_QUEUE_DISKS];
	uint64_t queue_disks_skipped;
	struct etl_ioagg_pending *pending; /* open addressing by IrpPtr */
	size_t pending_cap, pending_n, pending_tombs;
	uint64_t pending_dropped, opend_unmatched;
	/* per-slice facts (etl_slicefacts.h DISK, FILE); NULL: none. cpu: the CPU of the event
	 * being fed (etl_ioagg_event sets it before the calls below) */
	struct etl_slicefacts *facts;
	uint16_t cpu;
	/* pass 2: every FileObject (with its FileKey) of a decoded FileIo event is noted here,
	 * the evidence that pins the minifilter FileObject slot (etl_fltpin.h); NULL: none */
	struct etl_fltpin *file_objects;
	/* one-pass ingest: keys whose name lookup found none are noted here, and late_name
	 * is set when a name comes for such a key (NULL: not recorded) */
	struct etl_keyset *missed_names;
	int late_name;
	/* one-pass ingest: queued I/Os kept (at most ETL_IOAGG_DEFER_MAX, then `deferred_lost`)
	 * until etl_ioagg_set_span spreads them over the span known at the end, in the order
	 * they came — as two passes spread them as they come. Memory: ETL_IOAGG_DEFER_BUF of
	 * them (deferred, allocated at the first); a full buffer is appended to an unlinked
	 * temporary file (spill, tmpfile(3)) and read back in order at the end, so a long
	 * busy trace costs disk (24 bytes an I/O), not RSS. A failed write sets deferred_lost. */
	struct etl_ioagg_deferred { uint32_t disk; int64_t t_ns; uint64_t duration_ns; } *deferred;
	size_t deferred_n, spilled_n;
	FILE *spill;
	int defer, deferred_lost;
};
/* queued I/Os held in memory before the rest go to the temporary file: 4 Ki, 96 KiB */
#define ETL_IOAGG_DEFER_BUF ((size_t)1 << 12)
/* queued I/Os kept at most (memory and file): 16 Mi, 384 MiB of temporary file — a
 * 24-CPU server at 3 k disk I/Os a second for 90 minutes; more: a redo in two passes */
#define ETL_IOAGG_DEFER_MAX ((size_t)1 << 24)

void etl_ioagg_init(struct etl_ioagg *a);
void etl_ioagg_free(struct etl_ioagg *a);
/* Count one DiskIo (group 1) or FileIo (group 4) event; decoded = 0 if it was not. */
void etl_ioagg_count(struct etl_ioagg *a, int group, uint8_t type, int decoded);
/* The name of a file object or key at this point of the trace, NULL if none (one pass:
 * noted, so a later name means redo). */
const char *etl_ioagg_file_name(struct etl_ioagg *a, uint64_t key);
/* A name event: key (file object / file key) → path. 0, or -1 on ENOMEM. */
int etl_ioagg_name(struct etl_ioagg *a, uint64_t key, const char *path);
/* The trace's span [0, span_ns] for the queue-depth slices; before the first _disk call,
 * or (defer set) at the end, when the I/Os kept are spread (deferred_lost set after it:
 * some were lost, the queue depths are not whole). */
void etl_ioagg_set_span(struct etl_ioagg *a, int64_t span_ns);
/* One disk I/O completion (Read/Write/Flush); pid/tid of the issuing thread
 * (SINK_PID_UNKNOWN if unknown). 0, or -1 on ENOMEM. */
int etl_ioagg_disk(struct etl_ioagg *a, const struct etl_diskio *d, int64_t t_ns,
		   uint64_t duration_ns, uint32_t pid, uint32_t tid);
struct etl_reader;
struct etl_tidmap;
/* One event of group 1 (DiskIo) or 4 (FileIo). Pass 1 (file order) counts it per type and
 * takes the names; pass 2 (time order) takes the names again, so each I/O sees the name
 * current at its time, and aggregates the disk I/O completions. 0, or -1 on ENOMEM. */
int etl_ioagg_event_io(struct etl_ioagg *a, const struct etl_event *ev, int group, int pass2,
		       const struct etl_tidmap *tids, const struct etl_reader *r);
/* Any event: the two groups above go on to etl_ioagg_event_io; the rest only set a->cpu.
 * Inline: called twice for every event, and for a DPC-only trace the out-of-line call's
 * prologue alone was ~2 % of the parse's instructions. */
static inline int etl_ioagg_event(struct etl_ioagg *a, const struct etl_event *ev, int group,
				  int pass2, const struct etl_tidmap *tids,
				  const struct etl_reader *r)
{
	a->cpu = ev->cpu;
	if (group != ETL_GROUP_FILEIO && group != ETL_GROUP_DISKIO)
		return 0;
	return etl_ioagg_event_io(a, ev, group, pass2, tids, r);
}
struct etl_fileio;
/* A FileIo operation (not a name event, not OperationEnd) started at t_ns by pid. A Create
 * names its file object with its OpenPath. 0, or -1 on ENOMEM. */
int etl_ioagg_file_op(struct etl_ioagg *a, const struct etl_fileio *f, int64_t t_ns, uint32_t pid);
/* An OperationEnd at t_ns: completes the operation with the same IrpPtr (else counted as
 * unmatched). 0, or -1 on ENOMEM. */
int etl_ioagg_file_end(struct etl_ioagg *a, const struct etl_fileio *f, int64_t t_ns);
/* Rows, slowest I/Os, then type counts to the sink (callbacks may be NULL). 0 or the
 * sink's negative value. */
int etl_ioagg_emit(const struct etl_ioagg *a, const struct ingest_sink *sink);
/* Histogram bucket of a duration (sink.h SINK_DISKIO_BUCKETS). */
unsigned etl_ioagg_bucket(uint64_t duration_ns);

#endif
