/* limits.h — abuse limits kept in the server context: a per-client request rate (token
 * bucket per IP address), and upload slots (server-wide and per client) so that uploads
 * can never take every worker thread away from readers. */
#ifndef ETLSCOPE_LIMITS_H
#define ETLSCOPE_LIMITS_H

#include <pthread.h>
#include <stdint.h>

#define LIMITS_CLIENTS 1024 /* tracked addresses; the least recently seen is replaced */

struct limits_client {
	char addr[48];
	double tokens;
	int64_t last_us;
	int uploads;
	int conns;      /* open connections from this address */
};

struct limits {
	pthread_mutex_t mu;
	double rate, burst;   /* requests per second and bucket size; rate 0 = unlimited */
	int max_uploads;      /* concurrent uploads, whole server */
	int max_uploads_ip;   /* concurrent uploads per client address */
	int uploads;
	int max_conns_ip;     /* connections per client address held freely */
	int waiting;          /* connections whose request head has not arrived yet */
	int open;             /* connections open, whole server */
	int max_waiting;      /* held freely in that state, whole server */
	struct limits_client client[LIMITS_CLIENTS];
};

void limits_init(struct limits *l, double rate, double burst, int max_uploads, int max_uploads_ip,
		 int max_conns_ip, int max_waiting);
void limits_destroy(struct limits *l);
/* 1 if this request may proceed; 0 if the client exceeded its rate (answer 429). */
int limits_request(struct limits *l, const char *addr, int64_t now_us);
/* 0 and a slot taken; 1 the server is at its upload limit; 2 this client is. */
int limits_upload_begin(struct limits *l, const char *addr);
void limits_upload_end(struct limits *l, const char *addr);
/* Count a new connection from addr, before its request is read: 1 if it is within the
 * per-address cap and the server-wide cap on connections still waiting for their request
 * (it then counts as waiting until limits_conn_request: its request arrived, or it
 * closes first); 0 if over either cap. Every open is matched by one limits_conn_close. */
int limits_conn_open(struct limits *l, const char *addr);
void limits_conn_request(struct limits *l);
void limits_conn_close(struct limits *l, const char *addr);
/* Are threads connections open (each holds a worker thread), so that a new one waits? */
int limits_crowded(struct limits *l, int threads);
/* May a connection from addr stay open for another request (keep-alive)? An idle kept
 * connection holds a worker thread, so only while the server has at most max_waiting
 * connections open (half the workers) and addr has at most half its per-address cap open:
 * the other half stays free for its new connections (a browser opens spare ones ahead of
 * need, which over the cap would be on probation and shut while idle): 1 or 0. */
int limits_keep_alive(struct limits *l, const char *addr);

#endif
