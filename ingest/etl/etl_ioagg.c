/* etl_ioagg.c — disk I/O aggregation (see etl_ioagg.h for the bounds). */
#include <stdlib.h>
#include <string.h>
#include "etl_fileio.h"
#include "etl_grow.h"
#include "etl_ioagg.h"
#include "etl_reader.h"
#include "etl_tidmap.h"

void etl_ioagg_init(struct etl_ioagg *a)
{
	memset(a, 0, sizeof *a);
}

void etl_ioagg_free(struct etl_ioagg *a)
{
	for (size_t i = 0; i < a->strings_n; i++)
		free(a->strings[i]);
	free(a->strings);
	etl_u64map_clear(&a->names);
	free(a->rows);
	free(a->pending);
	free(a->deferred);
	if (a->spill)
		fclose(a->spill);
	memset(a, 0, sizeof *a);
}

void etl_ioagg_count(struct etl_ioagg *a, int group, uint8_t type, int decoded)
{
	int g = group == ETL_GROUP_DISKIO ? 0 : 1;
	a->type_count[g][type]++;
	if (!decoded)
		a->type_undecoded[g][type]++;
}

static size_t hash64(uint64_t k, size_t cap)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (size_t)(k & (cap - 1));
}

static const char *name_of(const struct etl_ioagg *a, uint64_t key)
{
	if (!key)
		return NULL;
	const struct etl_u64map_slot *e = etl_u64map_find(&a->names, key);
	const char *path = e ? a->strings[e->val] : NULL;
	if (!path && a->missed_names)
		etl_keyset_note(a->missed_names, key, 0);
	return path;
}

const char *etl_ioagg_file_name(struct etl_ioagg *a, uint64_t key)
{
	return name_of(a, key);
}

int etl_ioagg_name(struct etl_ioagg *a, uint64_t key, const char *path)
{
	size_t len = strlen(path);
	if (!key || !len)
		return 0;
	if (a->missed_names && etl_keyset_has(a->missed_names, key, 0))
		a->late_name = 1; /* an I/O before went without this name */
	const struct etl_u64map_slot *old = etl_u64map_find(&a->names, key);
	if (old && strcmp(a->strings[old->val], path) == 0)
		return 0;
	if (a->names.n >= ETL_IOAGG_MAX_NAMES || a->name_bytes + len + 1 > ETL_IOAGG_MAX_NAME_BYTES) {
		a->names_dropped++;
		return 0;
	}
	if (etl_grow((void **)&a->strings, &a->strings_cap, a->strings_n + 1, sizeof(char *)))
		return -1;
	char *s = malloc(len + 1);
	if (!s)
		return -1;
	struct etl_u64map_slot *e = etl_u64map_add(&a->names, key, NULL);
	if (!e) {
		free(s);
		return -1;
	}
	memcpy(s, path, len + 1);
	e->val = a->strings_n;
	a->strings[a->strings_n++] = s;
	a->name_bytes += len + 1;
	return 0;
}

unsigned etl_ioagg_bucket(uint64_t duration_ns)
{
	uint64_t us = duration_ns / 1000;
	unsigned b = 0;
	while (us && b < SINK_DISKIO_BUCKETS - 1) {
		us >>= 1;
		b++;
	}
	return b;
}

static size_t row_hash(uint32_t disk, uint8_t op, uint32_t pid, const char *file, size_t cap)
{
	uint64_t k = ((uint64_t)disk << 40) ^ ((uint64_t)op << 32) ^ pid ^
		     ((uint64_t)(uintptr_t)file * 0x9e3779b97f4a7c15ull);
	return hash64(k ? k : 1, cap);
}

static struct etl_ioagg_row *row_slot(struct etl_ioagg_row *t, size_t cap, uint32_t disk,
				      uint8_t op, uint32_t pid, const char *file)
{
	size_t i = row_hash(disk, op, pid, file, cap);
	while (t[i].used && !(t[i].r.disk == disk && t[i].r.op == op && t[i].r.pid == pid &&
			      t[i].r.file == file))
		i = (i + 1) & (cap - 1);
	return &t[i];
}

static int rows_room(struct etl_ioagg *a)
{
	if ((a->rows_n + 1) * 2 <= a->rows_cap)
		return 0;
	size_t ncap = a->rows_cap ? a->rows_cap * 2 : 256;
	struct etl_ioagg_row *t = calloc(ncap, sizeof *t);
	if (!t)
		return -1;
	for (size_t i = 0; i < a->rows_cap; i++)
		if (a->rows[i].used) {
			const struct sink_disk_io_row *r = &a->rows[i].r;
			*row_slot(t, ncap, r->disk, r->op, r->pid, r->file) = a->rows[i];
		}
	free(a->rows);
	a->rows = t;
	a->rows_cap = ncap;
	return 0;
}

static void keep_slowest(struct etl_ioagg *a, const struct sink_disk_io_slow *s)
{
	size_t n = a->slow_n;
	if (n == SINK_DISKIO_SLOWEST) {
		if (s->duration_ns <= a->slow[n - 1].duration_ns)
			return;
		n--; /* drop the fastest of the kept */
	}
	size_t i = n;
	while (i > 0 && a->slow[i - 1].duration_ns < s->duration_ns) {
		a->slow[i] = a->slow[i - 1];
		i--;
	}
	a->slow[i] = *s;
	a->slow_n = n + 1;
}


/* Spread the outstanding interval [t - duration, t], clipped to [0, span], over the slices. */
static void spread(struct etl_ioagg *a, uint32_t disk, int64_t t_ns, uint64_t duration_ns);

/* A queued I/O: spread now, or kept for the end (defer): in the buffer, which goes to the
 * temporary file whenever it is full. */
static void add_queue(struct etl_ioagg *a, uint32_t disk, int64_t t_ns, uint64_t duration_ns)
{
	if (!a->defer) {
		spread(a, disk, t_ns, duration_ns);
		return;
	}
	if (a->deferred_lost)
		return;
	if (!a->deferred && !(a->deferred = malloc(ETL_IOAGG_DEFER_BUF * sizeof *a->deferred))) {
		a->deferred_lost = 1;
		return;
	}
	if (a->deferred_n == ETL_IOAGG_DEFER_BUF) {
		if (a->spilled_n + a->deferred_n >= ETL_IOAGG_DEFER_MAX ||
		    (!a->spill && !(a->spill = tmpfile())) ||
		    fwrite(a->deferred, sizeof *a->deferred, a->deferred_n, a->spill) !=
			    a->deferred_n) {
			a->deferred_lost = 1;
			return;
		}
		a->spilled_n += a->deferred_n;
		a->deferred_n = 0;
	}
	a->deferred[a->deferred_n++] = (struct etl_ioagg_deferred){disk, t_ns, duration_ns};
}

/* The spilled I/Os back from the file, in the order they came, then the buffer's. */
static void spread_deferred(struct etl_ioagg *a)
{
	size_t n = a->deferred_n;
	if (a->spill && a->spilled_n) {
		/* the buffer's own I/Os go after the file's: keep them at its end meanwhile */
		struct etl_ioagg_deferred *tail = malloc((n ? n : 1) * sizeof *tail);
		if (!tail || fflush(a->spill) || fseek(a->spill, 0, SEEK_SET)) {
			free(tail);
			a->deferred_lost = 1;
			return;
		}
		memcpy(tail, a->deferred, n * sizeof *tail);
		for (size_t left = a->spilled_n; left;) {
			size_t k = left < ETL_IOAGG_DEFER_BUF ? left : ETL_IOAGG_DEFER_BUF;
			if (fread(a->deferred, sizeof *a->deferred, k, a->spill) != k) {
				a->deferred_lost = 1;
				break;
			}
			for (size_t i = 0; i < k; i++)
				spread(a, a->deferred[i].disk, a->deferred[i].t_ns,
				       a->deferred[i].duration_ns);
			left -= k;
		}
		memcpy(a->deferred, tail, n * sizeof *tail);
		free(tail);
	}
	for (size_t i = 0; i < n; i++)
		spread(a, a->deferred[i].disk, a->deferred[i].t_ns, a->deferred[i].duration_ns);
}

void etl_ioagg_set_span(struct etl_ioagg *a, int64_t span_ns)
{
	a->span_ns = span_ns > 0 ? span_ns : 0;
	if (a->defer && !a->deferred_lost)
		spread_deferred(a);
	if (a->spill)
		fclose(a->spill);
	a->spill = NULL;
	a->deferred_n = a->spilled_n = 0;
	a->defer = 0;
}

static void spread(struct etl_ioagg *a, uint32_t disk, int64_t t_ns, uint64_t duration_ns)
{
	if (disk >= ETL_IOAGG_QUEUE_DISKS) {
		a->queue_disks_skipped++;
		return;
	}
	if (!a->span_ns)
		return;
	double slice = (double)a->span_ns / SINK_DISKIO_SLICES;
	double hi = (double)t_ns, lo = hi - (double)duration_ns;
	if (lo < 0)
		lo = 0;
	if (hi > (double)a->span_ns)
		hi = (double)a->span_ns;
	a->queue_used[disk] = 1;
	for (int i = (int)(lo / slice); lo < hi && i < SINK_DISKIO_SLICES; i++) {
		double end = (i + 1) * slice;
		double part = (hi < end ? hi : end) - lo;
		a->queue[disk][i] += part;
		lo += part;
	}
}

/* The row of (disk, op, pid, file), created if new; past the row bound a new key folds
 * into (disk, op, unknown process, no file). NULL on ENOMEM. */
static struct etl_ioagg_row *row_get(struct etl_ioagg *a, uint32_t disk, uint8_t op,
				     uint32_t pid, const char *file)
{
	if (rows_room(a))
		return NULL;
	struct etl_ioagg_row *e = row_slot(a->rows, a->rows_cap, disk, op, pid, file);
	if (!e->used && a->rows_n >= ETL_IOAGG_MAX_ROWS) {
		a->rows_folded++;
		pid = SINK_PID_UNKNOWN;
		file = NULL;
		e = row_slot(a->rows, a->rows_cap, disk, op, pid, file);
	}
	if (!e->used) {
		memset(e, 0, sizeof *e);
		e->used = 1;
		e->r.disk = disk;
		e->r.op = op;
		e->r.pid = pid;
		e->r.file = file;
		a->rows_n++;
	}
	return e;
}

static void add_time(struct sink_disk_io_row *r, uint64_t duration_ns)
{
	r->total_ns += duration_ns;
	if (duration_ns > r->max_ns)
		r->max_ns = duration_ns;
	r->hist[etl_ioagg_bucket(duration_ns)]++;
}

int etl_ioagg_disk(struct etl_ioagg *a, const struct etl_diskio *d, int64_t t_ns,
		   uint64_t duration_ns, uint32_t pid, uint32_t tid)
{
	add_queue(a, d->disk, t_ns, duration_ns);
	const char *file = name_of(a, d->file_object);
	struct etl_ioagg_row *e = row_get(a, d->disk, d->op, pid, file);
	if (!e)
		return -1;
	e->r.count++;
	e->r.bytes += d->size;
	add_time(&e->r, duration_ns);
	struct sink_disk_io_slow s = {t_ns, duration_ns, d->disk, d->op, e->r.pid, tid,
				      (uint64_t)d->offset, d->size, d->irp_flags, e->r.file};
	keep_slowest(a, &s);
	if (a->facts)
		return etl_slicefacts_add(a->facts, SINK_FACT_DISK, t_ns, a->cpu, e->r.pid, tid,
					  (uint64_t)d->disk << 8 | d->op, 1, 0, duration_ns, d->size);
	return 0;
}

/* ---- file operations ---- */

static struct etl_ioagg_pending *pending_slot(struct etl_ioagg_pending *t, size_t cap,
					      uint64_t irp, int for_insert)
{
	size_t i = hash64(irp, cap);
	while (t[i].irp || t[i].tomb) {
		if (t[i].irp == irp || (for_insert && t[i].tomb))
			return &t[i];
		i = (i + 1) & (cap - 1);
	}
	return &t[i];
}

static int pending_room(struct etl_ioagg *a)
{
	if ((a->pending_n + a->pending_tombs + 1) * 2 <= a->pending_cap)
		return 0;
	size_t ncap = a->pending_cap ? a->pending_cap : 1024;
	if ((a->pending_n + 1) * 4 > ncap)
		ncap *= 2;
	struct etl_ioagg_pending *t = calloc(ncap, sizeof *t);
	if (!t)
		return -1;
	for (size_t i = 0; i < a->pending_cap; i++)
		if (a->pending[i].irp)
			*pending_slot(t, ncap, a->pending[i].irp, 1) = a->pending[i];
	free(a->pending);
	a->pending = t;
	a->pending_cap = ncap;
	a->pending_tombs = 0;
	return 0;
}

int etl_ioagg_file_op(struct etl_ioagg *a, const struct etl_fileio *f, int64_t t_ns, uint32_t pid)
{
	if (f->type == ETL_FIO_CREATE && f->path[0] && etl_ioagg_name(a, f->file_object, f->path))
		return -1;
	const char *file = name_of(a, f->file_key ? f->file_key : f->file_object);
	if (!file)
		file = name_of(a, f->file_object);
	struct etl_ioagg_row *e = row_get(a, ETL_IOAGG_FILE_ROW, f->type, pid, file);
	if (!e)
		return -1;
	e->r.count++;
	uint64_t bytes = f->type == ETL_FIO_READ || f->type == ETL_FIO_WRITE ? f->size : 0;
	e->r.bytes += bytes;
	uint32_t tid = (uint32_t)f->ttid;
	if (a->facts && etl_slicefacts_add(a->facts, SINK_FACT_FILE, t_ns, a->cpu, e->r.pid, tid,
					   f->type, 1, 0, 0, bytes) < 0)
		return -1;
	if (!f->irp)
		return 0;
	if (a->pending_n >= ETL_IOAGG_MAX_PENDING) {
		a->pending_dropped++;
		return 0;
	}
	if (pending_room(a))
		return -1;
	/* an IRP still waiting (its end was never logged) is replaced: it stays untimed */
	struct etl_ioagg_pending *p = pending_slot(a->pending, a->pending_cap, f->irp, 0);
	if (p->irp != f->irp) {
		p = pending_slot(a->pending, a->pending_cap, f->irp, 1);
		if (p->tomb)
			a->pending_tombs--;
		a->pending_n++;
	}
	*p = (struct etl_ioagg_pending){f->irp, t_ns, e->r.pid, tid, a->cpu, e->r.file, f->type, 0};
	return 0;
}

int etl_ioagg_file_end(struct etl_ioagg *a, const struct etl_fileio *f, int64_t t_ns)
{
	struct etl_ioagg_pending *p =
		a->pending_cap ? pending_slot(a->pending, a->pending_cap, f->irp, 0) : NULL;
	if (!p || !f->irp || p->irp != f->irp) {
		a->opend_unmatched++;
		return 0;
	}
	struct etl_ioagg_row *e = row_get(a, ETL_IOAGG_FILE_ROW, p->op, p->pid, p->file);
	if (!e)
		return -1;
	e->completed++;
	uint64_t d = t_ns > p->t_ns ? (uint64_t)(t_ns - p->t_ns) : 0;
	add_time(&e->r, d);
	if (a->facts && etl_slicefacts_add(a->facts, SINK_FACT_FILE, p->t_ns, p->cpu, p->pid,
					   p->tid, p->op, 0, 1, d, 0) < 0)
		return -1;
	p->irp = 0;
	p->tomb = 1;
	a->pending_n--;
	a->pending_tombs++;
	return 0;
}

static const char *type_name(int g, unsigned t)
{
	static const char *const disk[] = {[10] = "Read", [11] = "Write", [12] = "ReadInit",
					   [13] = "WriteInit", [14] = "Flush", [15] = "FlushInit"};
	if (g == 1)
		return etl_fileio_type_name((uint8_t)t);
	return t < sizeof disk / sizeof disk[0] && disk[t] ? disk[t] : "Unknown";
}

int etl_ioagg_emit(const struct etl_ioagg *a, const struct ingest_sink *sink)
{
	int rc;
	const struct { uint64_t n; const char *code, *msg; } warns[] = {
		{a->names_dropped, "io_names_dropped", "too many file names in the trace: later "
		 "ones were not kept, so some disk I/Os show no file"},
		{a->rows_folded, "io_rows_folded", "too many (disk, process, file) combinations: "
		 "later ones are counted under an unknown process and file"},
		{a->queue_disks_skipped, "io_queue_disks", "disk numbers of 16 and above have no "
		 "queue depth over time (their I/Os are in every other table)"},
		{a->pending_dropped, "io_pending_dropped", "too many file operations in flight at "
		 "once: some were counted but not timed"},
		{a->opend_unmatched, "io_opend_unmatched", "file OperationEnd events without their "
		 "operation (started before the trace, or not recorded) were not timed"},
	};
	for (size_t i = 0; i < sizeof warns / sizeof warns[0]; i++)
		if (sink->warning && warns[i].n &&
		    (rc = sink->warning(sink->ud, warns[i].code, warns[i].msg)) < 0)
			return rc;
	for (size_t i = 0; i < a->rows_cap; i++) {
		const struct etl_ioagg_row *e = &a->rows[i];
		if (!e->used)
			continue;
		if (e->r.disk != ETL_IOAGG_FILE_ROW) {
			if (sink->disk_io_row && (rc = sink->disk_io_row(sink->ud, &e->r)) < 0)
				return rc;
			continue;
		}
		struct sink_file_io_row f = {e->r.op, etl_fileio_type_name(e->r.op), e->r.pid,
					     e->r.file, e->r.count, e->completed, e->r.bytes,
					     e->r.total_ns, e->r.max_ns};
		if (sink->file_io_row && (rc = sink->file_io_row(sink->ud, &f)) < 0)
			return rc;
	}
	if (sink->disk_io_slow)
		for (size_t i = 0; i < a->slow_n; i++)
			if ((rc = sink->disk_io_slow(sink->ud, &a->slow[i])) < 0)
				return rc;
	if (sink->disk_queue)
		for (uint32_t k = 0; k < ETL_IOAGG_QUEUE_DISKS; k++) {
			struct sink_disk_queue q = {k, (uint64_t)a->span_ns / SINK_DISKIO_SLICES, a->queue[k]};
			if (a->queue_used[k] && (rc = sink->disk_queue(sink->ud, &q)) < 0)
				return rc;
		}
	if (sink->io_type_count)
		for (int g = 0; g < 2; g++)
			for (unsigned t = 0; t < 256; t++) {
				if (!a->type_count[g][t])
					continue;
				struct sink_io_type_count c = {
					(uint8_t)(g ? ETL_GROUP_FILEIO : ETL_GROUP_DISKIO), (uint8_t)t,
					type_name(g, t), a->type_count[g][t], a->type_undecoded[g][t]};
				if ((rc = sink->io_type_count(sink->ud, &c)) < 0)
					return rc;
			}
	return 0;
}

/* QPC ticks → ns without overflowing 64 bits for any tick count. */
static uint64_t ticks_ns(uint64_t ticks, uint64_t freq)
{
	return ticks / freq * 1000000000ull + ticks % freq * 1000000000ull / freq;
}

int etl_ioagg_event_io(struct etl_ioagg *a, const struct etl_event *ev, int group, int pass2,
		       const struct etl_tidmap *tids, const struct etl_reader *r)
{
	a->cpu = ev->cpu;
	if (group == ETL_GROUP_FILEIO) {
		struct etl_fileio f;
		int rc = etl_decode_fileio(ev, &f);
		if (!pass2)
			etl_ioagg_count(a, group, ev->type, rc == 0);
		if (rc == 0 && pass2 && a->file_objects && f.cls != ETL_FIOC_OPEND &&
		    etl_fltpin_note(a->file_objects, f.file_object, f.file_key))
			return -1;
		if (rc == 0 && f.cls == ETL_FIOC_NAME && ev->type != ETL_FIO_FILE_DELETE)
			return etl_ioagg_name(a, f.file_object, f.path);
		if (rc != 0 || !pass2 || f.cls == ETL_FIOC_NAME)
			return 0;
		int64_t t = etl_reader_ns(r, ev->timestamp);
		if (f.cls == ETL_FIOC_OPEND)
			return etl_ioagg_file_end(a, &f, t);
		return etl_ioagg_file_op(a, &f, t, etl_tidmap_get(tids, (uint32_t)f.ttid, SINK_PID_UNKNOWN));
	}
	if (group != ETL_GROUP_DISKIO)
		return 0;
	struct etl_diskio d;
	uint64_t freq = r->lf.perf_freq;
	int ok = etl_decode_diskio(ev, &d) == 0;
	if (!pass2) {
		/* a completion without a QPC frequency has no latency: not decoded */
		int completion = ev->type == ETL_DISK_READ || ev->type == ETL_DISK_WRITE ||
				 ev->type == ETL_DISK_FLUSH;
		etl_ioagg_count(a, group, ev->type, ok && (!completion || freq));
		return 0;
	}
	if (!ok || !freq || (d.op != ETL_DISK_READ && d.op != ETL_DISK_WRITE && d.op != ETL_DISK_FLUSH))
		return 0;
	uint32_t pid = d.has_thread ? etl_tidmap_get(tids, d.issuing_tid, SINK_PID_UNKNOWN)
				    : SINK_PID_UNKNOWN;
	return etl_ioagg_disk(a, &d, etl_reader_ns(r, ev->timestamp),
			      ticks_ns(d.response_ticks, freq), pid,
			      d.has_thread ? d.issuing_tid : 0);
}
