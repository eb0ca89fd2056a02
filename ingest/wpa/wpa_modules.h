/* wpa_modules.h — module names of a WPA export to sink module ids: each distinct name
 * (compared case-insensitively) is declared to the sink once; "Unknown" and blank are
 * unresolved (-1). The table is capped; names past the cap count as unresolved. */
#ifndef ETLSCOPE_WPA_MODULES_H
#define ETLSCOPE_WPA_MODULES_H

#include <stddef.h>
#include <stdint.h>
#include "../sink.h"

#define WPA_MODULES_MAX 16384 /* names of at most 512 bytes: at most ~8 MiB */
#define WPA_MODULE_NAME_MAX 512

struct wpa_modules {
	char **names;   /* open addressing, cap slots */
	int32_t *ids;
	size_t cap, n;
	int full;       /* the cap was reached at least once */
};

void wpa_modules_init(struct wpa_modules *m);
void wpa_modules_free(struct wpa_modules *m);
/* Id for name[0..len) (valid UTF-8, already trimmed). Returns 0 with *id set, a negative
 * sink result, or INGEST_ENOMEM-like -3 when out of memory. */
int wpa_modules_id(struct wpa_modules *m, const struct ingest_sink *sink, const char *name,
		   size_t len, int32_t *id);

#endif
