/* test_etl_walker_read.c — the buffer walker reads the same buffers from a regular file
 * (pread, each read sized by the buffer before it) as from a stdio-only stream (fmemopen:
 * fseeko + fread) and from an upload still being written (ingest_grow_pread, a writer
 * thread appending the image in small steps): buffers that grow, shrink or stay alike, a
 * file cut inside a later buffer (truncated) and inside the first (handed out, marked cut).
 * A chunked upload (no length announced) is walked as it arrives, not from its end.
 * ingest_grow_pread itself returns the image's bytes at every offset while they are
 * written, and fails once the upload failed. Expected offsets, lengths and payload bytes
 * come from the file images built here, not from the walker. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ingest/etl/etl_buffer.h"
#include "ingest/etl/etl_le.h"
#include "ingest/ingest_grow.h"

#define HDR 0x48
#define MAX_BUFS 8

static uint8_t pattern(size_t buf, size_t k)
{
	return (uint8_t)(buf * 31 + k * 7 + 1);
}

/* buffers of sizes[] back to back, each used whole (Offset = BufferSize), payload bytes
 * pattern(i, k); the image is then cut to `keep` bytes (0: whole). Returns its length. */
static size_t image(uint8_t *f, const uint32_t *sizes, size_t n, size_t keep)
{
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t *b = f + off;
		memset(b, 0, HDR);
		etl_put32(b, sizes[i]);
		etl_put32(b + 0x30, sizes[i]);
		for (size_t k = 0; k < sizes[i] - HDR; k++)
			b[HDR + k] = pattern(i, k);
		off += sizes[i];
	}
	return keep && keep < off ? keep : off;
}

/* Walk f to its end (read through g, a growing upload, when not NULL); checks every buffer
 * against the image; returns the last status. */
static int walk(FILE *f, struct ingest_grow *g, const uint32_t *sizes, size_t whole,
		size_t cut_payload)
{
	struct etl_walker w;
	struct etl_buffer b;
	if (g)
		etl_walker_init_grow(&w, f, g);
	else
		etl_walker_init(&w, f);
	size_t i = 0, off = 0;
	int rc;
	while ((rc = etl_walker_next(&w, &b)) == ETL_WALK_OK) {
		assert_true(i < MAX_BUFS);
		assert_int_equal(b.index, i);
		assert_int_equal(b.file_offset, off);
		assert_int_equal(b.bad, 0);
		size_t len = i < whole ? sizes[i] - HDR : cut_payload;
		assert_int_equal(b.cut, i >= whole);
		assert_int_equal(b.payload_len, len);
		for (size_t k = 0; k < len; k++)
			if (b.payload[k] != pattern(i, k))
				fail_msg("buffer %zu byte %zu: %u, not %u", i, k, b.payload[k],
					 pattern(i, k));
		off += sizes[i];
		i++;
	}
	assert_int_equal(i, whole + (cut_payload ? 1 : 0));
	etl_walker_free(&w);
	return rc;
}

/* The layouts: buffer sizes, where the file is cut, what the walk hands out. */
static const struct layout {
	const char *name;
	uint32_t sizes[MAX_BUFS];
	size_t n, keep;   /* buffers; bytes kept of the image (0: all) */
	size_t whole;     /* buffers handed out whole */
	size_t cut;       /* payload bytes of a cut first buffer (0: none) */
	int end;          /* the walk's last status */
} layouts[] = {
	{"alike", {4096, 4096, 4096}, 3, 0, 3, 0, ETL_WALK_END},
	{"grow then shrink", {4096, 8192, 16384, 4096, 256}, 5, 0, 5, 0, ETL_WALK_END},
	{"shrink then grow", {16384, 256, 8192}, 3, 0, 3, 0, ETL_WALK_END},
	{"header-only buffer between", {4096, HDR, 4096}, 3, 0, 3, 0, ETL_WALK_END},
	/* cut 100 bytes into the third buffer: two whole, then truncated */
	{"cut in a later buffer", {4096, 8192, 8192}, 3, 4096 + 8192 + 100, 2, 0,
	 ETL_WALK_TRUNCATED},
	/* cut 2000 bytes into a lone first buffer: handed out, cut */
	{"cut in the first buffer", {4096}, 1, 2000, 0, 2000 - HDR, ETL_WALK_END},
};
#define N_LAYOUTS (sizeof layouts / sizeof *layouts)

static void test_regular_file_and_stream_alike(void **state)
{
	(void)state;
	const struct layout *cases = layouts;
	for (size_t c = 0; c < N_LAYOUTS; c++) {
		static uint8_t img[64 * 1024];
		size_t len = image(img, cases[c].sizes, cases[c].n, cases[c].keep);
		FILE *reg = tmpfile();
		assert_non_null(reg);
		assert_int_equal(fwrite(img, 1, len, reg), len);
		assert_int_equal(fflush(reg), 0);
		rewind(reg);
		assert_true(etl_file_fd(reg) >= 0); /* the pread path */
		FILE *mem = fmemopen(img, len, "rb");
		assert_non_null(mem);
		assert_int_equal(etl_file_fd(mem), -1); /* the stdio path */
		print_message("case %s\n", cases[c].name);
		assert_int_equal(walk(reg, NULL, cases[c].sizes, cases[c].whole, cases[c].cut),
				 cases[c].end);
		assert_int_equal(walk(mem, NULL, cases[c].sizes, cases[c].whole, cases[c].cut),
				 cases[c].end);
		fclose(reg);
		fclose(mem);
	}
}

/* The upload's writer: appends img[0, len) to fd in steps of `step` bytes, saying so after
 * each, a pause between steps (so the reader keeps catching up and waiting), then ends. */
struct writer {
	int fd;
	const uint8_t *img;
	size_t len, step;
	int fail;                /* end by failing, not completing */
	struct ingest_grow *g;
};

static void *writer_run(void *arg)
{
	struct writer *w = arg;
	struct timespec pause = {0, 100 * 1000};
	for (size_t done = 0; done < w->len;) {
		size_t n = w->len - done < w->step ? w->len - done : w->step;
		if (pwrite(w->fd, w->img + done, n, (off_t)done) != (ssize_t)n)
			break;
		done += n;
		ingest_grow_wrote(w->g, (int64_t)done);
		nanosleep(&pause, NULL);
	}
	if (w->fail)
		ingest_grow_fail(w->g, "cut");
	else
		ingest_grow_finish(w->g);
	return NULL;
}

/* A spool file, a growing upload over it (g; f the reader's FILE) and its writer thread. */
struct upload {
	struct writer w;
	pthread_t t;
	int joined;
	char path[64];
	FILE *f;
	struct ingest_grow *g;
};

/* Starts u: img[0, len) written by the thread, the length announced or not, ending by
 * failing when fail is set. */
static void upload_start(struct upload *u, const uint8_t *img, size_t len, int announce,
			 int fail)
{
	strcpy(u->path, "/tmp/etl_walker_growXXXXXX");
	int fd = mkstemp(u->path);
	assert_true(fd >= 0);
	u->g = ingest_grow_new(announce ? (int64_t)len : -1);
	assert_non_null(u->g);
	u->f = ingest_grow_open(u->g, u->path);
	assert_non_null(u->f);
	u->w = (struct writer){.fd = fd, .img = img, .len = len, .step = 1000, .fail = fail,
			       .g = u->g};
	u->joined = 0;
	assert_int_equal(pthread_create(&u->t, NULL, writer_run, &u->w), 0);
}

/* Waits for the writer to have ended the upload (once). */
static void upload_join(struct upload *u)
{
	if (!u->joined)
		pthread_join(u->t, NULL);
	u->joined = 1;
}

static void upload_done(struct upload *u)
{
	upload_join(u);
	fclose(u->f);
	close(u->w.fd);
	unlink(u->path);
	ingest_grow_unref(u->g);
}

/* Every layout, walked while its upload is written (Content-Length announced or not): the
 * same buffers as from the whole file. */
static void test_growing_upload_alike(void **state)
{
	(void)state;
	for (size_t c = 0; c < N_LAYOUTS; c++) {
		for (int announce = 0; announce < 2; announce++) {
			static uint8_t img[64 * 1024];
			const struct layout *L = &layouts[c];
			struct upload u;
			upload_start(&u, img, image(img, L->sizes, L->n, L->keep), announce, 0);
			print_message("case %s (%s)\n", L->name, announce ? "announced" : "chunked");
			struct etl_walker probe;
			etl_walker_init_grow(&probe, u.f, u.g);
			assert_int_equal(probe.fd, -1); /* read by ingest_grow_pread, not stdio */
			assert_ptr_equal(probe.grow, u.g);
			etl_walker_free(&probe);
			assert_int_equal(walk(u.f, u.g, L->sizes, L->whole, L->cut), L->end);
			upload_done(&u);
		}
	}
}

/* ingest_grow_pread at every offset (a prime step) and several lengths, from the first
 * byte written to past the end: the image's bytes, n of them or up to the end, waiting for
 * the writer where they are not there yet. */
static void test_grow_pread_every_offset(void **state)
{
	(void)state;
	static const size_t lens[] = {1, 7, HDR, 4096, 20000};
	for (size_t c = 0; c < N_LAYOUTS; c++) {
		static uint8_t img[64 * 1024], got[64 * 1024];
		const struct layout *L = &layouts[c];
		size_t len = image(img, L->sizes, L->n, L->keep);
		struct upload u;
		upload_start(&u, img, len, (int)(c & 1), 0);
		for (size_t off = 0; off <= len + 10; off += 331) {
			for (size_t j = 0; j < sizeof lens / sizeof *lens; j++) {
				size_t want = off >= len ? 0 : len - off < lens[j] ? len - off : lens[j];
				int64_t n = ingest_grow_pread(u.g, got, lens[j], (int64_t)off);
				assert_int_equal(n, (int64_t)want);
				if (memcmp(got, img + off, want) != 0)
					fail_msg("%s: %zu bytes at %zu differ", L->name, lens[j], off);
			}
		}
		upload_done(&u);
	}
}

/* A failed upload: every read fails (EIO), the walker's too — never a clean short file. */
static void test_grow_failed_upload(void **state)
{
	(void)state;
	static uint8_t img[64 * 1024], got[16];
	const uint32_t sizes[] = {4096, 4096};
	struct upload u;
	upload_start(&u, img, image(img, sizes, 2, 4096 + 100), 0, 1);
	upload_join(&u);
	errno = 0;
	assert_int_equal(ingest_grow_pread(u.g, got, sizeof got, 0), -1);
	assert_int_equal(errno, EIO);
	struct etl_walker wk;
	struct etl_buffer b;
	etl_walker_init_grow(&wk, u.f, u.g);
	assert_int_equal(etl_walker_next(&wk, &b), ETL_WALK_EIO);
	etl_walker_free(&wk);
	upload_done(&u);
}

/* A chunked upload (no announced length) is walked as it arrives: the first buffer is handed
 * out while the rest is not sent yet — the writer holds back the rest until the walker has it
 * (a guard of 10 s ends the wait, so a walker that waits for the end fails here rather than
 * hanging). Then the rest arrives cut mid-buffer and either completes (truncated: the cut
 * buffer is not handed out) or fails (a dropped connection: EIO, never a clean end; after a
 * failure no byte is read, so that case is cut inside the second buffer). */
struct held_writer {
	int fd;
	const uint8_t *img;
	size_t first, len;       /* bytes sent at once; bytes sent in all */
	int fail;
	struct ingest_grow *g;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int walker_has_first;
	int write_error;         /* checked by the test once joined (no cmocka in a thread) */
};

static void *held_writer_run(void *arg)
{
	struct held_writer *w = arg;
	if (pwrite(w->fd, w->img, w->first, 0) != (ssize_t)w->first)
		w->write_error = 1;
	ingest_grow_wrote(w->g, (int64_t)w->first);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&w->mu);
	while (!w->walker_has_first && pthread_cond_timedwait(&w->cv, &w->mu, &until) == 0)
		;
	pthread_mutex_unlock(&w->mu);
	size_t rest = w->len - w->first;
	if (pwrite(w->fd, w->img + w->first, rest, (off_t)w->first) != (ssize_t)rest)
		w->write_error = 1;
	ingest_grow_wrote(w->g, (int64_t)w->len);
	if (w->fail)
		ingest_grow_fail(w->g, "connection dropped");
	else
		ingest_grow_finish(w->g);
	return NULL;
}

static void test_chunked_upload_walked_as_it_arrives(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		int fail;
		size_t keep;      /* bytes sent in all */
		size_t more;      /* whole buffers handed out after the first */
		int end;
	} cases[] = {
		{"complete, cut in the third buffer", 0, 4096 + 8192 + 100, 1, ETL_WALK_TRUNCATED},
		{"dropped in the second buffer", 1, 4096 + 100, 0, ETL_WALK_EIO},
	};
	const uint32_t sizes[] = {4096, 8192, 8192};
	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
		static uint8_t img[32 * 1024];
		size_t len = image(img, sizes, 3, cases[c].keep);
		print_message("case %s\n", cases[c].name);
		char path[] = "/tmp/etl_walker_chunkedXXXXXX";
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		struct ingest_grow *g = ingest_grow_new(-1);
		assert_non_null(g);
		FILE *f = ingest_grow_open(g, path);
		assert_non_null(f);
		struct held_writer w = {.fd = fd, .img = img, .first = 4096, .len = len,
					.fail = cases[c].fail, .g = g};
		pthread_mutex_init(&w.mu, NULL);
		pthread_cond_init(&w.cv, NULL);
		pthread_t t;
		assert_int_equal(pthread_create(&t, NULL, held_writer_run, &w), 0);

		struct etl_walker wk;
		struct etl_buffer b;
		etl_walker_init_grow(&wk, f, g);
		assert_int_equal(etl_walker_next(&wk, &b), ETL_WALK_OK);
		/* the upload is still being written: the walk did not wait for its end */
		assert_int_equal(ingest_grow_end(g, 0, NULL, 0), 1);
		assert_int_equal(b.file_offset, 0);
		assert_int_equal(b.payload_len, 4096 - HDR);
		assert_int_equal(b.payload[0], pattern(0, 0));
		pthread_mutex_lock(&w.mu);
		w.walker_has_first = 1;
		pthread_cond_signal(&w.cv);
		pthread_mutex_unlock(&w.mu);

		for (size_t i = 1; i <= cases[c].more; i++) {
			assert_int_equal(etl_walker_next(&wk, &b), ETL_WALK_OK);
			assert_int_equal(b.index, i);
			assert_int_equal(b.payload_len, sizes[i] - HDR);
			assert_int_equal(b.payload[sizes[i] - HDR - 1], pattern(i, sizes[i] - HDR - 1));
		}
		assert_int_equal(etl_walker_next(&wk, &b), cases[c].end);
		etl_walker_free(&wk);

		pthread_join(t, NULL);
		assert_int_equal(w.write_error, 0);
		pthread_cond_destroy(&w.cv);
		pthread_mutex_destroy(&w.mu);
		fclose(f);
		close(fd);
		unlink(path);
		ingest_grow_unref(g);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regular_file_and_stream_alike),
		cmocka_unit_test(test_growing_upload_alike),
		cmocka_unit_test(test_grow_pread_every_offset),
		cmocka_unit_test(test_grow_failed_upload),
		cmocka_unit_test(test_chunked_upload_walked_as_it_arrives),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
