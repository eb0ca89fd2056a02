/* pdb_msf.h — the MSF container of a PDB (the "big" MSF 7.00 format): the superblock, the
 * stream directory and bounded reads of one stream at a time. Nothing here knows what a
 * stream means; pdb.c does. */
#ifndef PDB_MSF_H
#define PDB_MSF_H
#include <stddef.h>
#include <stdint.h>

/* Hard bounds on what the container may claim (checked before any allocation). */
#define PDB_MSF_MAX_DIR_BYTES (64u << 20) /* stream directory: 64 MiB */
#define PDB_MSF_NIL_STREAM 0xffffffffu    /* a stream size meaning "no stream" */

typedef struct pdb_msf {
	int fd; /* not owned */
	uint64_t file_size;
	uint32_t block_size, num_blocks;
	uint32_t num_streams;
	uint32_t *dir;          /* the directory as host integers: count, sizes, block lists */
	uint32_t *stream_size;  /* = dir + 1: [num_streams]; PDB_MSF_NIL_STREAM for a nil stream */
	uint32_t *blocks;       /* every stream's block list, back to back (inside dir) */
	uint32_t *stream_first; /* [num_streams]: index in blocks[] of the stream's first block */
} pdb_msf;

/* Opens the container on fd (not taken over: the caller closes it after pdb_msf_clear) and
 * reads the superblock and the directory. 0 on success; -1 with a sentence in err. */
int pdb_msf_open_fd(pdb_msf *m, int fd, char *err, size_t errlen);
/* Empties m (frees the directory; the fd stays open). */
void pdb_msf_clear(pdb_msf *m);
/* Size of stream s in bytes, or -1 if s does not exist or is nil. */
int64_t pdb_msf_stream_size(const pdb_msf *m, uint32_t s);
/* Copies len bytes at off of stream s into buf. 0 on success; -1 if the range leaves the
 * stream or the file cannot be read (short read = damaged file). */
int pdb_msf_read(const pdb_msf *m, uint32_t s, uint64_t off, void *buf, size_t len);

/* A sequential window over [start, end) of one stream, for walking variable-length records
 * without loading the stream: at most PDB_CUR_WINDOW bytes are in memory. */
#define PDB_CUR_WINDOW (128u << 10)
typedef struct pdb_cur {
	const pdb_msf *m;
	uint32_t stream;
	uint64_t pos, end; /* stream offsets: next unread byte, end of the range */
	uint8_t *buf;      /* window holding [buf_pos, buf_pos + buf_len) */
	uint64_t buf_pos;
	size_t buf_len;
} pdb_cur;

/* 0 on success; -1 if the range is outside the stream or memory is short. */
int pdb_cur_init(pdb_cur *c, const pdb_msf *m, uint32_t s, uint64_t start, uint64_t end);
void pdb_cur_clear(pdb_cur *c);
/* Makes n bytes at the cursor available in *p (valid until the next call). Returns n, or
 * fewer at the end of the range (0 at the end), or -1 on a read error. n <= PDB_CUR_WINDOW. */
int64_t pdb_cur_peek(pdb_cur *c, size_t n, const uint8_t **p);
/* Advances by n bytes (may pass the end: the next peek then returns 0). */
void pdb_cur_skip(pdb_cur *c, uint64_t n);

static inline uint16_t pdb_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t pdb_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
#endif
