/* db_stkblob.c — encoder, bounded decoder and merge of the packed stack sample counts
 * (db_stkblob.h). */
#include "db_stkblob.h"
#include "db_varint.h"

size_t db_stkblob_bound(size_t n)
{
	return 1 + DB_VARINT_MAX + n * 4 * DB_VARINT_MAX;
}

/* <0, 0, >0 as a's key is before, equal to, after b's */
static int key_cmp(const struct db_stkblob_rec *a, const struct db_stkblob_rec *b)
{
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->tid != b->tid)
		return a->tid < b->tid ? -1 : 1;
	if (a->node != b->node)
		return a->node < b->node ? -1 : 1;
	return 0;
}

size_t db_stkblob_encode(const struct db_stkblob_rec *r, size_t n, uint8_t *dst)
{
	uint8_t *p = dst;
	struct db_stkblob_rec prev = {0, 0, 0, 0};
	*p++ = DB_STKBLOB_VERSION;
	p = put_varint(p, n);
	for (size_t i = 0; i < n; i++) {
		if (r[i].node < 1 || r[i].n < 1 || (i && key_cmp(&prev, &r[i]) >= 0))
			return 0;
		uint64_t dpid = r[i].pid - prev.pid;
		uint64_t dtid = dpid ? r[i].tid : r[i].tid - prev.tid;
		uint64_t dnode = dpid || dtid || !i ? (uint64_t)r[i].node
						    : (uint64_t)(r[i].node - prev.node);
		p = put_varint(p, dpid);
		p = put_varint(p, dtid);
		p = put_varint(p, dnode);
		p = put_varint(p, (uint64_t)r[i].n);
		prev = r[i];
	}
	return (size_t)(p - dst);
}

int64_t db_stkblob_count(const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len;
	uint64_t count;
	if (len < 2 || *p++ != DB_STKBLOB_VERSION || get_varint(&p, end, &count) ||
	    count > len / 4)
		return -1;
	return (int64_t)count;
}

int db_stkblob_decode(const uint8_t *p, size_t len, db_stkblob_fn cb, void *ud)
{
	const uint8_t *end = p + len;
	uint64_t count, pid = 0, tid = 0, node = 0, d[4];
	if (db_stkblob_count(p, len) < 0)
		return -1;
	p++;
	if (get_varint(&p, end, &count)) /* checked by db_stkblob_count: cannot fail */
		return -1;
	for (uint64_t i = 0; i < count; i++) {
		for (int k = 0; k < 4; k++)
			if (get_varint(&p, end, &d[k]))
				return -1;
		if (d[0] > UINT32_MAX - pid)
			return -1;
		pid += d[0];
		if (d[0]) {
			tid = d[1];
		} else {
			if (d[1] > UINT32_MAX - tid)
				return -1;
			tid += d[1];
		}
		if (d[0] || d[1] || !i) {
			node = d[2];
		} else {
			if (d[2] < 1 || d[2] > (uint64_t)INT64_MAX - node)
				return -1;
			node += d[2];
		}
		if (tid > UINT32_MAX || node < 1 || node > (uint64_t)INT64_MAX || d[3] < 1 ||
		    d[3] > (uint64_t)INT64_MAX)
			return -1;
		struct db_stkblob_rec r = {(uint32_t)pid, (uint32_t)tid, (int64_t)node,
					   (int64_t)d[3]};
		int rc = cb(ud, &r);
		if (rc)
			return rc;
	}
	return p == end ? 0 : -1;
}

int64_t db_stkblob_merge(const struct db_stkblob_rec *a, size_t na,
			 const struct db_stkblob_rec *b, size_t nb, struct db_stkblob_rec *out)
{
	size_t i = 0, j = 0, k = 0;
	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : key_cmp(&a[i], &b[j]);
		if (c < 0) {
			out[k++] = a[i++];
		} else if (c > 0) {
			out[k++] = b[j++];
		} else {
			if (a[i].n > INT64_MAX - b[j].n)
				return -1;
			out[k] = a[i++];
			out[k++].n += b[j++].n;
		}
	}
	return (int64_t)k;
}
