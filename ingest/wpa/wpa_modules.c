/* wpa_modules.c — module names to sink module ids for WPA imports (wpa_modules.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "../pdh/pdh_utf8.h"
#include "wpa_modules.h"

void wpa_modules_init(struct wpa_modules *m)
{
	memset(m, 0, sizeof *m);
}

void wpa_modules_free(struct wpa_modules *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->names[i]);
	free(m->names);
	free(m->ids);
	memset(m, 0, sizeof *m);
}

static uint64_t hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint64_t)tolower((unsigned char)s[i])) * 1099511628211ull;
	return h;
}

static int same(const char *a, const char *b, size_t n)
{
	if (strlen(a) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
			return 0;
	return 1;
}

static int grow(struct wpa_modules *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	char **names = calloc(cap, sizeof *names);
	int32_t *ids = calloc(cap, sizeof *ids);
	if (!names || !ids) {
		free(names);
		free(ids);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->names[i])
			continue;
		size_t j = hash(m->names[i], strlen(m->names[i])) & (cap - 1);
		while (names[j])
			j = (j + 1) & (cap - 1);
		names[j] = m->names[i];
		ids[j] = m->ids[i];
	}
	free(m->names);
	free(m->ids);
	m->names = names;
	m->ids = ids;
	m->cap = cap;
	return 0;
}

int wpa_modules_id(struct wpa_modules *m, const struct ingest_sink *sink, const char *name,
		   size_t len, int32_t *id)
{
	*id = -1;
	if (len == 0 || same("Unknown", name, len))
		return 0;
	if (len > WPA_MODULE_NAME_MAX)
		len = WPA_MODULE_NAME_MAX;
	while (len && !pdh_utf8_valid(name, len)) /* a cut inside a character */
		len--;
	if (len == 0)
		return 0;
	if (m->cap) {
		size_t j = hash(name, len) & (m->cap - 1);
		for (; m->names[j]; j = (j + 1) & (m->cap - 1))
			if (same(m->names[j], name, len)) {
				*id = m->ids[j];
				return 0;
			}
	}
	if (m->n >= WPA_MODULES_MAX) {
		m->full = 1;
		return 0;
	}
	if ((m->n + 1) * 2 > m->cap && grow(m))
		return -3;
	char *copy = malloc(len + 1);
	if (!copy)
		return -3;
	memcpy(copy, name, len);
	copy[len] = '\0';
	struct sink_module sm = {.path = copy, .name = copy, .load_ns = INT64_MIN,
				 .unload_ns = INT64_MAX};
	int32_t nid = -1;
	int rc = sink->module(sink->ud, &sm, &nid);
	if (rc < 0) {
		free(copy);
		return rc;
	}
	size_t j = hash(copy, len) & (m->cap - 1);
	while (m->names[j])
		j = (j + 1) & (m->cap - 1);
	m->names[j] = copy;
	m->ids[j] = nid;
	m->n++;
	*id = nid;
	return 0;
}
