/* etl_defer.c — deferred samples spilled to a temporary file and read back (etl_defer.h).
 * A record: the sample's fixed fields (struct rec), its stack-module and chain ids, then
 * the entries of its two halves and its ops (addresses, then module ids / op tags). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "etl_defer.h"

struct rec {
	uint64_t ts;
	uint32_t stack_kinds;
	uint8_t in_syscall;
	uint64_t syscall_addr;
	struct sink_cpu_sample s; /* pointers meaningless on disk */
	uint32_t n[3];            /* entries of half[0], half[1], ops */
};

void etl_defer_init(struct etl_defer *d)
{
	memset(d, 0, sizeof *d);
}

void etl_defer_clear(struct etl_defer *d)
{
	if (d->f)
		fclose(d->f);
	etl_defer_init(d);
}

static int put(struct etl_defer *d, const void *v, size_t size)
{
	if (size && fwrite(v, size, 1, d->f) != 1)
		return -1;
	d->bytes += size;
	return 0;
}

static const struct etl_frames *list(const struct etl_pending_sample *p, int i)
{
	return i < 2 ? &p->half[i] : &p->ops;
}

/* An unlinked temporary file in $TMPDIR (an absolute path), else tmpfile()'s (/tmp). */
static FILE *spill_file(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	if (!dir || dir[0] != '/' ||
	    snprintf(path, sizeof path, "%s/etlscope-defer-XXXXXX", dir) >= (int)sizeof path)
		return tmpfile();
	int fd = mkstemp(path); /* mode 0600 */
	if (fd < 0)
		return NULL;
	unlink(path);
	FILE *f = fdopen(fd, "w+b");
	if (!f)
		close(fd);
	return f;
}

int etl_defer_put(struct etl_defer *d, const struct etl_pending_sample *p)
{
	if (d->reading || d->bytes > ETL_DEFER_MAX_BYTES)
		return -1;
	if (!d->f && !(d->f = spill_file()))
		return -1;
	struct rec r;
	memset(&r, 0, sizeof r);
	r.ts = p->ts;
	r.stack_kinds = p->stack_kinds;
	r.in_syscall = p->in_syscall;
	r.syscall_addr = p->syscall_addr;
	r.s = p->s;
	r.s.stack_modules = r.s.module_chain = NULL;
	r.s.frames = NULL;
	for (int i = 0; i < 3; i++)
		r.n[i] = list(p, i)->n;
	if (put(d, &r, sizeof r) || put(d, p->mods, r.s.n_stack_modules * sizeof *p->mods) ||
	    put(d, p->chain, r.s.n_module_chain * sizeof *p->chain))
		return -1;
	for (int i = 0; i < 3; i++) {
		const struct etl_frames *h = list(p, i);
		if (put(d, h->addr, h->n * sizeof *h->addr) || put(d, h->mod, h->n * sizeof *h->mod))
			return -1;
	}
	d->n++;
	return 0;
}

int etl_defer_rewind(struct etl_defer *d)
{
	d->reading = 1;
	if (!d->f)
		return 0;
	if (fflush(d->f) != 0 || ferror(d->f))
		return -1;
	rewind(d->f);
	return 0;
}

static int get(struct etl_defer *d, void *v, size_t size)
{
	return size && fread(v, size, 1, d->f) != 1 ? -1 : 0;
}

/* One list of n entries (at most max) read into the empty h, its bytes counted (the
 * layout of etl_frames_add: n addresses, then n ids, one block). 0, -1, -2. */
static int get_list(struct etl_defer *d, struct etl_frames *h, uint32_t n, uint32_t max,
		    size_t *bytes)
{
	if (n > max)
		return -1;
	if (!n)
		return 0;
	uint64_t *a = malloc((size_t)n * ETL_FRAME_BYTES);
	if (!a)
		return -2;
	h->addr = a;
	h->mod = (int32_t *)(a + n);
	h->n = h->cap = n;
	*bytes += etl_frames_bytes(h);
	return get(d, h->addr, n * sizeof *h->addr) || get(d, h->mod, n * sizeof *h->mod) ? -1 : 0;
}

int etl_defer_next(struct etl_defer *d, struct etl_pending_sample *p, size_t *bytes)
{
	struct rec r;
	memset(p, 0, sizeof *p);
	if (!d->f || !d->reading)
		return 0;
	if (fread(&r, sizeof r, 1, d->f) != 1)
		return feof(d->f) && !ferror(d->f) ? 0 : -1;
	if (r.s.n_stack_modules > ETL_PENDING_MAX_MODS || r.s.n_module_chain > ETL_PENDING_MAX_CHAIN)
		return -1;
	p->ts = r.ts;
	p->stack_kinds = r.stack_kinds;
	p->in_syscall = r.in_syscall;
	p->syscall_addr = r.syscall_addr;
	p->s = r.s;
	if (get(d, p->mods, r.s.n_stack_modules * sizeof *p->mods) ||
	    get(d, p->chain, r.s.n_module_chain * sizeof *p->chain))
		return -1;
	static const uint32_t max[3] = {ETL_PENDING_MAX_HALF, ETL_PENDING_MAX_HALF,
					ETL_PENDING_MAX_OPS};
	for (int i = 0; i < 3; i++) {
		int rc = get_list(d, i < 2 ? &p->half[i] : &p->ops, r.n[i], max[i], bytes);
		if (rc) {
			etl_pending_sample_release(p, bytes);
			return rc;
		}
	}
	return 1;
}
