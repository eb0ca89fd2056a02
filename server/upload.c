/* upload.c — POST /api/uploads?name=…&file=…: the raw request body (no multipart) is
 * streamed with mg_read into a spool file in the data directory, bounded by the upload
 * limit. With --stream-ingest the ingest worker reads the spool as it grows
 * (ingest_grow.h), so the verdict follows the last byte; by default it starts once the
 * body has arrived (a streaming ingest holds one of the --ingest-workers for as long as
 * the upload lasts; it writes its own run file, so nobody else waits on its writes). Answers 202 with the job to poll once the body has arrived. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "api_text.h"
#include "ingest_grow.h"
#include "jobs.h"
#include "pdh/pdh_encoding.h"
#include "server.h"

#define SPOOL_BUF (256 * 1024)

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int upload_stream(struct mg_connection *conn, struct server_ctx *s,
			 const struct mg_request_info *ri, const char *name, const char *file,
			 const char *encoding, char *id, const char **slot);

/* The upload slot taken for client address *slot given back, once (*slot then NULL). Before
 * the answer is sent, not after: a client that sends its next file as soon as it has the
 * answer (the upload page does, one file after another) must find the slot free. */
static void slot_release(struct server_ctx *s, const char **slot)
{
	if (*slot)
		limits_upload_end(&s->limits, *slot);
	*slot = NULL;
}

int upload_refused(struct mg_connection *conn, struct server_ctx *s)
{
	if (s->cfg.read_only) {
		http_send_error(conn, 403, "this server is read-only");
		return 403;
	}
	if (!http_same_origin(conn)) {
		http_send_error(conn, 403, "cross-origin uploads are refused");
		return 403;
	}
	if (!http_access_allowed(conn, &s->cfg)) {
		http_send_error(conn, 401, "this server needs its access token for uploads");
		return 401;
	}
	return 0;
}

int upload_too_large(struct mg_connection *conn, int64_t max, const char *what)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	if (ri->content_length <= max)
		return 0;
	http_send_error(conn, 413, "the %s is %lld bytes; this server accepts at most %lld", what,
			ri->content_length, (long long)max);
	return 413;
}

int upload_handle(struct mg_connection *conn, struct server_ctx *s)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	char name[API_TEXT_MAX + 1], file[API_TEXT_MAX + 1], why[256], encoding[64] = "", id[JOB_ID_LEN + 1];

	int st = upload_refused(conn, s);
	if (st)
		return st;
	st = upload_too_large(conn, s->cfg.max_upload, "file");
	if (st)
		return st;
	if (api_text_upload_params(ri->query_string, name, file, why, sizeof why) != 0) {
		http_send_error(conn, 400, "%s", why); /* the same rules as PATCH (api_text.h) */
		return 400;
	}
	if (ri->query_string)
		mg_get_var(ri->query_string, strlen(ri->query_string), "encoding", encoding,
			   sizeof encoding);
	if (encoding[0] && !pdh_encoding_supported(encoding)) {
		http_send_error(conn, 400, "unknown text encoding; name one iconv knows, e.g. "
				"UTF-8, CP1251, CP1252, CP932");
		return 400;
	}
	int busy = limits_upload_begin(&s->limits, ri->remote_addr);
	if (busy != 0) {
		http_send_error(conn, 429, busy == 1 ? "the server is busy with other uploads; try again shortly"
						      : "you have too many uploads in progress");
		return 429;
	}
	const char *slot = ri->remote_addr;
	int status = upload_stream(conn, s, ri, name, file, encoding, id, &slot);
	slot_release(s, &slot);
	return status;
}

/* The body of an accepted upload: spool it, then queue or refuse it. */
int upload_spool(struct mg_connection *conn, struct server_ctx *s, int fd, int64_t max,
		 void (*progress)(void *ud, long long total), void *ud, long long *total,
		 const char **why)
{
	char *buf = malloc(SPOOL_BUF);
	int status = 0;
	*total = 0;
	/* A client that trickles bytes would hold a worker thread for ever: after the grace
	 * period it must keep up the minimum average rate. mg_read returns only when its
	 * buffer is full, so the watchdog checks the rate on a clock and ends the read. */
	int watch = guard_upload_begin(&s->guard, guard_conn_fd(&s->guard, conn));
	if (!buf) {
		status = 500;
		*why = "out of memory";
	}
	while (!status) {
		int n = mg_read(conn, buf, SPOOL_BUF);
		if (n == 0)
			break;
		if (n < 0) {
			status = 400;
			*why = "the upload was interrupted";
			break;
		}
		*total += n;
		if (*total > max) {
			status = 413;
			*why = "the file is larger than this server accepts";
			break;
		}
		if (write_all(fd, buf, (size_t)n) != 0) {
			int full = errno == ENOSPC || errno == EDQUOT || errno == EFBIG;
			status = full ? 507 : 500;
			*why = full ? "the server's disk is full" : "cannot write the upload";
			break;
		}
		if (progress)
			progress(ud, *total);
	}
	free(buf);
	if (guard_upload_end(&s->guard, watch)) {
		status = 408;
		*why = "the upload is too slow";
	}
	return status;
}

int upload_spool_temp(struct mg_connection *conn, struct server_ctx *s, const char *prefix,
		      int64_t max, char *path, size_t pathlen, const char **why)
{
	long long total = 0;
	int fd = -1, status = 500;
	*why = "cannot store the upload";
	if ((size_t)snprintf(path, pathlen, "%s/%sXXXXXX", s->cfg.data_dir, prefix) < pathlen)
		fd = mkstemp(path);
	if (fd >= 0) {
		http_send_continue(conn);
		status = upload_spool(conn, s, fd, max, NULL, NULL, &total, why);
		if (!status && total == 0)
			status = 400, *why = "the upload is empty";
		if (!status && fsync(fd) != 0)
			status = 500, *why = "cannot flush the upload to disk";
		if (close(fd) != 0 && !status)
			status = 500, *why = "cannot flush the upload to disk";
		if (status)
			unlink(path);
	}
	return status;
}

/* The upload job hears how many bytes have arrived (shown while the upload runs), and its
 * ingest may read them. */
struct job_progress {
	struct jobs *jobs;
	const char *id;
	struct ingest_grow *grow;
};

static void job_received(void *ud, long long total)
{
	const struct job_progress *jp = ud;
	jobs_received(jp->jobs, jp->id, total);
	ingest_grow_wrote(jp->grow, total);
}

static int upload_stream(struct mg_connection *conn, struct server_ctx *s,
			 const struct mg_request_info *ri, const char *name, const char *file,
			 const char *encoding, char *id, const char **slot)
{
	char path[4096];
	long long total = 0;
	int fd;

	if (jobs_begin(s->jobs, name, file, encoding, ri->content_length, id) != 0) {
		slot_release(s, slot);
		http_send_error(conn, 503, "too many uploads in progress, or the catalog is unreachable; try again shortly");
		return 503;
	}
	snprintf(path, sizeof path, "%s/upload-XXXXXX", s->cfg.data_dir);
	struct ingest_grow *grow = ingest_grow_new(ri->content_length);
	fd = grow ? mkstemp(path) : -1;
	if (fd < 0) {
		ingest_grow_unref(grow);
		jobs_fail(s->jobs, id, "cannot create a spool file");
		slot_release(s, slot);
		http_send_error(conn, 500, "cannot store the upload: %s",
				grow ? strerror(errno) : "out of memory");
		return 500;
	}
	if (s->cfg.stream_ingest)
		jobs_stream(s->jobs, id, path, grow); /* the ingest starts on the first bytes */
	/* civetweb 1.15 does not answer Expect: 100-continue for request handlers; curl
	 * would otherwise wait a second before sending the body. */
	http_send_continue(conn);

	const char *why = NULL;
	struct job_progress jp = {s->jobs, id, grow};
	int status = upload_spool(conn, s, fd, s->cfg.max_upload, job_received, &jp, &total, &why);
	if (!status && ri->content_length >= 0 && total != ri->content_length) {
		status = 400;
		why = "the upload ended before Content-Length bytes arrived";
	}
	if (!status && total == 0) {
		status = 400;
		why = "the upload is empty";
	}
	/* No fsync: the ingest reads the spool back through the page cache and deletes it,
	 * and a restart deletes spools left behind (server.c); only close can still fail. */
	if (close(fd) != 0 && !status) {
		status = 507;
		why = "cannot flush the upload to disk";
	}
	if (status) {
		ingest_grow_fail(grow, why); /* before the job: its ingest must not commit */
		ingest_grow_unref(grow);
		unlink(path);
		jobs_fail(s->jobs, id, why);
		slot_release(s, slot);
		if (status == 413)
			http_send_error(conn, 413, "%s (limit %lld bytes)", why,
					(long long)s->cfg.max_upload);
		else
			http_send_error(conn, status, "%s", why);
		return status;
	}
	ingest_grow_finish(grow);
	if (!s->cfg.stream_ingest) /* the whole file is there: the ingest reads it at once */
		jobs_stream(s->jobs, id, path, grow);
	ingest_grow_unref(grow);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "job", id);
	char url[64];
	snprintf(url, sizeof url, "/api/jobs/%s", id);
	cJSON_AddStringToObject(o, "status_url", url);
	cJSON_AddNumberToObject(o, "received", (double)total);
	slot_release(s, slot);
	http_send_json(conn, 202, o);
	return 202;
}
