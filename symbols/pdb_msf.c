/* pdb_msf.c — reads the MSF 7.00 container of a PDB: superblock, stream directory, and
 * bounded reads of stream bytes through the block lists. Layout: symbols/README.md §1.
 *
 * Invariants (established by pdb_msf_open_fd, relied on by every read):
 *  - block_size is a power of two in [512, 65536]; num_blocks * block_size <= file size.
 *  - the directory is at most min(PDB_MSF_MAX_DIR_BYTES, block_size²/4) bytes and fits the
 *    file; every stream's block list lies inside it and every block index < num_blocks.
 *  - a read never leaves its stream: off + len <= stream size, checked before any pread;
 *    a short pread (the file shrank) is an error, never uninitialised bytes. */
#include "sym_err.h"
#include "pdb_msf.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char msf_magic[32] = "Microsoft C/C++ MSF 7.00\r\n\x1a"
				  "DS\0\0";

/* Reads exactly len bytes at file offset off; -1 on error or short read. */
static int read_at(int fd, uint64_t off, void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_directory(pdb_msf *m, uint32_t dir_bytes, uint32_t map_block, char *err,
			  size_t errlen)
{
	uint32_t bs = m->block_size, nblk = (dir_bytes + bs - 1) / bs;
	if (map_block >= m->num_blocks)
		return sym_errf(err, errlen, "directory block map is outside the file");
	uint8_t *map = malloc(bs), *raw = malloc((size_t)nblk * bs);
	if (!map || !raw) {
		free(map);
		free(raw);
		return sym_errf(err, errlen, "out of memory");
	}
	int rc = read_at(m->fd, (uint64_t)map_block * bs, map, bs);
	for (uint32_t i = 0; rc == 0 && i < nblk; i++) {
		uint32_t b = pdb_u32(map + 4 * i);
		rc = b < m->num_blocks ? read_at(m->fd, (uint64_t)b * bs, raw + (size_t)i * bs, bs)
				       : -1;
	}
	free(map);
	if (rc != 0) {
		free(raw);
		return sym_errf(err, errlen, "stream directory points outside the file");
	}
	uint32_t words = dir_bytes / 4;
	m->dir = malloc((size_t)(words ? words : 1) * sizeof(uint32_t));
	if (!m->dir) {
		free(raw);
		return sym_errf(err, errlen, "out of memory");
	}
	for (uint32_t i = 0; i < words; i++)
		m->dir[i] = pdb_u32(raw + 4 * i);
	free(raw);
	if (words < 1)
		return sym_errf(err, errlen, "stream directory is empty");
	uint32_t ns = m->dir[0];
	if (ns > words - 1)
		return sym_errf(err, errlen, "stream directory claims %u streams in %u bytes", ns,
				dir_bytes);
	m->num_streams = ns;
	m->stream_size = m->dir + 1;
	m->blocks = m->dir + 1 + ns;
	uint64_t avail = words - 1 - (uint64_t)ns, used = 0;
	m->stream_first = malloc((size_t)(ns ? ns : 1) * sizeof(uint32_t));
	if (!m->stream_first)
		return sym_errf(err, errlen, "out of memory");
	for (uint32_t s = 0; s < ns; s++) {
		uint32_t size = m->stream_size[s];
		uint64_t n = size == PDB_MSF_NIL_STREAM ? 0 : ((uint64_t)size + bs - 1) / bs;
		if (n > avail - used)
			return sym_errf(err, errlen,
					"stream %u's block list runs past the directory", s);
		m->stream_first[s] = (uint32_t)used;
		for (uint64_t i = 0; i < n; i++)
			if (m->blocks[used + i] >= m->num_blocks)
				return sym_errf(err, errlen,
						"stream %u has a block outside the file", s);
		used += n;
	}
	return 0;
}

int pdb_msf_open_fd(pdb_msf *m, int fd, char *err, size_t errlen)
{
	memset(m, 0, sizeof *m);
	m->fd = fd;
	struct stat st;
	if (fstat(fd, &st) != 0)
		return sym_errf(err, errlen, "cannot stat the file: %s", strerror(errno));
	m->file_size = (uint64_t)st.st_size;
	uint8_t sb[56];
	if (m->file_size < sizeof sb || read_at(fd, 0, sb, sizeof sb) != 0)
		return sym_errf(err, errlen, "file is too short for a PDB superblock");
	if (memcmp(sb, msf_magic, sizeof msf_magic) != 0)
		return sym_errf(err, errlen, "not a PDB 7.00 file (MSF magic missing)");
	uint32_t bs = pdb_u32(sb + 32), nb = pdb_u32(sb + 40), dir_bytes = pdb_u32(sb + 44);
	uint32_t map_block = pdb_u32(sb + 52);
	if (bs < 512 || bs > 65536 || (bs & (bs - 1)))
		return sym_errf(err, errlen, "bad MSF block size %u", bs);
	if ((uint64_t)nb * bs > m->file_size)
		return sym_errf(
			err, errlen,
			"file is truncated: %u blocks of %u bytes claimed, %llu bytes present", nb,
			bs, (unsigned long long)m->file_size);
	m->block_size = bs;
	m->num_blocks = nb;
	uint64_t cap = (uint64_t)bs / 4 * bs;
	if (cap > PDB_MSF_MAX_DIR_BYTES)
		cap = PDB_MSF_MAX_DIR_BYTES;
	if (dir_bytes < 4 || dir_bytes > cap || dir_bytes > m->file_size)
		return sym_errf(err, errlen, "stream directory size %u is out of bounds",
				dir_bytes);
	if (read_directory(m, dir_bytes, map_block, err, errlen) != 0) {
		pdb_msf_clear(m);
		return -1;
	}
	return 0;
}

void pdb_msf_clear(pdb_msf *m)
{
	free(m->dir);
	free(m->stream_first);
	int fd = m->fd;
	memset(m, 0, sizeof *m);
	m->fd = fd;
}

int64_t pdb_msf_stream_size(const pdb_msf *m, uint32_t s)
{
	if (s >= m->num_streams || m->stream_size[s] == PDB_MSF_NIL_STREAM)
		return -1;
	return m->stream_size[s];
}

int pdb_msf_read(const pdb_msf *m, uint32_t s, uint64_t off, void *buf, size_t len)
{
	int64_t size = pdb_msf_stream_size(m, s);
	if (size < 0 || off > (uint64_t)size || len > (uint64_t)size - off)
		return -1;
	uint8_t *p = buf;
	uint32_t bs = m->block_size;
	const uint32_t *list = m->blocks + m->stream_first[s];
	while (len > 0) {
		uint64_t in = off % bs;
		size_t n = bs - in < len ? (size_t)(bs - in) : len;
		if (read_at(m->fd, (uint64_t)list[off / bs] * bs + in, p, n) != 0)
			return -1;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

int pdb_cur_init(pdb_cur *c, const pdb_msf *m, uint32_t s, uint64_t start, uint64_t end)
{
	memset(c, 0, sizeof *c);
	int64_t size = pdb_msf_stream_size(m, s);
	if (size < 0 || start > end || end > (uint64_t)size)
		return -1;
	c->buf = malloc(PDB_CUR_WINDOW);
	if (!c->buf)
		return -1;
	c->m = m;
	c->stream = s;
	c->pos = start;
	c->end = end;
	c->buf_pos = start;
	return 0;
}

void pdb_cur_clear(pdb_cur *c)
{
	free(c->buf);
	memset(c, 0, sizeof *c);
}

int64_t pdb_cur_peek(pdb_cur *c, size_t n, const uint8_t **p)
{
	if (n > PDB_CUR_WINDOW)
		return -1;
	if (c->pos >= c->end)
		return 0;
	if (n > c->end - c->pos)
		n = (size_t)(c->end - c->pos);
	if (c->pos < c->buf_pos || c->pos + n > c->buf_pos + c->buf_len) {
		/* Refill: the window starts at pos and holds as much of the range as fits. */
		uint64_t want = c->end - c->pos;
		size_t len = want < PDB_CUR_WINDOW ? (size_t)want : PDB_CUR_WINDOW;
		if (pdb_msf_read(c->m, c->stream, c->pos, c->buf, len) != 0)
			return -1;
		c->buf_pos = c->pos;
		c->buf_len = len;
	}
	*p = c->buf + (c->pos - c->buf_pos);
	return (int64_t)n;
}

void pdb_cur_skip(pdb_cur *c, uint64_t n)
{
	c->pos = n > c->end - c->pos ? c->end : c->pos + n;
}
