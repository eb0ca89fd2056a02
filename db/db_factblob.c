/* db_factblob.c — encoder and bounded decoder of the packed per-slice facts (db_factblob.h). */
#include "db_factblob.h"
#include "db_varint.h"

size_t db_factblob_bound(size_t n)
{
	return 1 + DB_VARINT_MAX + n * (1 + 7 * DB_VARINT_MAX);
}

size_t db_factblob_encode(const struct sink_slice_fact *f, size_t n, uint8_t *dst)
{
	uint8_t *p = dst;
	uint64_t pid = 0, tid = 0, key = 0;
	*p++ = DB_FACTBLOB_VERSION;
	p = put_varint(p, n);
	for (size_t i = 0; i < n; i++) {
		const uint64_t v[4] = {f[i].n, f[i].m, f[i].ns, f[i].bytes};
		p = put_varint(p, zigzag(f[i].pid - pid));
		p = put_varint(p, zigzag(f[i].tid - tid));
		p = put_varint(p, zigzag(f[i].key - key));
		pid = f[i].pid;
		tid = f[i].tid;
		key = f[i].key;
		uint8_t mask = 0;
		for (int k = 0; k < 4; k++)
			mask |= (uint8_t)((v[k] != 0) << k);
		*p++ = mask;
		for (int k = 0; k < 4; k++)
			if (v[k])
				p = put_varint(p, v[k]);
	}
	return (size_t)(p - dst);
}

int db_factblob_decode(const uint8_t *p, size_t len, db_factblob_fn cb, void *ud)
{
	const uint8_t *end = p + len;
	uint64_t count, pid = 0, tid = 0, key = 0, d[3];
	if (len < 2 || *p++ != DB_FACTBLOB_VERSION || get_varint(&p, end, &count) ||
	    count > len)
		return -1;
	for (uint64_t i = 0; i < count; i++) {
		for (int k = 0; k < 3; k++)
			if (get_varint(&p, end, &d[k]))
				return -1;
		pid += unzigzag(d[0]);
		tid += unzigzag(d[1]);
		key += unzigzag(d[2]);
		if (pid > UINT32_MAX || tid > UINT32_MAX || p >= end || *p > 0xf)
			return -1;
		struct db_factblob_entry e = {(uint32_t)pid, (uint32_t)tid, key, {0}};
		uint8_t mask = *p++;
		for (int k = 0; k < 4; k++)
			if (mask >> k & 1 && get_varint(&p, end, &e.v[k]))
				return -1;
		int rc = cb(ud, &e);
		if (rc)
			return rc;
	}
	return p == end ? 0 : -1;
}
