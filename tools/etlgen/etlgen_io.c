/* etlgen_io.c — the disk and file I/O story of a scenario (etlgen.h struct etlgen_diskio): a FileIo
 * FileRundown naming the file object, a Thread rundown of the issuing thread, then DiskIo v3
 * Read/Write completions, then FileIo v3 Read + OperationEnd pairs, written with their exact
 * expected aggregates. Layouts as ingest/etl/README.md "Disk and file I/O" documents them
 * (DiskIo_TypeGroup1, FileIo_Name, FileIo_ReadWrite, FileIo_OpEnd). */
#include <string.h>
#include "etlgen.h"
#include "ingest/etl/etl_le.h"

#define GROUP_DISKIO 1
#define GROUP_FILEIO 4
#define FILE_RUNDOWN 36
#define FILE_READ 67
#define FILE_OP_END 76

int etlgen_file_rundown(struct etlgen_gen *g, const struct etlgen_scenario *s, unsigned cpu,
			uint64_t file_object, const char *name, uint64_t ts)
{
	unsigned P = s->pointer_size;
	size_t len = strlen(name);
	uint8_t *p = etlgen_event(g, cpu, 16 + P + 2 * (len + 1), GROUP_FILEIO, FILE_RUNDOWN, ts);
	if (!p)
		return -1;
	etl_putptr(p + 16, file_object, P);
	for (size_t i = 0; i < len; i++) /* ASCII scenario names: UTF-16 code unit = byte */
		etl_put16(p + 16 + P + 2 * i, (uint8_t)name[i]);
	return 0;
}

/* One completion: op 0 read (type 10), 1 write (type 11); logged at issue + latency. */
static int completion(struct etlgen_gen *g, const struct etlgen_scenario *s,
		      struct etlgen_expect *exp, int op, uint64_t offset, uint64_t issue,
		      uint64_t *done)
{
	const struct etlgen_diskio *c = &s->diskio;
	unsigned P = s->pointer_size;
	uint64_t lat = op ? c->write_ticks : c->read_ticks;
	uint32_t size = op ? c->write_size : c->read_size;
	uint8_t *p = etlgen_event(g, c->cpu, 16 + 36 + 2 * P, GROUP_DISKIO, (uint8_t)(10 + op),
				  issue + lat);
	if (!p)
		return -1;
	etl_put16(p, 3); /* v3: IssuingThreadId present */
	etl_put32(p + 16, c->disk);
	etl_put32(p + 16 + 4, 0x60043); /* IrpFlags: any value, not aggregated */
	etl_put32(p + 16 + 8, size);
	etl_put64(p + 16 + 16, offset);
	etl_putptr(p + 16 + 24, c->file_object, P);
	etl_putptr(p + 16 + 24 + P, 0x1000 + offset, P); /* Irp */
	etl_put64(p + 16 + 24 + 2 * P, lat);
	etl_put32(p + 16 + 32 + 2 * P, c->tid);
	if (exp) {
		uint64_t ns = lat * 1000000000ull / s->qpc_frequency;
		etlgen_agg_add(&exp->disk[op], ns);
		exp->disk_bytes[op] += size;
	}
	*done = issue + lat;
	return 0;
}

/* One FileIo Read (v3) at issue and its OperationEnd file_ticks later. */
static int file_read(struct etlgen_gen *g, const struct etlgen_scenario *s,
		     struct etlgen_expect *exp, unsigned i, uint64_t issue, uint64_t *done)
{
	const struct etlgen_diskio *c = &s->diskio;
	unsigned P = s->pointer_size;
	uint64_t irp = 0x9000 + (uint64_t)i * 0x10;
	uint8_t *p = etlgen_event(g, c->cpu, 16 + 8 + 3 * P + 12, GROUP_FILEIO, FILE_READ, issue);
	if (!p)
		return -1;
	etl_put16(p, 3); /* v3: pointers first, TTID a u32 after them */
	etl_put64(p + 16, (uint64_t)i * c->file_read_size);
	etl_putptr(p + 24, irp, P);
	etl_putptr(p + 24 + P, c->file_object, P);
	etl_putptr(p + 24 + 2 * P, c->file_key ? c->file_key : c->file_object, P); /* FileKey */
	etl_put32(p + 24 + 3 * P, c->tid);
	etl_put32(p + 28 + 3 * P, c->file_read_size);
	if (!(p = etlgen_event(g, c->cpu, 16 + 2 * P + 4, GROUP_FILEIO, FILE_OP_END,
			       issue + c->file_ticks)))
		return -1;
	etl_put16(p, 3);
	etl_putptr(p + 16, irp, P);
	etl_putptr(p + 16 + P, c->file_read_size, P); /* ExtraInfo: bytes transferred */
	if (exp) {
		uint64_t ns = c->file_ticks * 1000000000ull / s->qpc_frequency;
		etlgen_agg_add(&exp->file_read, ns);
		exp->file_read_bytes += c->file_read_size;
	}
	*done = issue + c->file_ticks;
	return 0;
}

int etlgen_io_write(struct etlgen_gen *g, const struct etlgen_scenario *s,
		    struct etlgen_expect *exp, uint64_t start, uint64_t *end)
{
	const struct etlgen_diskio *c = &s->diskio;
	uint64_t t = start, done = start, offset = 0;
	uint64_t named = c->file_key ? c->file_key : c->file_object;
	if (etlgen_file_rundown(g, s, c->cpu, named, c->file, t) || etlgen_thread_rundown(g, s, c->cpu, c->tid, t + 1))
		return -1;
	t += 2;
	for (unsigned i = 0; i < c->reads + c->writes; i++) {
		int op = i >= c->reads;
		if (completion(g, s, exp, op, offset, t, &done))
			return -1;
		offset += op ? c->write_size : c->read_size;
		t = done + c->gap_ticks;
	}
	for (unsigned i = 0; i < c->file_reads; i++) {
		if (file_read(g, s, exp, i, t, &done))
			return -1;
		t = done + c->gap_ticks;
	}
	*end = done;
	return 0;
}
