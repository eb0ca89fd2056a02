/* fuzz_ingest_grow.c — libFuzzer harness for ingesting an upload while it is written
 * (ingest/ingest_grow.h) through the whole ingest (detection and every parser). The first
 * two input bytes choose where the upload is cut (0xFFFF: never) and, with the third, the
 * writer's chunk size and whether the length is announced; the rest is the file. A writer
 * thread copies it into a spool file chunk by chunk while ingest_file_ex reads it (an
 * ETW trace's buffers by offset through ingest_grow_pread, the rest through the FILE).
 * Invariants: a cut upload never ingests: INGEST_EIO with the upload's reason, or, when the
 * parser refused the file before reaching the cut, the same refusal and records as for the
 * whole file; a complete upload gives the same result code and the same records, counted
 * per kind, as the ingest of the same bytes from a whole file. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fuzz/invariant.h"
#include "ingest/ingest.h"
#include "ingest/ingest_grow.h"

#define CUT_WHY "cut by the fuzzer"

struct counts {
	long n[8];
	int32_t next;
};

static int c_counter(void *ud, const struct sink_counter *c, uint32_t *idx)
{
	struct counts *k = ud;
	(void)c;
	*idx = (uint32_t)k->next++;
	k->n[0]++;
	return 0;
}
static int c_sample(void *ud, int64_t t, const double *v, size_t n) { (void)t, (void)v, (void)n; ((struct counts *)ud)->n[1]++; return 0; }
static int c_module(void *ud, const struct sink_module *m, int32_t *id)
{
	struct counts *k = ud;
	(void)m;
	*id = k->next++;
	k->n[2]++;
	return 0;
}
static int c_dpcisr(void *ud, const struct sink_dpcisr *e) { (void)e; ((struct counts *)ud)->n[3]++; return 0; }
static int c_cpu_sample(void *ud, const struct sink_cpu_sample *s) { (void)s; ((struct counts *)ud)->n[4]++; return 0; }
static int c_warning(void *ud, const char *code, const char *msg) { (void)code, (void)msg; ((struct counts *)ud)->n[5]++; return 0; }
static int c_summary(void *ud, const cJSON *j) { (void)j; ((struct counts *)ud)->n[6]++; return 0; }
static int c_bucket(void *ud, const struct sink_dpcisr_bucket *b) { (void)b; ((struct counts *)ud)->n[7]++; return 0; }
static int c_usage(void *ud, const struct sink_dpcisr_usage *u) { (void)u; ((struct counts *)ud)->n[7]++; return 0; }

static int ingest(const char *path, struct ingest_grow *grow, struct counts *k, struct ingest_error *err)
{
	struct ingest_sink sink = {.ud = k, .counter = c_counter, .sample = c_sample,
				   .module = c_module, .dpcisr = c_dpcisr,
				   .cpu_sample = c_cpu_sample, .warning = c_warning,
				   .summary = c_summary, .dpcisr_bucket = c_bucket,
				   .dpcisr_usage = c_usage};
	struct ingest_options opts = {.grow = grow};
	memset(k, 0, sizeof *k);
	return ingest_file_ex(path, &opts, &sink, NULL, err);
}

struct writer {
	const uint8_t *data;
	size_t size, cut, chunk;
	const char *path;
	struct ingest_grow *grow;
};

static void *write_upload(void *arg)
{
	struct writer *w = arg;
	FILE *f = fopen(w->path, "wb");
	size_t done = 0, end = w->cut < w->size ? w->cut : w->size;
	while (f && done < end) {
		size_t n = end - done < w->chunk ? end - done : w->chunk;
		if (fwrite(w->data + done, 1, n, f) != n || fflush(f) != 0)
			break;
		done += n;
		ingest_grow_wrote(w->grow, (int64_t)done);
	}
	if (f)
		fclose(f);
	if (f && done == w->size && w->cut >= w->size)
		ingest_grow_finish(w->grow);
	else
		ingest_grow_fail(w->grow, CUT_WHY);
	return NULL;
}

static int temp_file(char *path, const uint8_t *data, size_t n)
{
	strcpy(path, "/tmp/fuzz-grow-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	int ok = n == 0 || write(fd, data, n) == (ssize_t)n;
	close(fd);
	return ok ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	unsigned ctl = (unsigned)data[0] << 8 | data[1], mode = data[2];
	data += 3, size -= 3;
	size_t cut = ctl == 0xFFFF ? SIZE_MAX : size ? ctl % (size + 1) : 0;
	char whole[32], spool[32];
	if (temp_file(whole, data, size) != 0)
		return 0;
	if (temp_file(spool, NULL, 0) != 0) {
		unlink(whole);
		return 0;
	}
	struct counts a, b;
	struct ingest_error ea = {{0}}, eb = {{0}};
	int ra = ingest(whole, NULL, &a, &ea);

	struct ingest_grow *g = ingest_grow_new(mode & 1 ? (int64_t)size : -1);
	FUZZ_CHECK(g);
	struct writer w = {data, size, cut, 1 + (mode >> 1) * 97, spool, g};
	pthread_t t;
	FUZZ_CHECK(pthread_create(&t, NULL, write_upload, &w) == 0);
	int rb = ingest(spool, g, &b, &eb);
	pthread_join(t, NULL);
	ingest_grow_unref(g);
	unlink(whole);
	unlink(spool);

	if (cut < size) { /* a cut upload never ingests */
		FUZZ_CHECK(rb != INGEST_OK);
		if (rb == INGEST_EIO) /* it read up to the cut: the upload's reason */
			FUZZ_CHECK(strcmp(eb.message, CUT_WHY) == 0);
		else /* it refused the file before the cut: as it refuses the whole file */
			FUZZ_CHECK(rb == ra && memcmp(a.n, b.n, sizeof a.n) == 0);
		return 0;
	}
	FUZZ_CHECK(rb == ra);
	FUZZ_CHECK(memcmp(a.n, b.n, sizeof a.n) == 0);
	return 0;
}
