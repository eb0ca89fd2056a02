/* guard.c — connection sockets, closing refused requests, and the upload-rate watchdog
 * (see guard.h).
 *
 * Invariants:
 * - The watchdog only touches a socket while its slot is in use, under g->mu; the upload
 *   handler frees the slot (under g->mu) before it returns and civetweb closes the socket,
 *   so the watchdog never shuts down a descriptor that was closed and reused.
 * - The watchdog only ever shuts the read side of an upload: the handler still answers 408.
 * - A connection on probation is written to and shut (both sides) only while it is still
 *   registered, under g->mu; begin_request, http_error and connection_close end the
 *   probation under g->mu before civetweb closes the socket, so the watchdog never touches
 *   a reused descriptor. Its descriptor is found once, on its own worker thread, when the
 *   probation begins (not in the watchdog's tick, under g->mu, where a scan of
 *   /proc/self/fd per connection per tick held up every begin_request waiting for g->mu).
 * - What the probation rules cost (guard.h; the numbers are guard.h's):
 *   first allowance GUARD_PROBATION_MS: an attacker's silent connection holds a thread 50 ms
 *     once the threads are crowded; an honest client whose loaded machine delays its first
 *     byte past it is answered 503 + Retry-After (not a bare close) — only while crowded.
 *   GUARD_PROBATION_RATE (each byte buys 10 ms): to keep a thread while others wait, an
 *     attacker must send 100 bytes/s on every connection it holds, and a 16 KiB head (the
 *     cap) runs out in 164 s, civetweb's request timeout much sooner; the old fixed 1 s
 *     after the first byte let one byte a second per connection hold a thread. An honest
 *     request head (100–1,000 bytes, sent at once) earns 1–10 s, however late its worker
 *     thread runs.
 *   crowded (open connections >= worker threads: a new connection would wait in civetweb's
 *     queue): nothing is shed while a thread is free, so an honest connection opened ahead of
 *     its request, or a slow but steady one, is never cut while it takes no thread anyone
 *     waits for; an attacker's connections then hold at most the threads, and civetweb's
 *     request timeout (--timeout, checked after each read) ends them.
 *   head queued unread: a complete head waiting in the kernel is never shed (its worker
 *     thread has not run yet); an attacker cannot use it to hold a thread, since its worker
 *     reads the head at once when it runs and answers it.
 * - The rate is measured from the kernel's count of bytes received on the socket
 *   (TCP_INFO), so it is checked on a clock even while mg_read waits to fill its buffer. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/tcp.h>
#include <civetweb.h>
#include "guard.h"

static int64_t mono_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* Bytes the kernel has received on this TCP socket, or 0 if unknown. */
static uint64_t bytes_received(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof ti;
	memset(&ti, 0, sizeof ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
	    len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti.tcpi_bytes_received)
		return 0;
	return ti.tcpi_bytes_received;
}

static int end_probations(struct guard *g, int64_t now);

static void *watchdog(void *arg)
{
	struct guard *g = arg;
	pthread_mutex_lock(&g->mu);
	while (!g->stopping) {
		int64_t now = mono_us();
		int watched = 0;
		for (int i = 0; i < GUARD_UPLOADS; i++) {
			struct guard_upload *u = &g->up[i];
			if (u->fd < 0 || u->cut)
				continue;
			watched++;
			double secs = (double)(now - u->start_us) / 1e6;
			if (secs <= g->grace_s)
				continue;
			uint64_t got = bytes_received(u->fd);
			got = got > u->base ? got - u->base : 0;
			if ((double)got / secs < (double)g->min_rate) {
				/* mg_read sees end of input at once; the handler answers 408. */
				shutdown(u->fd, SHUT_RD);
				u->cut = 1;
			}
		}
		int probation = end_probations(g, now);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		if (watched || probation) {
			until.tv_nsec += (probation ? GUARD_PROBATION_MS / 2 : 250) * 1000000L;
			if (until.tv_nsec >= 1000000000L)
				until.tv_sec++, until.tv_nsec -= 1000000000L;
		} else {
			until.tv_sec += 60; /* woken by guard_upload_begin, guard_probation_begin */
		}
		g->idle = !(watched || probation);
		pthread_cond_timedwait(&g->cv, &g->mu, &until);
		g->idle = 0;
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

int guard_start(struct guard *g, int64_t min_rate, int grace_s, int (*crowded)(void *ud),
		void (*refuse)(void *ud, int fd), void *crowded_ud)
{
	memset(g, 0, sizeof *g);
	g->crowded = crowded;
	g->refuse = refuse;
	g->crowded_ud = crowded_ud;
	g->info_offset = -1;
	for (int i = 0; i < GUARD_UPLOADS; i++)
		g->up[i].fd = -1;
	g->min_rate = min_rate;
	g->grace_s = grace_s;
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	if (pthread_create(&g->thread, NULL, watchdog, g) != 0)
		return -1;
	g->started = 1;
	return 0;
}

void guard_stop(struct guard *g)
{
	pthread_mutex_lock(&g->mu);
	g->stopping = 1;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	if (g->started)
		pthread_join(g->thread, NULL);
	g->started = 0;
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cv);
}

int guard_upload_begin(struct guard *g, int fd)
{
	int slot = -1;
	if (fd < 0 || !g->started || g->min_rate <= 0)
		return -1;
	pthread_mutex_lock(&g->mu);
	for (int i = 0; i < GUARD_UPLOADS && slot < 0; i++)
		if (g->up[i].fd < 0) {
			g->up[i].fd = fd;
			g->up[i].start_us = mono_us();
			g->up[i].base = bytes_received(fd);
			g->up[i].cut = 0;
			slot = i;
		}
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
	return slot;
}

int guard_upload_end(struct guard *g, int slot)
{
	int cut;
	if (slot < 0)
		return 0;
	pthread_mutex_lock(&g->mu);
	cut = g->up[slot].cut;
	g->up[slot].fd = -1;
	pthread_mutex_unlock(&g->mu);
	return cut;
}

/* "a.b.c.d" and port of a socket address (IPv4 or IPv6), for comparison with civetweb's
 * request_info strings. */
static int addr_text(const struct sockaddr_storage *sa, char *out, size_t outlen, int *port)
{
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		*port = ntohs(in->sin_port);
		return inet_ntop(AF_INET, &in->sin_addr, out, (socklen_t)outlen) ? 0 : -1;
	}
	if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		*port = ntohs(in6->sin6_port);
		return inet_ntop(AF_INET6, &in6->sin6_addr, out, (socklen_t)outlen) ? 0 : -1;
	}
	return -1;
}

/* Offset of request_info in civetweb 1.15's struct mg_connection (three ints, then it). */
#define CIVETWEB_115_INFO_OFFSET 16

const struct mg_request_info *guard_conn_info(struct guard *g, const struct mg_connection *conn)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	int off = __atomic_load_n(&g->info_offset, __ATOMIC_RELAXED);
	if (ri)
		return ri;
	if (off < 0)
		off = strcmp(mg_version(), "1.15") == 0 ? CIVETWEB_115_INFO_OFFSET : -1;
	return off < 0 ? NULL : (const struct mg_request_info *)(const void *)((const char *)conn + off);
}

void guard_learn_layout(struct guard *g, const struct mg_connection *conn)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	long off = ri ? (long)((const char *)ri - (const char *)conn) : -1;
	if (off >= 0 && off < 4096)
		__atomic_store_n(&g->info_offset, (int)off, __ATOMIC_RELAXED);
}

/* The socket connected from addr:port to our server_port (0 = any), or -1. */
static int find_fd(const char *addr, int port, int server_port)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int found = -1;
	if (!d)
		return -1;
	while (found < 0 && (e = readdir(d))) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		struct sockaddr_storage peer, local;
		socklen_t pl = sizeof peer, ll = sizeof local;
		char text[INET6_ADDRSTRLEN];
		int pport, lport;
		if (*end || end == e->d_name || fd == dirfd(d))
			continue;
		if (getpeername((int)fd, (struct sockaddr *)&peer, &pl) != 0 ||
		    addr_text(&peer, text, sizeof text, &pport) != 0 || pport != port ||
		    strcmp(text, addr) != 0)
			continue;
		if (getsockname((int)fd, (struct sockaddr *)&local, &ll) != 0 ||
		    addr_text(&local, text, sizeof text, &lport) != 0 ||
		    (server_port && lport != server_port))
			continue;
		found = (int)fd;
	}
	closedir(d);
	return found;
}

int guard_conn_fd(struct guard *g, const struct mg_connection *conn)
{
	const struct mg_request_info *ri = guard_conn_info(g, conn);
	return ri ? find_fd(ri->remote_addr, ri->remote_port, ri->server_port) : -1;
}

void *guard_probation_begin(struct guard *g, const struct mg_request_info *ri)
{
	struct guard_probation *p = NULL;
	int fd;
	if (!g->started || (fd = find_fd(ri->remote_addr, ri->remote_port, ri->server_port)) < 0)
		return NULL;
	pthread_mutex_lock(&g->mu);
	for (int i = 0; i < GUARD_PROBATION && !p; i++)
		if (!g->pb[i].since_us)
			p = &g->pb[i];
	if (p) {
		p->fd = fd;
		p->tls = ri->is_ssl;
		p->since_us = mono_us();
		if (g->idle) /* the watchdog sleeps long: wake it to check this one in time */
			pthread_cond_signal(&g->cv);
	}
	pthread_mutex_unlock(&g->mu);
	return p;
}

int guard_on_probation(const struct guard *g, const void *state)
{
	const char *p = state;
	return p >= (const char *)g->pb && p < (const char *)(g->pb + GUARD_PROBATION);
}

void guard_probation_end(struct guard *g, void *slot)
{
	struct guard_probation *p = slot;
	pthread_mutex_lock(&g->mu);
	p->since_us = 0;
	pthread_mutex_unlock(&g->mu);
}

/* Is a complete request head (up to its blank line) waiting unread on the socket? Over
 * TLS it cannot be read before civetweb decrypts it: any bytes waiting count. */
static int head_queued(int fd, int tls)
{
	char head[16384 + 1];
	ssize_t n = recv(fd, head, sizeof head - 1, MSG_PEEK | MSG_DONTWAIT);
	if (n <= 0 || tls)
		return n > 0;
	head[n] = '\0';
	return strstr(head, "\r\n\r\n") || strstr(head, "\n\n");
}

/* Under g->mu: answer 503 and shut the connections on probation that are past their
 * allowance (guard.h) while the worker threads are crowded; returns how many stay. */
static int end_probations(struct guard *g, int64_t now)
{
	int left = 0, crowded = -1; /* asked once, when one is past its allowance */
	for (int i = 0; i < GUARD_PROBATION; i++) {
		struct guard_probation *p = &g->pb[i];
		if (!p->since_us)
			continue;
		int64_t age = now - p->since_us;
		if (age < (int64_t)GUARD_PROBATION_MS * 1000) {
			left++;
			continue;
		}
		/* Still registered, so civetweb has not closed it: the descriptor is its own. */
		uint64_t got = bytes_received(p->fd);
		int64_t allowed = (int64_t)GUARD_PROBATION_MS * 1000 +
				  (int64_t)(got > 1u << 30 ? 1u << 30 : got) * 1000000 / GUARD_PROBATION_RATE;
		if (age < allowed || head_queued(p->fd, p->tls)) {
			left++;
			continue;
		}
		if (crowded < 0)
			crowded = !g->crowded || g->crowded(g->crowded_ud);
		if (!crowded) {
			left++;
			continue;
		}
		if (!p->tls && g->refuse)
			g->refuse(g->crowded_ud, p->fd);
		shutdown(p->fd, SHUT_RDWR);
		p->since_us = 0;
	}
	return left;
}

void guard_close_refused(struct guard *g, const struct mg_connection *conn, int idle_ms,
			 int max_ms)
{
	int fd = guard_conn_fd(g, conn);
	char scratch[16384];
	if (fd < 0)
		return;
	shutdown(fd, SHUT_WR); /* the answer is complete: FIN after it */
	int64_t until = mono_us() + (int64_t)max_ms * 1000;
	for (;;) {
		int64_t left = (until - mono_us()) / 1000;
		struct pollfd p = {fd, POLLIN, 0};
		if (left > idle_ms)
			left = idle_ms;
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		ssize_t n = recv(fd, scratch, sizeof scratch, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			break;
	}
	shutdown(fd, SHUT_RD); /* civetweb's own drain now ends at once */
}
