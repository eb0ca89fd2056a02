/* db_schema.c — the schema, as an ordered list of migrations. PRAGMA user_version holds
 * how many have run; each runs in its own transaction, so a crash leaves a valid schema. */
#include <stdio.h>
#include "db.h"
#include "db_dpc_chunks.h"
#include "db_factblob_store.h"
#include "db_series_migrate.h"
#include "db_stk_blobs.h"

/* A migration: SQL, then optionally C (for data SQL alone cannot rewrite), then more SQL,
 * all in one transaction. */
struct migration {
	const char *sql;
	int (*convert)(sqlite3 *db, char *err, size_t errlen);
	const char *sql_after;
};

static const struct migration migrations[] = {{
	/* 1: runs and perfmon counter series */
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY,"
	"  public_id TEXT NOT NULL UNIQUE,"  /* 128-bit random hex: the only id in URLs */
	"  edit_token TEXT NOT NULL,"        /* returned once at upload; needed to edit/delete */
	"  name TEXT NOT NULL,"
	"  notes TEXT NOT NULL DEFAULT '',"
	"  file_name TEXT NOT NULL,"
	"  file_size INTEGER NOT NULL,"
	"  format TEXT NOT NULL DEFAULT 'unknown',"
	"  status TEXT NOT NULL DEFAULT 'ingesting'," /* ready | partial */
	"  created_us INTEGER NOT NULL,"
	"  start_utc_us INTEGER,"
	"  duration_us INTEGER,"
	"  expires_us INTEGER,"
	"  summary TEXT NOT NULL DEFAULT '{}'"
	");"
	"CREATE TABLE run_warnings ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  seq INTEGER NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL, count INTEGER NOT NULL,"
	"  PRIMARY KEY (run_id, seq)) WITHOUT ROWID;"
	/* One row per counter column of a perfmon log. */
	"CREATE TABLE counters ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  idx INTEGER NOT NULL, path TEXT NOT NULL, machine TEXT NOT NULL, object TEXT NOT NULL,"
	"  instance TEXT, counter TEXT NOT NULL, cpu INTEGER NOT NULL, counter_type INTEGER NOT NULL,"
	"  PRIMARY KEY (run_id, idx)) WITHOUT ROWID;"
	/* Sample times in chunks: data = little-endian int64 µs since the epoch, UTC. */
	"CREATE TABLE sample_times ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  chunk INTEGER NOT NULL, first_idx INTEGER NOT NULL, n INTEGER NOT NULL,"
	"  t_first INTEGER NOT NULL, t_last INTEGER NOT NULL, data BLOB NOT NULL,"
	"  PRIMARY KEY (run_id, chunk)) WITHOUT ROWID;"
	/* Counter values in the same chunks: data = little-endian doubles, NaN = missing.
	 * vmin/vmax/vsum/vcount summarise the chunk so coarse queries can skip the blob.
	 * Migration 18 moves data to series_values. */
	"CREATE TABLE series_chunks ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  counter_idx INTEGER NOT NULL, chunk INTEGER NOT NULL,"
	"  vmin REAL, vmax REAL, vsum REAL NOT NULL, vcount INTEGER NOT NULL, data BLOB NOT NULL,"
	"  PRIMARY KEY (run_id, counter_idx, chunk)) WITHOUT ROWID;", NULL, NULL},

	{/* 2: ETW records — modules, DPC/ISR and CPU-sample aggregates, long events */
	"CREATE TABLE etw_runs ("
	"  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,"
	"  t_max_ns INTEGER NOT NULL, top_level INTEGER NOT NULL," /* top level: one slice */
	"  n_dpcisr INTEGER NOT NULL, n_above INTEGER NOT NULL, n_samples INTEGER NOT NULL,"
	"  n_modules INTEGER NOT NULL, ncpus INTEGER NOT NULL,"
	"  level_recs BLOB);" /* int64 records stored [agg][level], native order: read sizing */
	/* Modules by the dense id the sink handed out (0..n-1 per run). */
	"CREATE TABLE etw_modules ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  id INTEGER NOT NULL, name TEXT NOT NULL, path TEXT NOT NULL,"
	"  base INTEGER NOT NULL, size INTEGER NOT NULL, pid INTEGER NOT NULL,"
	"  timestamp INTEGER NOT NULL, checksum INTEGER NOT NULL,"
	"  load_ns INTEGER NOT NULL, unload_ns INTEGER NOT NULL,"
	"  PRIMARY KEY (run_id, id)) WITHOUT ROWID;"
	/* Time-slice aggregates: level 0 = 1 ms slices, each level 16x coarser; data = the
	 * varint record blob of db/db_agg_blob.c; agg = enum agg_kind (db/db_agg.h). */
	"CREATE TABLE etw_agg ("   /* rowid order = write order: appends, pages stay full */
	"  id INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  agg INTEGER NOT NULL, level INTEGER NOT NULL, slice INTEGER NOT NULL,"
	"  data BLOB NOT NULL);"
	"CREATE UNIQUE INDEX etw_agg_slice ON etw_agg(run_id, agg, level, slice);"
	/* Every DPC/ISR longer than its guideline (100 us DPC, 25 us ISR), clustered by time;
	 * both indexes cover every column, so no scan goes back to the table. */
	"CREATE TABLE etw_dpc_events ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  t_ns INTEGER NOT NULL, seq INTEGER NOT NULL, cpu INTEGER NOT NULL,"
	"  module_id INTEGER NOT NULL, kind INTEGER NOT NULL, duration_ns INTEGER NOT NULL,"
	"  routine INTEGER NOT NULL,"
	"  PRIMARY KEY (run_id, t_ns, seq)) WITHOUT ROWID;"
	"CREATE INDEX etw_dpc_events_longest ON etw_dpc_events(run_id, duration_ns, cpu,"
	"  module_id, kind, routine);"
	"CREATE INDEX etw_dpc_events_module ON etw_dpc_events(run_id, module_id, kind,"
	"  duration_ns, cpu, routine);"
	/* Up to 64 example events per (module, kind, bucket) below the guideline. */
	"CREATE TABLE etw_dpc_samples ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  module_id INTEGER NOT NULL, kind INTEGER NOT NULL, bucket INTEGER NOT NULL,"
	"  t_ns INTEGER NOT NULL, cpu INTEGER NOT NULL, duration_ns INTEGER NOT NULL,"
	"  routine INTEGER NOT NULL);"
	"CREATE INDEX etw_dpc_samples_bucket ON etw_dpc_samples(run_id, kind, bucket);", NULL, NULL},

	{/* 3: pre-bucketed DPC/ISR histograms and per-CPU usage from text reports (xperf -a
	 * dpcisr): counts on the report's own edges, never events. block = one histogram as
	 * printed; module NULL = the report's all-modules histogram; hi_ns NULL = open. */
	"CREATE TABLE report_dpc_buckets ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  block INTEGER NOT NULL, kind INTEGER NOT NULL, module TEXT,"
	"  lo_ns INTEGER NOT NULL, hi_ns INTEGER, count INTEGER NOT NULL,"
	"  PRIMARY KEY (run_id, block, lo_ns)) WITHOUT ROWID;"
	"CREATE TABLE report_dpc_usage ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  kind INTEGER NOT NULL, module TEXT NOT NULL, cpu INTEGER NOT NULL,"
	"  busy_us INTEGER NOT NULL,"
	"  PRIMARY KEY (run_id, kind, module, cpu)) WITHOUT ROWID;", NULL, NULL},
	{/* 4: the driver knowledge base (copied from the binary's kb/ table when its version
	 * changes, see db_kb.c) and each run's stored findings (findings/find_store.c). */
	"CREATE TABLE kb_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE kb_drivers ("
	"  seq INTEGER PRIMARY KEY, driver TEXT NOT NULL, vendor TEXT NOT NULL,"
	"  product TEXT NOT NULL, category TEXT NOT NULL, altitude TEXT NOT NULL,"
	"  source TEXT NOT NULL);"
	"CREATE INDEX kb_drivers_driver ON kb_drivers(driver);"
	"CREATE TABLE run_findings ("
	"  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,"
	"  engine INTEGER NOT NULL, kb_version TEXT NOT NULL, created_us INTEGER NOT NULL,"
	"  doc TEXT NOT NULL);", NULL, NULL},
	{/* 5: above-guideline events as compact chunks per (kind, bucket, module) instead of
	  * a row and two index entries each (db/db_dpc_chunks.h): ingest wrote 3 B-tree
	  * entries per event, the slowest part of an ETW ingest. Old rows are rewritten. */
	 "CREATE TABLE etw_dpc_chunks ("
	 "  id INTEGER PRIMARY KEY," /* rowid order = write order: appends */
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  kind INTEGER NOT NULL, bucket INTEGER NOT NULL, module_id INTEGER NOT NULL,"
	 "  t_first INTEGER NOT NULL, t_last INTEGER NOT NULL," /* min and max t_ns inside */
	 "  n INTEGER NOT NULL, data BLOB NOT NULL);"
	 "CREATE INDEX etw_dpc_chunks_part ON etw_dpc_chunks(run_id, kind, bucket, module_id,"
	 "  t_last, t_first);",
	 db_dpc_chunks_convert, "DROP TABLE etw_dpc_events;"},
	{/* 6: what runs inside DPCs/ISRs (db/db_dpc_inside.h): per (DPC/ISR module, kind) the
	  * CPU samples inside its intervals, by leaf module, stack module and top chains. */
	 "CREATE TABLE etw_inside_groups ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  dpc_module INTEGER NOT NULL, kind INTEGER NOT NULL," /* dpc_module -2: flag only */
	 "  samples INTEGER NOT NULL, flagged INTEGER NOT NULL, with_stack INTEGER NOT NULL,"
	 "  PRIMARY KEY (run_id, dpc_module, kind)) WITHOUT ROWID;"
	 "CREATE TABLE etw_inside_modules ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  dpc_module INTEGER NOT NULL, kind INTEGER NOT NULL, module INTEGER NOT NULL,"
	 "  leaf INTEGER NOT NULL, on_stack INTEGER NOT NULL,"
	 "  PRIMARY KEY (run_id, dpc_module, kind, module)) WITHOUT ROWID;"
	 "CREATE TABLE etw_inside_chains ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  dpc_module INTEGER NOT NULL, kind INTEGER NOT NULL, rank INTEGER NOT NULL,"
	 "  chain TEXT NOT NULL," /* module ids, leaf first, comma-separated */
	 "  samples INTEGER NOT NULL,"
	 "  PRIMARY KEY (run_id, dpc_module, kind, rank)) WITHOUT ROWID;",
	 NULL, NULL},
	{/* 7 (issue 15, scheduling and syscalls): whole-trace aggregates from CSwitch,
	  * ReadyThread and SysClEnter/SysClExit (ingest/sink.h). pid/tid 4294967295 =
	  * unknown. hist = SINK_SYSCALL_BUCKETS little-endian u64 counts, bucket b holding
	  * durations below 2^b ns (the last one: the rest). */
	 "CREATE TABLE etw_syscalls ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  pid INTEGER NOT NULL, address INTEGER NOT NULL, process TEXT NOT NULL,"
	 "  module_id INTEGER NOT NULL,"
	 "  count INTEGER NOT NULL, total_ns INTEGER NOT NULL, max_ns INTEGER NOT NULL,"
	 "  samples INTEGER NOT NULL, hist BLOB NOT NULL,"
	 "  PRIMARY KEY (run_id, pid, address)) WITHOUT ROWID;"
	 "CREATE TABLE etw_syscall_modules ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  pid INTEGER NOT NULL, module_id INTEGER NOT NULL, samples INTEGER NOT NULL,"
	 "  PRIMARY KEY (run_id, pid, module_id)) WITHOUT ROWID;"
	 "CREATE TABLE etw_sched_threads ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  tid INTEGER NOT NULL, pid INTEGER NOT NULL, process TEXT NOT NULL,"
	 "  running_ns INTEGER NOT NULL,"
	 "  ready_ns INTEGER NOT NULL, waiting_ns INTEGER NOT NULL, switches INTEGER NOT NULL,"
	 "  PRIMARY KEY (run_id, tid)) WITHOUT ROWID;"
	 "CREATE TABLE etw_sched_waits ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  tid INTEGER NOT NULL, reason INTEGER NOT NULL, count INTEGER NOT NULL,"
	 "  wait_ns INTEGER NOT NULL,"
	 "  PRIMARY KEY (run_id, tid, reason)) WITHOUT ROWID;"
	 "CREATE TABLE etw_sched_ready ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  tid INTEGER NOT NULL, by_tid INTEGER NOT NULL, from_dpc INTEGER NOT NULL,"
	 "  pid INTEGER NOT NULL, by_pid INTEGER NOT NULL, process TEXT NOT NULL,"
	 "  by_process TEXT NOT NULL, count INTEGER NOT NULL,"
	 "  ready_ns INTEGER NOT NULL,"
	 "  PRIMARY KEY (run_id, tid, by_tid, from_dpc)) WITHOUT ROWID;"
	 /* per-CPU timeline: per (cpu, slice) the top 3 threads by running time (tid NULL:
	  * no such rank), the rest, and idle; slice i covers [i, i+1) × slice_ns */
	 "CREATE TABLE etw_sched_slices ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  cpu INTEGER NOT NULL, slice INTEGER NOT NULL, slice_ns INTEGER NOT NULL,"
	 "  tid0 INTEGER, pid0 INTEGER, ns0 INTEGER NOT NULL,"
	 "  tid1 INTEGER, pid1 INTEGER, ns1 INTEGER NOT NULL,"
	 "  tid2 INTEGER, pid2 INTEGER, ns2 INTEGER NOT NULL,"
	 "  other_ns INTEGER NOT NULL, idle_ns INTEGER NOT NULL,"
	 "  PRIMARY KEY (run_id, cpu, slice)) WITHOUT ROWID;", NULL, NULL},
	{/* 8: disk and file I/O of ETW runs (issue 15; db/db_io.h): disk I/O pre-aggregated per
	  * (disk, op, process, file) with a log2 latency histogram (JSON array of
	  * SINK_DISKIO_BUCKETS counts), the slowest I/Os, DiskIo/FileIo event counts per type,
	  * queue depth over time per disk, file operations per (op, process, file). IF NOT
	  * EXISTS: tests/store re-run the migrations after 4 on a current database */
	 "CREATE TABLE IF NOT EXISTS etw_diskio ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  disk INTEGER NOT NULL, op INTEGER NOT NULL, pid INTEGER, file TEXT,"
	 "  n INTEGER NOT NULL, bytes INTEGER NOT NULL, total_ns INTEGER NOT NULL,"
	 "  max_ns INTEGER NOT NULL, hist TEXT NOT NULL);"
	 "CREATE INDEX IF NOT EXISTS etw_diskio_run ON etw_diskio(run_id);"
	 "CREATE TABLE IF NOT EXISTS etw_diskio_slow ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  rank INTEGER NOT NULL, t_ns INTEGER NOT NULL, duration_ns INTEGER NOT NULL,"
	 "  disk INTEGER NOT NULL, op INTEGER NOT NULL, pid INTEGER, tid INTEGER NOT NULL,"
	 "  offset INTEGER NOT NULL, size INTEGER NOT NULL, irp_flags INTEGER NOT NULL, file TEXT,"
	 "  PRIMARY KEY (run_id, rank)) WITHOUT ROWID;"
	 "CREATE TABLE IF NOT EXISTS etw_io_types ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  grp INTEGER NOT NULL, type INTEGER NOT NULL, name TEXT, n INTEGER NOT NULL,"
	 "  undecoded INTEGER NOT NULL, PRIMARY KEY (run_id, grp, type)) WITHOUT ROWID;"
	 "CREATE TABLE IF NOT EXISTS etw_fileio ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  op INTEGER NOT NULL, op_name TEXT NOT NULL, pid INTEGER, file TEXT,"
	 "  n INTEGER NOT NULL, completed INTEGER NOT NULL, bytes INTEGER NOT NULL,"
	 "  total_ns INTEGER NOT NULL, max_ns INTEGER NOT NULL);"
	 "CREATE INDEX IF NOT EXISTS etw_fileio_run ON etw_fileio(run_id);"
	 "CREATE TABLE IF NOT EXISTS etw_diskio_queue ("  /* busy_ns: JSON array of SINK_DISKIO_SLICES */
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  disk INTEGER NOT NULL, slice_ns INTEGER NOT NULL, busy_ns TEXT NOT NULL,"
	 "  PRIMARY KEY (run_id, disk)) WITHOUT ROWID;",
	 NULL, NULL},
	{/* 9: which upload job made a run, written in the run's own transaction, so a crash
	  * between the commit and the uploader's next poll never strands the edit token.
	  * IF NOT EXISTS: tests rewind user_version to replay the migrations after 4. */
	 "CREATE TABLE IF NOT EXISTS upload_jobs ("
	 "  job_id TEXT PRIMARY KEY,"
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE) WITHOUT ROWID;"
	 "CREATE INDEX IF NOT EXISTS upload_jobs_run ON upload_jobs(run_id);", NULL, NULL},
	/* 10 (issue 13): the stack store (db/db_stacks.c) — frames, the stack prefix tree, samples
	 * per (100 ms slice, CPU, pid, tid, leaf node), processes and threads (IF NOT EXISTS:
	 * a database rewound to an older version by a test keeps them) */
	{"CREATE TABLE IF NOT EXISTS stk_runs ("
	 "  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,"
	 "  slice_ns INTEGER NOT NULL, n_frames INTEGER NOT NULL, n_nodes INTEGER NOT NULL,"
	 "  n_samples INTEGER NOT NULL);"
	 "CREATE TABLE IF NOT EXISTS stk_frames ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  id INTEGER NOT NULL, module_id INTEGER NOT NULL, offset INTEGER NOT NULL,"
	 "  PRIMARY KEY (run_id, id)) WITHOUT ROWID;"
	 "CREATE UNIQUE INDEX IF NOT EXISTS stk_frames_key ON stk_frames(run_id, module_id, offset);"
	 "CREATE TABLE IF NOT EXISTS stk_nodes ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  id INTEGER NOT NULL, parent INTEGER NOT NULL," /* 0 = the root */
	 "  frame INTEGER NOT NULL,"
	 "  PRIMARY KEY (run_id, id)) WITHOUT ROWID;"
	 "CREATE UNIQUE INDEX IF NOT EXISTS stk_nodes_key ON stk_nodes(run_id, parent, frame);"
	 "CREATE TABLE IF NOT EXISTS stk_counts ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  slice INTEGER NOT NULL, cpu INTEGER NOT NULL, pid INTEGER NOT NULL,"
	 "  tid INTEGER NOT NULL, node INTEGER NOT NULL, n INTEGER NOT NULL,"
	 "  PRIMARY KEY (run_id, slice, cpu, pid, tid, node)) WITHOUT ROWID;"
	 "CREATE TABLE IF NOT EXISTS etw_processes ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  pid INTEGER NOT NULL, ppid INTEGER NOT NULL,"
	 "  start_ns INTEGER," /* NULL: before the trace */
	 "  end_ns INTEGER,"   /* NULL: after it */
	 "  name TEXT NOT NULL, command_line TEXT NOT NULL);"
	 "CREATE INDEX IF NOT EXISTS etw_processes_pid ON etw_processes(run_id, pid);"
	 "CREATE TABLE IF NOT EXISTS etw_threads ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  tid INTEGER NOT NULL, pid INTEGER NOT NULL, start_ns INTEGER, end_ns INTEGER);"
	 "CREATE INDEX IF NOT EXISTS etw_threads_tid ON etw_threads(run_id, tid);",
	 NULL, NULL},
	{/* 11 (issue 14, symbols): per ETW module its debug identity from the trace
	  * (KernelTraceControl DbgID_RSDS: pdb, guid as 32 SymStore hex digits, age; ImageId:
	  * image_timestamp, image_size — NULL when absent) and where symbolisation stands:
	  * status pending | resolved | not_found | guid_mismatch | no_identity, why a sentence;
	  * and the function + offset found for each routine address (etw_symbols).
	  * IF NOT EXISTS: tests/store re-run the migrations after 4 on a current database */
	 "CREATE TABLE IF NOT EXISTS etw_module_symbols ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  module_id INTEGER NOT NULL, pdb TEXT, guid TEXT, age INTEGER,"
	 "  image_timestamp INTEGER, image_size INTEGER,"
	 "  status TEXT NOT NULL, why TEXT NOT NULL DEFAULT '',"
	 "  PRIMARY KEY (run_id, module_id)) WITHOUT ROWID;"
	 /* names found for the addresses users see (db/db_symbols.h) */
	 "CREATE TABLE IF NOT EXISTS etw_symbols ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  module_id INTEGER NOT NULL, rva INTEGER NOT NULL, name TEXT NOT NULL,"
	 "  offset INTEGER NOT NULL,"
	 "  PRIMARY KEY (run_id, module_id, rva)) WITHOUT ROWID;",
	 NULL, NULL},
	{/* 12 (issue 13): thread names from Thread SetName events (5/72), each with its time:
	  * a thread's name is its latest one; per-leaf sample totals of the stack store.
	  * IF NOT EXISTS: tests rewind user_version. */
	 "CREATE TABLE IF NOT EXISTS etw_thread_names ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  tid INTEGER NOT NULL, pid INTEGER NOT NULL, t_ns INTEGER NOT NULL,"
	 "  name TEXT NOT NULL);"
	 "CREATE INDEX IF NOT EXISTS etw_thread_names_tid ON etw_thread_names(run_id, tid);"
	 /* samples per leaf node over the whole run, Idle (idle=1) apart (db_stk_totals.c) */
	 "CREATE TABLE IF NOT EXISTS stk_leaf_totals ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  idle INTEGER NOT NULL, node INTEGER NOT NULL, n INTEGER NOT NULL,"
	 "  PRIMARY KEY (run_id, idle, node)) WITHOUT ROWID;",
	 NULL, NULL},
	{/* 13 (issue 15, the filter of syscalls, scheduling, disk and file I/O): counts and
	  * sums per (domain, 100 ms slice, CPU, pid, tid, key) — ingest/etl/etl_slicefacts.h
	  * says what n, m, ns and bytes are per domain (1 syscall, 2 scheduling, 3 disk,
	  * 4 file). IF NOT EXISTS: tests rewind user_version to replay migrations. */
	 "CREATE TABLE IF NOT EXISTS etw_slice_facts ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  domain INTEGER NOT NULL, slice INTEGER NOT NULL, cpu INTEGER NOT NULL,"
	 "  pid INTEGER NOT NULL, tid INTEGER NOT NULL, key INTEGER NOT NULL,"
	 "  n INTEGER NOT NULL, m INTEGER NOT NULL, ns INTEGER NOT NULL, bytes INTEGER NOT NULL,"
	 "  PRIMARY KEY (run_id, domain, slice, cpu, pid, tid, key)) WITHOUT ROWID;",
	 NULL, NULL},
	{/* 14 (issue 13): pre-aggregated call trees per mode (db/db_stk_pretree.c), keyed by
	  * value so that a request reads only the nodes above its min_share, and butterflies. IF NOT EXISTS:
	  * tests rewind user_version to replay migrations. */
	 "CREATE TABLE IF NOT EXISTS stk_pretree ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  mode INTEGER NOT NULL, value INTEGER NOT NULL, id INTEGER NOT NULL,"
	 "  parent INTEGER NOT NULL, module INTEGER NOT NULL, sym_module INTEGER NOT NULL,"
	 "  offset INTEGER NOT NULL, kernel INTEGER NOT NULL, self INTEGER NOT NULL,"
	 "  nchild INTEGER NOT NULL,"
	 "  PRIMARY KEY (run_id, mode, value DESC, id)) WITHOUT ROWID;"
	 /* and every module's butterfly (callers, callees, inclusive, exclusive) */
	 "CREATE TABLE IF NOT EXISTS stk_prebfly ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  idle INTEGER NOT NULL, target INTEGER NOT NULL, kind INTEGER NOT NULL,"
	 "  other INTEGER NOT NULL, value INTEGER NOT NULL,"
	 "  PRIMARY KEY (run_id, idle, target, kind, other)) WITHOUT ROWID;"
	 /* per 100 ms slice, the samples that end at each node of the stored module trees */
	 "CREATE TABLE IF NOT EXISTS stk_preslice ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  mode INTEGER NOT NULL, slice INTEGER NOT NULL, id INTEGER NOT NULL,"
	 "  self INTEGER NOT NULL,"
	 "  PRIMARY KEY (run_id, mode, slice, id)) WITHOUT ROWID;",
	 NULL, NULL},
	{/* 15 (issue 15): the per-slice facts packed — one blob per (domain, slice, CPU, part)
	  * holding the slice's (pid, tid, key) counters (db/db_factblob.h), instead of a row
	  * per key; the rows of migration 13 are repacked and their table dropped. IF NOT
	  * EXISTS: tests rewind user_version to replay migrations. */
	 "CREATE TABLE IF NOT EXISTS etw_fact_blobs ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  domain INTEGER NOT NULL, slice INTEGER NOT NULL, cpu INTEGER NOT NULL,"
	 "  part INTEGER NOT NULL, facts BLOB NOT NULL,"
	 /* a rowid table: its leaves hold blobs of up to ~4 KB whole, where a WITHOUT ROWID
	  * table's spill past ~1 KB into mostly empty overflow pages */
	 "  UNIQUE (run_id, domain, slice, cpu, part));",
	 db_factblob_migrate, "DROP TABLE IF EXISTS etw_slice_facts;"},
	{/* 16 (issue 13): stored aggregates for windows and filters (db/db_stk_prefilt.c):
	  * per module tree mode the samples ending at each node per (dim, key, slice) — dim 1 a
	  * CPU, 2 a process, 3 a thread; slice -1 the whole run — and module butterflies per
	  * (dim, key, slice): dim 0 per 100 ms slice, dims 1-3 over the whole run; which of them
	  * a run has (stk_prestored: what, which — a dimension, or a tree mode). IF NOT EXISTS:
	  * tests rewind user_version. */
	 "CREATE TABLE IF NOT EXISTS stk_prefilt ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  mode INTEGER NOT NULL, dim INTEGER NOT NULL, key INTEGER NOT NULL,"
	 "  slice INTEGER NOT NULL, id INTEGER NOT NULL, self INTEGER NOT NULL,"
	 "  PRIMARY KEY (run_id, mode, dim, key, slice, id)) WITHOUT ROWID;"
	 "CREATE TABLE IF NOT EXISTS stk_bfslice ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  idle INTEGER NOT NULL, dim INTEGER NOT NULL, key INTEGER NOT NULL,"
	 "  target INTEGER NOT NULL, slice INTEGER NOT NULL, kind INTEGER NOT NULL,"
	 "  other INTEGER NOT NULL, value INTEGER NOT NULL,"
	 "  PRIMARY KEY (run_id, dim, key, target, slice, idle, kind, other)) WITHOUT ROWID;"
	 "CREATE TABLE IF NOT EXISTS stk_prestored ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  what INTEGER NOT NULL, which INTEGER NOT NULL,"
	 "  PRIMARY KEY (run_id, what, which)) WITHOUT ROWID;",
	 NULL, NULL},
	{/* 17 (issue 15, h-flt):
	  * minifilter delays of ETW runs whose trace proved the layout (db/db_io.h): per
	  * (filter module, major function, pre/post, process, file) completions with total and
	  * max delay and counts over 1, 10, 100 ms, inits, failures; and the slowest delays.
	  * IF NOT EXISTS: tests rewind user_version to replay migrations. */
	 "CREATE TABLE IF NOT EXISTS etw_flt ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  module_id INTEGER NOT NULL, major INTEGER NOT NULL, post INTEGER NOT NULL,"
	 "  pid INTEGER, file TEXT, inits INTEGER NOT NULL, n INTEGER NOT NULL,"
	 "  failures INTEGER NOT NULL, total_ns INTEGER NOT NULL, max_ns INTEGER NOT NULL,"
	 "  over_1ms INTEGER NOT NULL, over_10ms INTEGER NOT NULL, over_100ms INTEGER NOT NULL);"
	 "CREATE INDEX IF NOT EXISTS etw_flt_run ON etw_flt(run_id);"
	 "CREATE TABLE IF NOT EXISTS etw_flt_slow ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  rank INTEGER NOT NULL, t_ns INTEGER NOT NULL, delay_ns INTEGER NOT NULL,"
	 "  module_id INTEGER NOT NULL, major INTEGER NOT NULL, post INTEGER NOT NULL,"
	 "  pid INTEGER, tid INTEGER NOT NULL, cpu INTEGER NOT NULL, file TEXT,"
	 "  PRIMARY KEY (run_id, rank)) WITHOUT ROWID;",
	 NULL, NULL},
	{/* 18 (issue 17, h-series): perfmon counter values out of the keyed table. series_chunks
	  * keeps its key and the chunk summaries (vmin, vmax, vsum, vcount: ~40 B a row), so
	  * key seeks and summaries never read a blob; each chunk's values (little-endian
	  * doubles, NaN = missing) move to series_values, a rowid table found by its UNIQUE
	  * key (db/db_series_migrate.c moves existing rows and drops the column). IF NOT
	  * EXISTS: tests rewind user_version to replay migrations. */
	 "CREATE TABLE IF NOT EXISTS series_values ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  counter_idx INTEGER NOT NULL, chunk INTEGER NOT NULL, data BLOB NOT NULL,"
	 "  UNIQUE (run_id, counter_idx, chunk));",
	 db_series_migrate, NULL},
	{/* 19 (issues 13, 17, h-mig19): the stack sample counts packed — one blob per (slice,
	  * CPU) holding its (pid, tid, leaf node, n) records (db/db_stkblob.h), instead of a
	  * row per record; the rows of stk_counts (migration 10) are repacked and the table
	  * dropped (db/db_stk_blobs.c). A rowid table, as etw_fact_blobs: its leaves hold
	  * blobs whole. IF NOT EXISTS: tests rewind user_version to replay migrations. */
	 "CREATE TABLE IF NOT EXISTS stk_count_blobs ("
	 "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	 "  slice INTEGER NOT NULL, cpu INTEGER NOT NULL, counts BLOB NOT NULL,"
	 "  UNIQUE (run_id, slice, cpu));",
	 db_stk_blobs_migrate, "DROP TABLE IF EXISTS stk_counts;"},
};

int db_schema_version(void)
{
	return (int)(sizeof migrations / sizeof migrations[0]);
}

int db_migrate(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int version = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot read schema version: %s", sqlite3_errmsg(db));
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > db_schema_version()) {
		snprintf(err, errlen, "database schema version %d is newer than this etlscope (%d)",
			 version, db_schema_version());
		return -1;
	}
	for (int v = version; v < db_schema_version(); v++) {
		char *msg = NULL;
		char sql[64], cerr[256] = "";
		snprintf(sql, sizeof sql, "PRAGMA user_version=%d", v + 1);
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, migrations[v].sql, NULL, NULL, &msg) != SQLITE_OK ||
		    (migrations[v].convert && migrations[v].convert(db, cerr, sizeof cerr)) ||
		    (migrations[v].sql_after &&
		     sqlite3_exec(db, migrations[v].sql_after, NULL, NULL, &msg) != SQLITE_OK) ||
		    sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "schema migration %d failed: %s", v + 1,
				 msg ? msg : cerr[0] ? cerr : sqlite3_errmsg(db));
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	return 0;
}
