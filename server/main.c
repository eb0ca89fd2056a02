/* main.c — the etlscope command line: `serve`, `ingest`, `demo`, `--help`, `--version`;
 * and `serve` itself (run the server until SIGINT/SIGTERM). */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "db_stk_cache.h"
#include "server.h"

static void usage(FILE *f)
{
	fprintf(f,
		"etlscope %s — why does this Windows server freeze? DPC/ISR, CPU and driver\n"
		"analysis of ETW traces and perfmon logs, as a self-hosted web dashboard.\n\n"
		"usage:\n"
		"  etlscope serve  [--listen ADDR:PORT] [--db PATH] [--data-dir DIR]\n"
		"                  [--max-upload SIZE] [--threads N] [--read-only]\n"
		"                  [--admin-token TOKEN]  (or ETLSCOPE_ADMIN_TOKEN)\n"
		"                  [--auth-token TOKEN]   (or ETLSCOPE_AUTH_TOKEN)\n"
		"                  [--tls-cert PEM] [--rate-limit REQ/S] [--min-upload-rate SIZE]\n"
		"                  [--upload-grace SECONDS] [--timeout SECONDS]\n"
		"                  [--max-conns-per-addr N] [--public-url URL] [--symbol-path PATH]\n"
		"                  [--stream-ingest] [--ingest-workers N]   (uploads ingested at once; default 1)\n"
		"                  [--catalog postgresql://…] (or ETLSCOPE_CATALOG; team mode, instead of --db)\n"
		"                  [--runs-dir DIR]  (run files; default DATA-DIR/runs; shared in team mode)\n"
		"                  [--lease SECONDS] (a dead server's uploads fail after it; default 30)\n"
		"                  [--stack-cache SIZE] (runs' stack nodes kept in memory; default 256M)\n"
		"  etlscope ingest [--db PATH] [--data-dir DIR] [--name NAME] [--json]\n"
		"                  [--encoding CHARSET] [--symbol-path PATH] [--single-file]\n"
		"                  [--two-pass] FILE...\n"
		"  etlscope demo   [--db PATH] [--data-dir DIR]   (stores demo runs; then use `serve`)\n"
		"ingest and demo store runs as the server does: give them serve's --db and --data-dir\n"
		"  (not while it runs: upload through it). --single-file: the layout of releases\n"
		"  before run files, all in --db (it converts at the next start). --two-pass: read an\n"
		"  .etl twice, as before issue 17, instead of once (it stores the same run)\n"
		"  etlscope symbols [--symbol-path PATH] (--pdb FILE | --name X.pdb --id GUIDAGE) RVA...\n"
		"  etlscope --help | --version\n\n"
		"defaults: --listen %s --db %s --data-dir %s --max-upload 4G\n"
		"          --timeout 5 --max-conns-per-addr 8 --min-upload-rate 16K --upload-grace 10\n"
		"--stream-ingest: ingest while an upload arrives (the verdict sooner after its last\n"
		"  byte; it holds an ingest worker for as long as the upload lasts)\n"
		"--public-url: the address users type (https://etlscope.example:8443); only its host\n"
		"  name, the listen address and localhost are answered (DNS rebinding defence)\n"
		"formats (detected by content): ETW traces .etl (xperf, WPR, PerfView), perfmon\n"
		"  .blg and PDH-CSV/TSV text logs, `xperf -a dpcisr` reports, WPA CSV exports\n",
		ETLSCOPE_VERSION, CLI_DEFAULT_LISTEN, CLI_DEFAULT_DB, CLI_DEFAULT_DATA);
}

int64_t cli_parse_size(const char *s)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		return -1;
	int shift = 0;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: return -1;
	}
	if (*end || v > (INT64_MAX >> shift))
		return -1;
	return (int64_t)v << shift;
}

int cli_ensure_dir(const char *dir)
{
	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		return 0;
	return -1;
}

/* A whole number option from lo to hi; -1 (after saying so) otherwise. */
static int int_option(const char *name, const char *arg, int lo, int hi, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < lo || v > hi) {
		fprintf(stderr, "etlscope: --%s takes a whole number from %d to %d\n", name, lo, hi);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* `serve` answers queries whose working arrays live a few MB at a time and die with the
 * request: a call tree's node map and nodes, a walk's per-node sums (18–29 MB of pages
 * touched for a 10 s window of the 10-minute, 24-CPU stacks_big run, by frame; more for a
 * whole run filtered to one process). With malloc_size_to_work's 128 KiB mmap threshold and
 * 1 MiB trim threshold they were mapped and unmapped, or trimmed, per request, and their
 * pages faulted in afresh each time: 4.6 k faults and ~105 ms of CPU for a 10 s window by
 * frame, ~20 ms with the memory kept (bench/README.md, "Request memory"). So the server
 * takes blocks under 32 MiB (glibc's largest mmap threshold) from its 2 arenas and keeps up
 * to 64 MiB free at an arena's top for the next request. What an upload's ingest in the
 * server peaks at did not move (busy I/O trace 62–65 MB, kernel story 59.6 MB: the same
 * before and after, as each ingest's large arrays are freed, and trimmed, when it ends). */
static void malloc_size_to_serve(void)
{
	mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
}

int cli_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{"listen", required_argument, NULL, 'l'},   {"db", required_argument, NULL, 'd'},
		{"data-dir", required_argument, NULL, 'D'}, {"max-upload", required_argument, NULL, 'm'},
		{"threads", required_argument, NULL, 't'},  {"read-only", no_argument, NULL, 'r'},
		{"admin-token", required_argument, NULL, 'a'},
		{"auth-token", required_argument, NULL, 'A'},
		{"tls-cert", required_argument, NULL, 'T'},
		{"rate-limit", required_argument, NULL, 'R'},
		{"min-upload-rate", required_argument, NULL, 'U'},
		{"upload-grace", required_argument, NULL, 'G'},
		{"timeout", required_argument, NULL, 'O'},
		{"max-conns-per-addr", required_argument, NULL, 'C'},
		{"public-url", required_argument, NULL, 'P'},
		{"symbol-path", required_argument, NULL, 'S'},
		{"stream-ingest", no_argument, NULL, 'I'},
		{"ingest-workers", required_argument, NULL, 'W'},
		{"catalog", required_argument, NULL, 'K'},
		{"runs-dir", required_argument, NULL, 'F'},
		{"lease", required_argument, NULL, 'L'},
		{"stack-cache", required_argument, NULL, 'N'},
		{"help", no_argument, NULL, 'h'},	    {NULL, 0, NULL, 0},
	};
	struct server_config cfg = {
		.listen = CLI_DEFAULT_LISTEN, .db_path = CLI_DEFAULT_DB, .data_dir = CLI_DEFAULT_DATA,
		.max_upload = CLI_DEFAULT_MAX_UPLOAD, .threads = 16,
		.admin_token = getenv("ETLSCOPE_ADMIN_TOKEN"), .auth_token = getenv("ETLSCOPE_AUTH_TOKEN"),
		.rate = 100, .burst = 400, .min_upload_rate = 16 << 10, .upload_grace_s = 10,
		.timeout_s = 5, .max_conns_ip = 8, .ingest_workers = 1,
		.catalog = getenv("ETLSCOPE_CATALOG"),
		.stack_cache = (int64_t)DB_STK_CACHE_DEFAULT_MB << 20,
	};
	struct server_ctx srv;
	char err[512];
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': cfg.listen = optarg; break;
		case 'd': cfg.db_path = optarg; break;
		case 'D': cfg.data_dir = optarg; break;
		case 'm':
			if ((cfg.max_upload = cli_parse_size(optarg)) <= 0) {
				fprintf(stderr, "etlscope: --max-upload takes a size like 512M or 4G\n");
				return 2;
			}
			break;
		case 't':
			if (int_option("threads", optarg, 2, 256, &cfg.threads) != 0)
				return 2;
			break;
		case 'r': cfg.read_only = 1; break;
		case 'a': cfg.admin_token = optarg; break;
		case 'A': cfg.auth_token = optarg; break;
		case 'T': cfg.tls_cert = optarg; break;
		case 'R':
			cfg.rate = atof(optarg);
			if (cfg.rate < 0) {
				fprintf(stderr, "etlscope: --rate-limit takes requests per second (0 = off)\n");
				return 2;
			}
			cfg.burst = cfg.rate * 4;
			break;
		case 'U':
			if ((cfg.min_upload_rate = cli_parse_size(optarg)) < 0) {
				fprintf(stderr, "etlscope: --min-upload-rate takes bytes per second, like 16K\n");
				return 2;
			}
			break;
		case 'G':
			if (int_option("upload-grace", optarg, 1, 86400, &cfg.upload_grace_s) != 0)
				return 2;
			break;
		case 'O':
			if (int_option("timeout", optarg, 1, 600, &cfg.timeout_s) != 0)
				return 2;
			break;
		case 'C':
			if (int_option("max-conns-per-addr", optarg, 1, 4096, &cfg.max_conns_ip) != 0)
				return 2;
			break;
		case 'P': cfg.public_url = optarg; break;
		case 'S': cfg.symbol_path = optarg; break;
		case 'I': cfg.stream_ingest = 1; break;
		case 'W':
			if (int_option("ingest-workers", optarg, 1, 64, &cfg.ingest_workers) != 0)
				return 2;
			break;
		case 'K': cfg.catalog = optarg; break;
		case 'F': cfg.runs_dir = optarg; break;
		case 'L':
			if (int_option("lease", optarg, 2, 3600, &cfg.lease_s) != 0)
				return 2;
			break;
		case 'N':
			if ((cfg.stack_cache = cli_parse_size(optarg)) < 0) {
				fprintf(stderr, "etlscope: --stack-cache takes a size like 256M (0 = off)\n");
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if ((cfg.admin_token && strlen(cfg.admin_token) < 16) ||
	    (cfg.auth_token && strlen(cfg.auth_token) < 16)) {
		fprintf(stderr, "etlscope: admin and access tokens must be at least 16 characters\n");
		return 2;
	}
	if (cli_ensure_dir(cfg.data_dir) != 0) {
		fprintf(stderr, "etlscope: cannot create data directory %s: %s\n", cfg.data_dir,
			strerror(errno));
		return 1;
	}
	/* Block the stop signals in every thread; the main thread waits for them. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN); /* a file-size limit is a failed write (handled), not a kill */
	malloc_size_to_serve();
	if (server_start(&srv, &cfg, err, sizeof err) != 0) {
		fprintf(stderr, "etlscope: %s\n", err);
		return 1;
	}
	const char *host = cfg.listen;
	const char *colon = strrchr(host, ':');
	printf("etlscope: listening on %s://%.*s:%d/\n", cfg.tls_cert ? "https" : "http",
	       colon ? (int)(colon - host) : 9, colon ? host : "127.0.0.1", srv.port);
	fflush(stdout);
	int sig;
	sigwait(&set, &sig);
	fprintf(stderr, "etlscope: stopping\n");
	server_stop(&srv);
	return 0;
}

/* glibc's malloc, sized to the work (issue 17, bench/README.md "Peak RSS, second look"):
 * - 2 arenas: glibc gives threads up to 8 per core and keeps what each once held; with
 *   dozens of request threads and an ingest's large short-lived buffers the load
 *   benchmark's RSS reached 710 MB, against 225 MB with 2 arenas.
 * - a fixed mmap threshold: by default it rises to the size of each large block freed (up
 *   to 32 MB), after which blocks that large come from the heap and stay resident once
 *   freed; the stack reader's and call-tree builds' arrays of tens of MB then added up
 *   (a 60 s trace's ingest peaked at 91 MB, 66 MB with this). Blocks of 128 KiB and more
 *   are mapped and unmapped on their own.
 * - a 1 MiB trim threshold: freed memory at the heap's top goes back at 1 MiB, not 128 KiB
 *   (fewer brk calls during an ingest's churn) nor the dynamic threshold's 64 MB. */
static void malloc_size_to_work(void)
{
	mallopt(M_ARENA_MAX, 2);
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
}

int main(int argc, char **argv)
{
	malloc_size_to_work();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("etlscope %s\n", ETLSCOPE_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "serve"))
		return cli_serve(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ingest"))
		return cli_ingest(argc - 1, argv + 1);
	if (!strcmp(argv[1], "demo"))
		return cli_demo(argc - 1, argv + 1);
	if (!strcmp(argv[1], "symbols"))
		return cli_symbols(argc - 1, argv + 1);
	fprintf(stderr, "etlscope: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
