/* ingest_grow.c — a spool file read while its upload writes it (see ingest_grow.h): a
 * byte count and an end state behind one mutex, and a fopencookie FILE whose reads wait on
 * them and then pread the bytes already written; and ingest_grow_pread, the same wait and
 * pread at any offset without stdio (the ETL walker's reads). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ingest_grow.h"

enum grow_state { GROW_WRITING, GROW_COMPLETE, GROW_FAILED };

struct ingest_grow {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs;
	enum grow_state state;
	int64_t written, expected;
	int64_t ended_us; /* CLOCK_MONOTONIC when the writer ended, 0 before */
	int64_t parsed_us; /* CLOCK_MONOTONIC when the reader's parse returned, 0 before */
	char why[256];
	int fd; /* the spool, for ingest_grow_pread: opened by the first ingest_grow_open, -1
		 * before (set once, under mu; closed with the last reference) */
};

struct grow_reader {
	struct ingest_grow *g;
	int fd;
	int64_t pos;
};

struct ingest_grow *ingest_grow_new(int64_t expected)
{
	struct ingest_grow *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	g->refs = 1;
	g->expected = expected;
	g->fd = -1;
	return g;
}

void ingest_grow_ref(struct ingest_grow *g)
{
	pthread_mutex_lock(&g->mu);
	g->refs++;
	pthread_mutex_unlock(&g->mu);
}

void ingest_grow_unref(struct ingest_grow *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->mu);
	int last = --g->refs == 0;
	pthread_mutex_unlock(&g->mu);
	if (!last)
		return;
	if (g->fd >= 0)
		close(g->fd);
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cv);
	free(g);
}

void ingest_grow_wrote(struct ingest_grow *g, int64_t total)
{
	pthread_mutex_lock(&g->mu);
	if (g->state == GROW_WRITING && total > g->written) {
		g->written = total;
		pthread_cond_broadcast(&g->cv);
	}
	pthread_mutex_unlock(&g->mu);
}

int64_t ingest_grow_now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* The first end wins: a finished upload cannot fail later, nor a failed one finish. */
static void grow_end(struct ingest_grow *g, enum grow_state st, const char *why)
{
	pthread_mutex_lock(&g->mu);
	if (g->state == GROW_WRITING) {
		g->ended_us = ingest_grow_now_us();
		g->state = st;
		if (why)
			snprintf(g->why, sizeof g->why, "%s", why);
		pthread_cond_broadcast(&g->cv);
	}
	pthread_mutex_unlock(&g->mu);
}

void ingest_grow_finish(struct ingest_grow *g)
{
	grow_end(g, GROW_COMPLETE, NULL);
}

void ingest_grow_fail(struct ingest_grow *g, const char *why)
{
	grow_end(g, GROW_FAILED, why && *why ? why : "the upload failed");
}

int ingest_grow_end(struct ingest_grow *g, int wait, char *why, size_t whylen)
{
	pthread_mutex_lock(&g->mu);
	while (wait && g->state == GROW_WRITING)
		pthread_cond_wait(&g->cv, &g->mu);
	int rc = g->state == GROW_COMPLETE ? 0 : g->state == GROW_WRITING ? 1 : -1;
	if (rc < 0 && why && whylen)
		snprintf(why, whylen, "%s", g->why);
	pthread_mutex_unlock(&g->mu);
	return rc;
}

int64_t ingest_grow_ended_us(struct ingest_grow *g)
{
	pthread_mutex_lock(&g->mu);
	int64_t t = g->ended_us;
	pthread_mutex_unlock(&g->mu);
	return t;
}

void ingest_grow_parsed(struct ingest_grow *g)
{
	int64_t now = ingest_grow_now_us();
	pthread_mutex_lock(&g->mu);
	if (!g->parsed_us)
		g->parsed_us = now;
	pthread_mutex_unlock(&g->mu);
}

int64_t ingest_grow_parsed_us(struct ingest_grow *g)
{
	pthread_mutex_lock(&g->mu);
	int64_t t = g->parsed_us;
	pthread_mutex_unlock(&g->mu);
	return t;
}

int64_t ingest_grow_written(struct ingest_grow *g)
{
	pthread_mutex_lock(&g->mu);
	int64_t n = g->written;
	pthread_mutex_unlock(&g->mu);
	return n;
}

int64_t ingest_grow_expected(struct ingest_grow *g)
{
	return g->expected; /* set once by ingest_grow_new, never written after */
}

/* Bytes readable at pos once some are (or the end is known): > 0 bytes, 0 the complete
 * file's end, -1 the upload failed. */
static int64_t wait_readable(struct ingest_grow *g, int64_t pos)
{
	pthread_mutex_lock(&g->mu);
	while (g->state == GROW_WRITING && g->written <= pos)
		pthread_cond_wait(&g->cv, &g->mu);
	int64_t avail = g->state == GROW_FAILED ? -1 : g->written > pos ? g->written - pos : 0;
	pthread_mutex_unlock(&g->mu);
	return avail;
}

static ssize_t reader_read(void *cookie, char *buf, size_t size)
{
	struct grow_reader *r = cookie;
	int64_t avail = wait_readable(r->g, r->pos);
	if (avail < 0) {
		errno = EIO;
		return -1;
	}
	size_t n = (uint64_t)avail < size ? (size_t)avail : size;
	if (n == 0)
		return 0;
	ssize_t got;
	do
		got = pread(r->fd, buf, n, (off_t)r->pos);
	while (got < 0 && errno == EINTR);
	if (got <= 0) { /* written bytes that cannot be read back */
		if (got == 0)
			errno = EIO;
		return -1;
	}
	r->pos += got;
	return got;
}

/* The file's length for SEEK_END: announced, else known at the end; -1 failed. */
static int64_t grow_length(struct ingest_grow *g)
{
	pthread_mutex_lock(&g->mu);
	int64_t len = g->expected;
	if (len < 0) {
		while (g->state == GROW_WRITING)
			pthread_cond_wait(&g->cv, &g->mu);
		len = g->state == GROW_COMPLETE ? g->written : -1;
	}
	pthread_mutex_unlock(&g->mu);
	return len;
}

static int reader_seek(void *cookie, off64_t *offset, int whence)
{
	struct grow_reader *r = cookie;
	int64_t base = 0;
	if (whence == SEEK_CUR) {
		base = r->pos;
	} else if (whence == SEEK_END) {
		base = grow_length(r->g);
		if (base < 0) {
			errno = EIO;
			return -1;
		}
	} else if (whence != SEEK_SET) {
		errno = EINVAL;
		return -1;
	}
	if (*offset < -base || (*offset > 0 && base > INT64_MAX - *offset)) {
		errno = EINVAL;
		return -1;
	}
	r->pos = base + *offset;
	*offset = r->pos;
	return 0;
}

static int reader_close(void *cookie)
{
	struct grow_reader *r = cookie;
	int rc = close(r->fd);
	ingest_grow_unref(r->g);
	free(r);
	return rc;
}

FILE *ingest_grow_open(struct ingest_grow *g, const char *path)
{
	struct grow_reader *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		free(r);
		return NULL;
	}
	r->g = g;
	cookie_io_functions_t io = {.read = reader_read, .seek = reader_seek, .close = reader_close};
	FILE *f = fopencookie(r, "rb", io);
	if (!f) {
		close(r->fd);
		free(r);
		return NULL;
	}
	ingest_grow_ref(g);
	pthread_mutex_lock(&g->mu);
	if (g->fd < 0)
		g->fd = open(path, O_RDONLY | O_CLOEXEC); /* -1: ingest_grow_pread fails (EIO) */
	pthread_mutex_unlock(&g->mu);
	return f;
}

/* Wait until [off, off + n) is written or the upload ended: the bytes readable at off
 * (≤ n; fewer only at the complete file's end), -1 failed; *fd the spool's descriptor. */
static int64_t wait_range(struct ingest_grow *g, int64_t off, size_t n, int *fd)
{
	int64_t want = (uint64_t)n > (uint64_t)(INT64_MAX - off) ? INT64_MAX : off + (int64_t)n;
	pthread_mutex_lock(&g->mu);
	while (g->state == GROW_WRITING && g->written < want)
		pthread_cond_wait(&g->cv, &g->mu);
	int64_t avail = g->state == GROW_FAILED ? -1 : g->written > off ? g->written - off : 0;
	*fd = g->fd;
	pthread_mutex_unlock(&g->mu);
	return avail < (int64_t)n || avail < 0 ? avail : (int64_t)n;
}

int64_t ingest_grow_pread(struct ingest_grow *g, void *buf, size_t n, int64_t off)
{
	if (off < 0 || n > INT64_MAX) {
		errno = EINVAL;
		return -1;
	}
	int fd;
	int64_t avail = wait_range(g, off, n, &fd);
	if (avail < 0 || fd < 0) {
		errno = EIO;
		return -1;
	}
	size_t got = 0;
	while (got < (size_t)avail) {
		ssize_t r = pread(fd, (char *)buf + got, (size_t)avail - got, (off_t)(off + (int64_t)got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) { /* written bytes that cannot be read back */
			if (r == 0)
				errno = EIO;
			return -1;
		}
		got += (size_t)r;
	}
	return (int64_t)got;
}
