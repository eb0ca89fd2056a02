/* limits.c — per-client token buckets and upload slots (see limits.h). The client table is
 * small and fixed: a flood of new addresses recycles the oldest entries, never grows memory. */
#include <stdio.h>
#include <string.h>
#include "limits.h"

void limits_init(struct limits *l, double rate, double burst, int max_uploads, int max_uploads_ip,
		 int max_conns_ip, int max_waiting)
{
	memset(l, 0, sizeof *l);
	pthread_mutex_init(&l->mu, NULL);
	l->rate = rate;
	l->burst = burst < 1 ? 1 : burst;
	l->max_uploads = max_uploads < 1 ? 1 : max_uploads;
	l->max_uploads_ip = max_uploads_ip < 1 ? 1 : max_uploads_ip;
	l->max_conns_ip = max_conns_ip < 1 ? 1 : max_conns_ip;
	l->max_waiting = max_waiting < 1 ? 1 : max_waiting;
}

void limits_destroy(struct limits *l)
{
	pthread_mutex_destroy(&l->mu);
}

/* The entry for addr: found, or the least recently seen entry without uploads or open
 * connections, reset; NULL if every entry is busy. */
static struct limits_client *client(struct limits *l, const char *addr, int64_t now_us)
{
	struct limits_client *oldest = NULL;
	for (int i = 0; i < LIMITS_CLIENTS; i++) {
		struct limits_client *c = &l->client[i];
		if (c->addr[0] && strcmp(c->addr, addr) == 0)
			return c;
		if (c->uploads == 0 && c->conns == 0 && (!oldest || c->last_us < oldest->last_us))
			oldest = c;
	}
	if (!oldest)
		return NULL;
	snprintf(oldest->addr, sizeof oldest->addr, "%s", addr);
	oldest->tokens = l->burst;
	oldest->last_us = now_us;
	oldest->uploads = 0;
	oldest->conns = 0;
	return oldest;
}

int limits_request(struct limits *l, const char *addr, int64_t now_us)
{
	int ok = 1;
	if (l->rate <= 0)
		return 1;
	pthread_mutex_lock(&l->mu);
	struct limits_client *c = client(l, addr, now_us);
	if (c) {
		double add = (double)(now_us - c->last_us) / 1e6 * l->rate;
		c->tokens = c->tokens + (add > 0 ? add : 0);
		if (c->tokens > l->burst)
			c->tokens = l->burst;
		c->last_us = now_us;
		if (c->tokens >= 1)
			c->tokens -= 1;
		else
			ok = 0;
	}
	pthread_mutex_unlock(&l->mu);
	return ok;
}

int limits_upload_begin(struct limits *l, const char *addr)
{
	int rc;
	pthread_mutex_lock(&l->mu);
	struct limits_client *c = client(l, addr, 0);
	if (l->uploads >= l->max_uploads || !c)
		rc = 1;
	else if (c->uploads >= l->max_uploads_ip)
		rc = 2;
	else {
		l->uploads++;
		c->uploads++;
		rc = 0;
	}
	pthread_mutex_unlock(&l->mu);
	return rc;
}

/* The existing entry for addr, or NULL. */
static struct limits_client *known(struct limits *l, const char *addr)
{
	for (int i = 0; i < LIMITS_CLIENTS; i++)
		if (l->client[i].addr[0] && strcmp(l->client[i].addr, addr) == 0)
			return &l->client[i];
	return NULL;
}

int limits_conn_open(struct limits *l, const char *addr)
{
	int ok = 1;
	pthread_mutex_lock(&l->mu);
	struct limits_client *c = client(l, addr, 0);
	l->open++;
	if (c)
		ok = ++c->conns <= l->max_conns_ip;
	if (ok && l->waiting >= l->max_waiting)
		ok = 0;
	if (ok)
		l->waiting++;
	pthread_mutex_unlock(&l->mu);
	return ok;
}

void limits_conn_request(struct limits *l)
{
	pthread_mutex_lock(&l->mu);
	if (l->waiting > 0)
		l->waiting--;
	pthread_mutex_unlock(&l->mu);
}

void limits_conn_close(struct limits *l, const char *addr)
{
	pthread_mutex_lock(&l->mu);
	struct limits_client *c = known(l, addr);
	if (c && c->conns > 0)
		c->conns--;
	if (l->open > 0)
		l->open--;
	pthread_mutex_unlock(&l->mu);
}

int limits_keep_alive(struct limits *l, const char *addr)
{
	pthread_mutex_lock(&l->mu);
	const struct limits_client *c = known(l, addr);
	int ok = l->open <= l->max_waiting && (!c || 2 * c->conns <= l->max_conns_ip);
	pthread_mutex_unlock(&l->mu);
	return ok;
}

void limits_upload_end(struct limits *l, const char *addr)
{
	pthread_mutex_lock(&l->mu);
	struct limits_client *c = known(l, addr);
	if (c && c->uploads > 0)
		c->uploads--;
	if (l->uploads > 0)
		l->uploads--;
	pthread_mutex_unlock(&l->mu);
}

int limits_crowded(struct limits *l, int threads)
{
	pthread_mutex_lock(&l->mu);
	int crowded = l->open >= threads;
	pthread_mutex_unlock(&l->mu);
	return crowded;
}
