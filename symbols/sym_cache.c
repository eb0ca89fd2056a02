/* sym_cache.c — keeps a symbol cache directory under its byte cap, LRU by mtime. Only the
 * SymStore shape is walked (DIR/NAME/KEY/FILE, three levels), so a cache pointed at a wrong
 * directory can at worst lose *.pdb files at that depth. */
#include "sym_cache.h"
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct entry {
	char *path;
	uint64_t size;
	struct timespec mtime;
} entry;
typedef struct list {
	entry *v;
	size_t n, cap;
	uint64_t total;
} list;

static int ends_pdb(const char *s)
{
	size_t n = strlen(s);
	return n > 4 && !strcasecmp(s + n - 4, ".pdb");
}

static void walk(const char *dir, int depth, list *l)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[PATH_MAX];
		if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
			continue;
		struct stat st;
		if (lstat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth < 2) {
			walk(path, depth + 1, l);
		} else if (S_ISREG(st.st_mode) && depth == 2 && ends_pdb(e->d_name)) {
			if (l->n == l->cap) {
				size_t cap = l->cap ? l->cap * 2 : 64;
				entry *v = realloc(l->v, cap * sizeof *v);
				if (!v)
					continue;
				l->v = v;
				l->cap = cap;
			}
			char *p = strdup(path);
			if (!p)
				continue;
			l->v[l->n++] = (entry){p, (uint64_t)st.st_size, st.st_mtim};
			l->total += (uint64_t)st.st_size;
		}
	}
	closedir(d);
}

static int older(const void *a, const void *b)
{
	const entry *x = a, *y = b;
	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	return (x->mtime.tv_nsec > y->mtime.tv_nsec) - (x->mtime.tv_nsec < y->mtime.tv_nsec);
}

/* Removes FILE's KEY and NAME directories if they became empty. */
static void prune(const char *file)
{
	char d[PATH_MAX];
	snprintf(d, sizeof d, "%s", file);
	for (int i = 0; i < 2; i++) {
		char *slash = strrchr(d, '/');
		if (!slash)
			return;
		*slash = '\0';
		if (rmdir(d) != 0)
			return;
	}
}

int64_t sym_cache_trim(const char *dir, uint64_t cap, const char *keep)
{
	DIR *probe = opendir(dir);
	if (!probe)
		return -1;
	closedir(probe);
	list l = {0};
	walk(dir, 0, &l);
	if (l.n)
		qsort(l.v, l.n, sizeof *l.v, older);
	for (size_t i = 0; i < l.n && l.total > cap; i++) {
		if (keep && !strcmp(l.v[i].path, keep))
			continue;
		if (unlink(l.v[i].path) == 0) {
			l.total -= l.v[i].size;
			prune(l.v[i].path);
		}
	}
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i].path);
	free(l.v);
	return (int64_t)l.total;
}

void sym_cache_touch(const char *path)
{
	utimensat(AT_FDCWD, path, NULL, 0);
}
