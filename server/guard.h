/* guard.h — what civetweb 1.15 cannot do for a thread-per-connection server that must not
 * be stopped by slow clients: find a connection's socket, close a connection after a
 * refusal without reading the rest of its body, and cut uploads that fall below the
 * minimum rate on a clock (a watchdog thread), not only when a read returns. */
#ifndef ETLSCOPE_GUARD_H
#define ETLSCOPE_GUARD_H

#include <pthread.h>
#include <stdint.h>

struct mg_connection;

#define GUARD_UPLOADS 256   /* watched uploads at once (>= the worker threads) */
#define GUARD_PROBATION 256 /* connections on probation at once (>= the worker threads) */
#define GUARD_PROBATION_MS 50    /* a connection on probation's first allowance (see below) */
#define GUARD_PROBATION_RATE 100 /* bytes/s: each byte received adds 10 ms to the allowance */

struct guard_upload {
	int fd;            /* -1 = free slot */
	int64_t start_us;  /* monotonic */
	uint64_t base;     /* bytes the socket had received when the upload began */
	int cut;           /* the watchdog shut the socket's read side: too slow */
};

struct guard_probation {
	int fd;           /* the connection's socket, found once when its probation begins */
	int tls;
	int64_t since_us; /* monotonic; 0 = free slot */
};

struct guard {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	int started, stopping;
	int idle; /* the watchdog is in its long sleep (nothing watched) */
	int64_t min_rate; /* bytes/s averaged over the upload; 0 = no minimum */
	int grace_s;
	int info_offset; /* where a connection keeps its request info; -1 unknown */
	/* Are the worker threads all taken (a new connection would wait for one)? Asked by
	 * the watchdog about connections on probation past their allowance; NULL: always. */
	int (*crowded)(void *ud);
	/* Writes the refusal (503) to a plain-TCP socket on probation before the watchdog
	 * shuts it; must not block (send with MSG_DONTWAIT). NULL: shut without an answer. */
	void (*refuse)(void *ud, int fd);
	void *crowded_ud; /* both callbacks' argument */
	struct guard_upload up[GUARD_UPLOADS];
	struct guard_probation pb[GUARD_PROBATION];
};

/* Start the watchdog (it wakes four times a second while uploads are watched, forty
 * times while connections are on probation). */
int guard_start(struct guard *g, int64_t min_rate, int grace_s, int (*crowded)(void *ud),
		void (*refuse)(void *ud, int fd), void *crowded_ud);
void guard_stop(struct guard *g);

/* Watch the upload on socket fd: returns a slot for guard_upload_end, or -1 if none is
 * free or fd < 0 (the upload then runs unwatched; mg_read's own timeout still applies). */
int guard_upload_begin(struct guard *g, int fd);
/* Stop watching; 1 if the watchdog cut the upload for being too slow, else 0. */
int guard_upload_end(struct guard *g, int slot);

/* A connection's request info, also before its request is read (init_connection,
 * connection_close), when mg_get_request_info answers NULL although civetweb has already
 * filled in the client's address. Its place inside the connection is learned from
 * mg_get_request_info on each request (guard_learn_layout); until then it is taken as in
 * civetweb 1.15 only if that is the library loaded. NULL when unknown. */
const struct mg_request_info *guard_conn_info(struct guard *g, const struct mg_connection *conn);
void guard_learn_layout(struct guard *g, const struct mg_connection *conn);

/* The socket of this connection (matched by its local and peer address), or -1.
 * civetweb 1.15 does not export it; the connection stays open while its handler runs,
 * so the descriptor is stable until the handler returns. */
int guard_conn_fd(struct guard *g, const struct mg_connection *conn);

/* Probation: a connection let in over the connection caps holds a worker thread that the
 * caps did not grant it. Its allowance is GUARD_PROBATION_MS plus 1 s per
 * GUARD_PROBATION_RATE bytes it has sent (a minimum data rate, as Apache's mod_reqtimeout
 * MinRate: a steady client, however slow its machine, keeps earning time; a trickle does
 * not). The watchdog shuts it only when it is past its allowance, its complete request head
 * is not waiting unread in the kernel (its worker thread has not run yet: a loaded machine,
 * not a slow client), AND the worker threads are crowded: while threads are free it waits
 * for its request like any other connection, up to civetweb's request timeout. A shut
 * plain-TCP connection is first answered 503 with Retry-After (the refuse callback); a TLS
 * one cannot be written to from outside civetweb and is only shut.
 * guard_probation_begin returns the connection's probation (store it as its conn_data), or
 * NULL if none is free or its socket is not found; guard_on_probation tells such a pointer
 * apart; guard_probation_end ends it (the head arrived, or the connection closes). */
void *guard_probation_begin(struct guard *g, const struct mg_request_info *ri);
int guard_on_probation(const struct guard *g, const void *state);
void guard_probation_end(struct guard *g, void *probation);

/* After an error response to a request whose body we do not want: send FIN, discard what
 * the client still sends until it pauses for idle_ms or max_ms pass (so a small body
 * already in flight does not turn our close into a reset that loses the answer), then
 * shut the read side so civetweb reads nothing more. A trickle holds the thread idle_ms,
 * a flood max_ms at most. */
void guard_close_refused(struct guard *g, const struct mg_connection *conn, int idle_ms,
			 int max_ms);

#endif
