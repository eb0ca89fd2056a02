/* pdb.c — opens a PDB and builds its address table: identity from the PDB info stream,
 * image sections from the DBI stream's section map and section-header stream, names from
 * the public symbols (S_PUB32 in the symbol record stream) and from every module's
 * procedure records (S_GPROC32 / S_LPROC32 and their _ID forms). Layouts: README.md §2-5.
 *
 * Invariants:
 *  - every field is read through pdb_msf_read / pdb_cur_peek, which refuse to leave the
 *    stream; every length taken from the file is checked against the bytes that remain
 *    before use; names are bounded by their record (a missing NUL ends at the record end).
 *  - only these streams are read: 1 (info), 3 (DBI), the section-header stream(s), the
 *    OMAP table if any, the symbol record stream and the module symbol streams, each
 *    through one 128 KiB window, and each at most once (so the work is bounded by the file
 *    size, whatever the module list).
 *  - a symbol whose segment names no section, or whose code the OMAP table drops, is
 *    dropped, never given a made-up address; an RVA is VirtualAddress of the section the
 *    segment names + offset (in 32 bits), moved by the OMAP table for rearranged images.
 *  - memory: the table (pdb.h's bound) + section headers (<= 2 × 65535 × 40 bytes) + the
 *    OMAP table during pdb_open only (<= 64 MiB). */
#include "sym_err.h"
#include "pdb.h"
#include "pdb_msf.h"
#include "pdb_table.h"
#include "sym_demangle.h"
#include "pdb_omap.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Decorated public names longer than this are kept as they are; an undecorated name may be
 * at most PDB_UNDECORATED_MAX bytes (templates can expand a back-referenced name). */
#define PDB_DECORATED_MAX 4096
#define PDB_UNDECORATED_MAX 4096

enum { STREAM_INFO = 1, STREAM_DBI = 3 };
enum {
	DBI_HEADER = 64,
	MODI_FIXED = 64,
	SECTHDR_SIZE = 40,
	DBG_SECTHDR = 5,
	DBG_OMAP_FROM_SRC = 4,
	DBG_SECTHDR_ORIG = 10
};
enum {
	S_PUB32 = 0x110e,
	S_LPROC32 = 0x110f,
	S_GPROC32 = 0x1110,
	S_LPROC32_ID = 0x1146,
	S_GPROC32_ID = 0x1147
};
enum { PUB_CODE = 1, PUB_FUNCTION = 2 };

typedef struct section {
	uint32_t va, size;
} section;

struct pdb {
	pdb_msf msf;
	int fd, own_fd;
	pdb_identity id;
	section *sect; /* [nsect] final image sections: the RVAs lookups see */
	uint16_t nsect;
	section *osect; /* [nosect] the sections symbols are numbered by: the original ones
			 * under OMAP, else the same array as sect */
	uint16_t nosect;
	uint16_t *by_va;     /* OMAP only: final section numbers sorted by va */
	pdb_omap omap;       /* OMAP only, during pdb_open */
	uint16_t *seg_frame; /* [nseg]: section map, segment → section number */
	uint16_t nseg;
	pdb_table table;
};

static int read_info(pdb *p, char *err, size_t errlen)
{
	uint8_t b[28];
	if (pdb_msf_read(&p->msf, STREAM_INFO, 0, b, sizeof b) != 0)
		return sym_errf(err, errlen, "PDB info stream is missing or short");
	p->id.age = pdb_u32(b + 8);
	memcpy(p->id.guid, b + 12, 16);
	return 0;
}

/* The DBI header's substream sizes, turned into offsets (README.md §3). */
typedef struct dbi {
	uint16_t sym_records;
	uint64_t mod_start, mod_end, smap_start, smap_end, dbg_start, dbg_end;
} dbi;

static int read_dbi(pdb *p, dbi *d, char *err, size_t errlen)
{
	uint8_t h[DBI_HEADER];
	int64_t size = pdb_msf_stream_size(&p->msf, STREAM_DBI);
	if (size < DBI_HEADER || pdb_msf_read(&p->msf, STREAM_DBI, 0, h, sizeof h) != 0)
		return sym_errf(err, errlen, "DBI stream is missing or short");
	if ((int32_t)pdb_u32(h) != -1)
		return sym_errf(err, errlen, "DBI stream has an old (pre-7.0) header");
	p->id.dbi_age = pdb_u32(h + 8);
	d->sym_records = pdb_u16(h + 20);
	/* Substreams in stream order: ModInfo, SectionContribution, SectionMap, SourceInfo,
	 * TypeServerMap, EC, OptionalDbgHeader; their int32 sizes sit at these header offsets
	 * (44 is the MFC type server index, not a size). */
	static const int field[7] = {24, 28, 32, 36, 40, 52, 48};
	uint64_t off[8];
	off[0] = DBI_HEADER;
	for (int i = 0; i < 7; i++) {
		int32_t n = (int32_t)pdb_u32(h + field[i]);
		if (n < 0)
			return sym_errf(err, errlen, "DBI substream %d has a negative size", i);
		off[i + 1] = off[i] + (uint32_t)n;
	}
	if (off[7] > (uint64_t)size)
		return sym_errf(err, errlen, "DBI substreams run past the DBI stream");
	d->mod_start = off[0];
	d->mod_end = off[1];
	d->smap_start = off[2];
	d->smap_end = off[3];
	d->dbg_start = off[6];
	d->dbg_end = off[7];
	return 0;
}

/* Stream number at index i of the DBI optional debug header, or -1 if absent or empty. */
static int32_t dbg_stream(const pdb *p, const dbi *d, unsigned i)
{
	uint8_t b[2];
	if ((d->dbg_end - d->dbg_start) / 2 <= i ||
	    pdb_msf_read(&p->msf, STREAM_DBI, d->dbg_start + 2 * i, b, 2) != 0)
		return -1;
	uint16_t s = pdb_u16(b);
	return s != 0xffff && pdb_msf_stream_size(&p->msf, s) > 0 ? s : -1;
}

/* IMAGE_SECTION_HEADERs of stream s (VirtualSize at 8, VirtualAddress at 12). */
static int read_headers(pdb *p, int32_t s, section **out, uint16_t *count, char *err, size_t errlen)
{
	uint64_t n = (uint64_t)pdb_msf_stream_size(&p->msf, (uint32_t)s) / SECTHDR_SIZE;
	if (n > 0xffff)
		return sym_errf(err, errlen, "section-header stream claims %llu sections",
				(unsigned long long)n);
	*out = malloc((size_t)(n ? n : 1) * sizeof **out);
	if (!*out)
		return sym_errf(err, errlen, "out of memory");
	for (uint64_t i = 0; i < n; i++) {
		uint8_t e[SECTHDR_SIZE];
		if (pdb_msf_read(&p->msf, (uint32_t)s, i * SECTHDR_SIZE, e, sizeof e) != 0)
			return sym_errf(err, errlen, "section headers unreadable");
		(*out)[i] = (section){.va = pdb_u32(e + 12), .size = pdb_u32(e + 8)};
	}
	*count = (uint16_t)n;
	return 0;
}

/* Section map (segment → frame) and section headers (frame → VirtualAddress). */
static int read_sections(pdb *p, const dbi *d, char *err, size_t errlen)
{
	uint8_t b[4];
	if (d->smap_end - d->smap_start >= 4) {
		if (pdb_msf_read(&p->msf, STREAM_DBI, d->smap_start, b, 4) != 0)
			return sym_errf(err, errlen, "section map unreadable");
		uint16_t count = pdb_u16(b);
		if ((uint64_t)count * 20 > d->smap_end - d->smap_start - 4)
			return sym_errf(err, errlen,
					"section map claims %u entries beyond its substream",
					count);
		p->seg_frame = malloc((size_t)(count ? count : 1) * sizeof *p->seg_frame);
		if (!p->seg_frame)
			return sym_errf(err, errlen, "out of memory");
		for (uint16_t i = 0; i < count; i++) {
			uint8_t e[20];
			if (pdb_msf_read(&p->msf, STREAM_DBI, d->smap_start + 4 + 20u * i, e,
					 sizeof e) != 0)
				return sym_errf(err, errlen, "section map unreadable");
			p->seg_frame[i] = pdb_u16(e + 6);
		}
		p->nseg = count;
	}
	int32_t final = dbg_stream(p, d, DBG_SECTHDR);
	if (final < 0)
		return sym_errf(err, errlen, "PDB has no section-header stream");
	if (read_headers(p, final, &p->sect, &p->nsect, err, errlen) != 0)
		return -1;
	int32_t omap = dbg_stream(p, d, DBG_OMAP_FROM_SRC);
	if (omap < 0) {
		p->osect = p->sect;
		p->nosect = p->nsect;
		return 0;
	}
	/* Rearranged image: symbols are in the original layout (original section headers),
	 * the OMAP table takes an original RVA to the final one. */
	int32_t orig = dbg_stream(p, d, DBG_SECTHDR_ORIG);
	if (orig < 0)
		return sym_errf(err, errlen,
				"PDB has an OMAP table but no original section headers");
	if (read_headers(p, orig, &p->osect, &p->nosect, err, errlen) != 0 ||
	    pdb_omap_load(&p->omap, &p->msf, (uint32_t)omap, err, errlen) != 0)
		return -1;
	p->by_va = malloc((p->nsect ? p->nsect : 1u) * sizeof *p->by_va);
	if (!p->by_va)
		return sym_errf(err, errlen, "out of memory");
	for (uint16_t i = 0; i < p->nsect; i++) { /* insertion sort by va: few sections */
		uint16_t k = i;
		while (k > 0 && p->sect[p->by_va[k - 1] - 1].va > p->sect[i].va) {
			p->by_va[k] = p->by_va[k - 1];
			k--;
		}
		p->by_va[k] = (uint16_t)(i + 1);
	}
	return 0;
}

/* The final section (1-based) holding rva, 0 if none: OMAP images only. */
static uint16_t final_section(const pdb *p, uint32_t rva)
{
	size_t lo = 0, hi = p->nsect; /* first by_va entry with va > rva */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->sect[p->by_va[mid] - 1].va <= rva)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	const section *sec = &p->sect[p->by_va[lo - 1] - 1];
	return (uint64_t)rva < (uint64_t)sec->va + sec->size ? p->by_va[lo - 1] : 0;
}

/* Section number (1-based) for a symbol's segment, 0 if none. */
static uint16_t seg_section(const pdb *p, uint16_t seg)
{
	if (seg == 0)
		return 0;
	uint16_t sec = p->nseg ? (seg <= p->nseg ? p->seg_frame[seg - 1] : 0) : seg;
	return sec >= 1 && sec <= p->nosect ? sec : 0;
}

/* Adds the symbol at seg:off if the segment names a section; -1 only when a bound is hit. */
static int add_sym(pdb *p, uint16_t seg, uint32_t off, uint32_t size, int kind, const uint8_t *name,
		   size_t room)
{
	uint16_t sec = seg_section(p, seg);
	if (!sec)
		return 0;
	const uint8_t *nul = memchr(name, 0, room);
	size_t len = nul ? (size_t)(nul - name) : room;
	if (len == 0)
		return 0;
	uint32_t rva = p->osect[sec - 1].va + off;
	if (p->omap.from) { /* rearranged image: original RVA → final RVA and section */
		if (!pdb_omap_map(&p->omap, rva, &rva) || !(sec = final_section(p, rva)))
			return 0; /* code the rearrangement dropped */
	}
	if (kind == PDB_SYM_PUBLIC && name[0] == '?' && len < PDB_DECORATED_MAX) {
		/* a decorated C++ public: kept undecorated (sym_demangle.h), or as it is when it
		 * does not parse or would grow past PDB_UNDECORATED_MAX */
		char dec[PDB_DECORATED_MAX];
		memcpy(dec, name, len);
		dec[len] = '\0';
		char *und = sym_demangle(dec, PDB_UNDECORATED_MAX);
		if (und) {
			int rc = pdb_table_add(&p->table, rva, sec, size, kind, und, strlen(und));
			free(und);
			return rc;
		}
	}
	return pdb_table_add(&p->table, rva, sec, size, kind, (const char *)name, len);
}

/* Walks CodeView records in [start, end) of stream s, adding S_PUB32 (publics = 1) or
 * procedure records (publics = 0). */
static int walk_records(pdb *p, uint32_t s, uint64_t start, uint64_t end, int publics, char *err,
			size_t errlen)
{
	pdb_cur c;
	if (pdb_cur_init(&c, &p->msf, s, start, end) != 0)
		return sym_errf(err, errlen, "symbol stream %u out of bounds", s);
	int rc = 0;
	for (;;) {
		const uint8_t *r;
		int64_t got = pdb_cur_peek(&c, 4, &r);
		if (got < 4) {
			if (got < 0)
				rc = sym_errf(err, errlen, "symbol stream %u unreadable", s);
			break;
		}
		uint16_t len = pdb_u16(r), kind = pdb_u16(r + 2);
		if (len < 2)
			break; /* a zero-length record ends the list (padding) */
		got = pdb_cur_peek(&c, (size_t)len + 2, &r);
		if (got < 0) {
			rc = sym_errf(err, errlen, "symbol stream %u unreadable", s);
			break;
		}
		if (got < (int64_t)len + 2)
			break; /* truncated last record: ignored */
		const uint8_t *d = r + 4;
		size_t dlen = (size_t)len - 2;
		int add = 0;
		if (publics && kind == S_PUB32 && dlen >= 10 &&
		    (pdb_u32(d) & (PUB_CODE | PUB_FUNCTION)))
			add = add_sym(p, pdb_u16(d + 8), pdb_u32(d + 4), 0, PDB_SYM_PUBLIC, d + 10,
				      dlen - 10);
		else if (!publics && dlen >= 35 &&
			 (kind == S_GPROC32 || kind == S_LPROC32 || kind == S_GPROC32_ID ||
			  kind == S_LPROC32_ID))
			add = add_sym(p, pdb_u16(d + 32), pdb_u32(d + 28), pdb_u32(d + 12),
				      PDB_SYM_PROC, d + 35, dlen - 35);
		if (add != 0) {
			rc = sym_errf(err, errlen,
				      "too many symbols (bound %u symbols, %u MiB of names)",
				      PDB_MAX_SYMBOLS, PDB_MAX_NAMES >> 20);
			break;
		}
		pdb_cur_skip(&c, (uint64_t)len + 2);
	}
	pdb_cur_clear(&c);
	return rc;
}

/* The module info list: each module's symbol stream holds its procedure records. */
static int read_modules(pdb *p, const dbi *d, char *err, size_t errlen)
{
	pdb_cur c;
	/* Streams already walked: a hostile module list naming one big stream a million times
	 * must not make us read it a million times. */
	uint8_t *seen = calloc(p->msf.num_streams / 8 + 1, 1);
	if (!seen)
		return sym_errf(err, errlen, "out of memory");
	if (d->sym_records < p->msf.num_streams)
		seen[d->sym_records / 8] |= (uint8_t)(1u << d->sym_records % 8);
	if (pdb_cur_init(&c, &p->msf, STREAM_DBI, d->mod_start, d->mod_end) != 0) {
		free(seen);
		return sym_errf(err, errlen, "module list out of bounds");
	}
	int rc = 0;
	for (;;) {
		const uint8_t *m;
		int64_t got = pdb_cur_peek(&c, MODI_FIXED, &m);
		if (got < 0) {
			rc = sym_errf(err, errlen, "module list unreadable");
			break;
		}
		if (got < MODI_FIXED)
			break;
		uint16_t stream = pdb_u16(m + 34);
		uint32_t sym_bytes = pdb_u32(m + 36);
		/* Skip the fixed part and the two NUL-terminated names, then align to 4. */
		pdb_cur_skip(&c, MODI_FIXED);
		for (int name = 0; name < 2 && rc == 0; name++) {
			got = pdb_cur_peek(&c, 4096, &m);
			const uint8_t *nul = got > 0 ? memchr(m, 0, (size_t)got) : NULL;
			if (!nul)
				rc = sym_errf(err, errlen,
					      "module name is unterminated or longer than 4 KiB");
			else
				pdb_cur_skip(&c, (uint64_t)(nul - m) + 1);
		}
		if (rc != 0)
			break;
		pdb_cur_skip(&c, (4 - (c.pos - d->mod_start) % 4) % 4);
		if (stream == 0xffff || sym_bytes <= 4)
			continue;
		int64_t size = pdb_msf_stream_size(&p->msf, stream);
		if (size < 0)
			continue; /* a module without symbols */
		if (sym_bytes > (uint64_t)size) {
			rc = sym_errf(err, errlen, "module symbols run past stream %u", stream);
			break;
		}
		if (seen[stream / 8] & (1u << stream % 8))
			continue;
		seen[stream / 8] |= (uint8_t)(1u << stream % 8);
		/* The stream starts with a 4-byte signature (4 = C13) before the records. */
		if ((rc = walk_records(p, stream, 4, sym_bytes, 0, err, errlen)) != 0)
			break;
	}
	pdb_cur_clear(&c);
	free(seen);
	return rc;
}

pdb *pdb_open_fd(int fd, char *err, size_t errlen)
{
	pdb *p = calloc(1, sizeof *p);
	if (!p) {
		sym_errf(err, errlen, "out of memory");
		return NULL;
	}
	p->fd = fd;
	dbi d = {0};
	if (pdb_msf_open_fd(&p->msf, fd, err, errlen) != 0) {
		free(p);
		return NULL;
	}
	if (read_info(p, err, errlen) != 0 || read_dbi(p, &d, err, errlen) != 0 ||
	    read_sections(p, &d, err, errlen) != 0 ||
	    (d.sym_records != 0xffff && pdb_msf_stream_size(&p->msf, d.sym_records) > 0 &&
	     walk_records(p, d.sym_records, 0,
			  (uint64_t)pdb_msf_stream_size(&p->msf, d.sym_records), 1, err,
			  errlen) != 0) ||
	    read_modules(p, &d, err, errlen) != 0) {
		pdb_close(p);
		return NULL;
	}
	pdb_table_finish(&p->table);
	pdb_omap_clear(&p->omap);
	return p;
}

pdb *pdb_open(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		sym_errf(err, errlen, "cannot open %s", path);
		return NULL;
	}
	pdb *p = pdb_open_fd(fd, err, errlen);
	if (!p) {
		close(fd);
		return NULL;
	}
	p->own_fd = 1;
	return p;
}

void pdb_close(pdb *p)
{
	if (!p)
		return;
	pdb_msf_clear(&p->msf);
	if (p->own_fd)
		close(p->fd);
	pdb_table_clear(&p->table);
	if (p->osect != p->sect)
		free(p->osect);
	free(p->sect);
	free(p->by_va);
	pdb_omap_clear(&p->omap);
	free(p->seg_frame);
	free(p);
}

const pdb_identity *pdb_id(const pdb *p)
{
	return &p->id;
}

void pdb_guid_age_text(const uint8_t g[16], uint32_t age, char out[42])
{
	int n = snprintf(out, 42, "%08X%04X%04X", pdb_u32(g), pdb_u16(g + 4), pdb_u16(g + 6));
	for (int i = 8; i < 16; i++)
		n += snprintf(out + n, (size_t)(42 - n), "%02X", g[i]);
	snprintf(out + n, (size_t)(42 - n), "%X", age);
}

int pdb_matches(const pdb *p, const uint8_t guid[16], uint32_t age)
{
	return memcmp(p->id.guid, guid, 16) == 0 && (age == p->id.dbi_age || age == p->id.age);
}

int pdb_lookup(const pdb *p, uint32_t rva, const char **name, uint32_t *offset)
{
	ptrdiff_t i = pdb_table_find(&p->table, rva);
	if (i < 0)
		return 0;
	const pdb_sym *s = &p->table.syms[i];
	const section *sec = &p->sect[s->section - 1];
	if ((uint64_t)rva >= (uint64_t)sec->va + sec->size)
		return 0; /* past its section */
	*name = p->table.names + s->name;
	*offset = rva - s->rva;
	return 1;
}

size_t pdb_symbol_count(const pdb *p)
{
	return p->table.n;
}
