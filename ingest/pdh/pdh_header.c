/* pdh_header.c — the header row: splitting cells, recognising the time cell and counter
 * paths, CPU numbers, header warnings, and the header half of the summary JSON. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include "pdh_fields.h"
#include "pdh_header.h"
#include "pdh_names.h"
#include "pdh_utf8.h"

void pdh_header_free(struct pdh_header *h)
{
	for (size_t i = 0; i < h->ncounters; i++) {
		free(h->counters[i].full);
		pdh_path_free(&h->counters[i].path);
	}
	free(h->counters);
	free(h->col_counter);
	memset(h, 0, sizeof *h);
}

/* The cell's text as a new UTF-8 string (Windows-1252 fallback). */
static char *pdh_cell_text(const struct pdh_field *f, int *was_cp1252)
{
	char *t = malloc(f->len + 1);
	size_t n;
	if (!t)
		return NULL;
	n = pdh_field_unescape(f, t);
	*was_cp1252 = 0;
	if (!pdh_utf8_valid(t, n)) {
		char *u = pdh_utf8_from_cp1252(t, n);
		free(t);
		*was_cp1252 = 1;
		return u;
	}
	return t;
}

static int pdh_header_time_cell(struct pdh_header *h, const struct pdh_field *f,
				struct pdh_warn *w)
{
	int cp1252, rc;
	char snip[96];
	char *t = pdh_cell_text(f, &cp1252);
	if (!t)
		return INGEST_ENOMEM;
	pdh_utf8_snippet(t, strlen(t), snip, sizeof snip);
	h->time_ok = pdh_time_parse_header(t, strlen(t), &h->time) == 0;
	if (!h->time_ok)
		rc = pdh_warn(w, PDH_W_HEADER_UNRECOGNISED,
			      "the first header cell \"%s\" is not a perfmon time header; the time "
			      "zone is unknown and times are taken as UTC", snip);
	else if (!h->time.signature)
		rc = pdh_warn(w, PDH_W_SIGNATURE_MISSING,
			      "the first header cell \"%s\" lacks the (PDH-CSV 4.0) signature; "
			      "read as a perfmon log because its columns are counter paths", snip);
	else
		rc = 0;
	if (rc == 0 && h->time_ok && !h->time.has_zone)
		rc = pdh_warn(w, PDH_W_NO_TIME_ZONE,
			      "the header gives no time zone (typeperf writes none to its console "
			      "output); times are taken as UTC");
	if (rc == 0 && cp1252)
		rc = pdh_warn(w, PDH_W_ENCODING, "the header is not UTF-8; read as Windows-1252");
	free(t);
	return rc;
}

static int pdh_header_cell(struct pdh_header *h, size_t col, const struct pdh_field *f,
			   struct pdh_warn *w)
{
	struct pdh_counter_col *c;
	int cp1252, rc = 0;
	char snip[96];
	char *t;
	if (h->ncounters == h->counters_cap) { /* grow only for real paths */
		size_t cap = h->counters_cap ? h->counters_cap * 2 : 16;
		c = realloc(h->counters, cap * sizeof *c);
		if (!c)
			return INGEST_ENOMEM;
		h->counters = c;
		h->counters_cap = cap;
	}
	c = &h->counters[h->ncounters];
	memset(c, 0, sizeof *c);
	t = pdh_cell_text(f, &cp1252);
	if (!t)
		return INGEST_ENOMEM;
	if (cp1252 && w->count[PDH_W_ENCODING] == 0)
		rc = pdh_warn(w, PDH_W_ENCODING, "the header is not UTF-8; read as Windows-1252");
	switch (rc ? 1 : pdh_path_parse(t, strlen(t), &c->path)) {
	case 0: {
		const char *obj = pdh_names_object(c->path.object);
		c->object = obj ? obj : c->path.object;
		const char *ctr = pdh_names_counter(c->object, c->path.counter);
		c->counter = ctr ? ctr : c->path.counter;
		c->full = t;
		c->cpu = -1;
		h->col_counter[col] = (int32_t)h->ncounters++;
		return 0;
	}
	case -2:
		free(t);
		return INGEST_ENOMEM;
	default:
		if (rc == 0)
			rc = pdh_warn(w, PDH_W_NON_PATH_COLUMN,
				      "header column %zu \"%s\" is not a counter path; ignored",
				      col + 1, pdh_utf8_snippet(t, strlen(t), snip, sizeof snip));
		free(t);
		return rc;
	}
}

static int pdh_header_cpus(struct pdh_header *h, struct pdh_warn *w)
{
	struct pdh_cpu_nodes nodes;
	pdh_cpu_nodes_init(&nodes);
	for (size_t i = 0; i < h->ncounters; i++)
		pdh_cpu_nodes_add(&nodes, pdh_cpu_classify(h->counters[i].object,
							   h->counters[i].path.instance));
	for (size_t i = 0; i < h->ncounters; i++) {
		struct pdh_counter_col *c = &h->counters[i];
		struct pdh_cpu_ref r = pdh_cpu_classify(c->object, c->path.instance);
		c->cpu = pdh_cpu_number(&nodes, r);
		if (r.kind == PDH_CPU_PROCINFO && c->cpu < 0) {
			char snip[200];
			int rc = pdh_warn(w, PDH_W_CPU_MAPPING,
					  "%s: no columns for a lower-numbered node, so the "
					  "logical CPU number is unknown",
					  pdh_utf8_snippet(c->full, strlen(c->full), snip, sizeof snip));
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int pdh_header_fill(const char *line, size_t len, struct pdh_header *h,
			   struct pdh_warn *w, struct ingest_error *err)
{
	struct pdh_fields it;
	struct pdh_field f;
	size_t n = 0;
	int rc;

	pdh_fields_init(&it, line, len, h->sep);
	while (pdh_fields_next(&it, &f))
		if (++n > PDH_HEADER_MAX_COLUMNS) {
			ingest_error_set(err, "the header has more than %d columns; this is not a "
					      "perfmon log this tool can read", PDH_HEADER_MAX_COLUMNS);
			return INGEST_EFORMAT;
		}
	h->ncols = n;
	h->col_counter = malloc(n * sizeof *h->col_counter);
	if (!h->col_counter)
		return INGEST_ENOMEM;
	pdh_fields_init(&it, line, len, h->sep);
	for (size_t col = 0; pdh_fields_next(&it, &f); col++) {
		h->col_counter[col] = -1;
		rc = col == 0 ? pdh_header_time_cell(h, &f, w) : pdh_header_cell(h, col, &f, w);
		if (rc)
			return rc;
	}
	return pdh_header_cpus(h, w);
}

int pdh_header_parse(const char *line, size_t len, char sep, struct pdh_header *h,
		     struct pdh_warn *w, struct ingest_error *err)
{
	struct pdh_fields it;
	struct pdh_field f;
	struct pdh_header_time t;
	int rc;

	memset(h, 0, sizeof *h);
	h->sep = sep;
	/* The signature decides the separator when it disagrees with the caller. */
	pdh_fields_init(&it, line, len, sep);
	if (pdh_fields_next(&it, &f) && pdh_time_parse_header(f.s, f.len, &t) == 0 &&
	    t.signature && t.sig_sep != sep) {
		h->sep = t.sig_sep;
		rc = pdh_warn(w, PDH_W_SEPARATOR_MISMATCH,
			      "the header says PDH-%s but the file was opened as %s; reading it "
			      "as its header says", t.sig_sep == ',' ? "CSV" : "TSV",
			      sep == ',' ? "CSV" : "TSV");
		if (rc)
			return rc;
	}
	rc = pdh_header_fill(line, len, h, w, err);
	if (rc == 0 && h->ncounters == 0) {
		ingest_error_set(err, "not a perfmon log: the first line has no counter paths "
				      "(expected cells like \"\\\\MACHINE\\Processor(0)\\%% DPC Time\")");
		rc = INGEST_EFORMAT;
	} else if (rc == INGEST_ENOMEM) {
		ingest_error_set(err, "out of memory while reading the header line");
	}
	if (rc)
		pdh_header_free(h);
	return rc;
}

/* ---- summary facts ---- */

static int pdh_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int pdh_icmp(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	for (; *a && pdh_lower((unsigned char)*a) == pdh_lower((unsigned char)*b); a++, b++)
		;
	return pdh_lower((unsigned char)*a) - pdh_lower((unsigned char)*b);
}

/* Sort keys: a counter column and which of its parts is compared. */
struct pdh_key {
	const struct pdh_counter_col *c;
	size_t order;
};

static int pdh_cmp_machine(const void *x, const void *y)
{
	const struct pdh_key *a = x, *b = y;
	int r = pdh_icmp(a->c->path.machine, b->c->path.machine);
	return r ? r : (a->order > b->order) - (a->order < b->order);
}

static int pdh_cmp_object(const void *x, const void *y)
{
	const struct pdh_key *a = x, *b = y;
	int r = pdh_icmp(a->c->path.object, b->c->path.object);
	return r ? r : (a->order > b->order) - (a->order < b->order);
}

static int pdh_cmp_instance(const void *x, const void *y)
{
	const struct pdh_key *a = x, *b = y;
	int r = pdh_icmp(a->c->path.object, b->c->path.object);
	if (!r)
		r = pdh_icmp(a->c->path.instance, b->c->path.instance);
	return r ? r : (a->order > b->order) - (a->order < b->order);
}

static int pdh_cmp_int(const void *x, const void *y)
{
	int a = *(const int *)x, b = *(const int *)y;
	return (a > b) - (a < b);
}

/* Distinct non-empty names (case-insensitive; the first spelling in column order), sorted. */
static cJSON *pdh_distinct_names(struct pdh_key *k, size_t n, int machine)
{
	cJSON *arr = cJSON_CreateArray();
	if (!arr)
		return NULL;
	qsort(k, n, sizeof *k, machine ? pdh_cmp_machine : pdh_cmp_object);
	for (size_t i = 0; i < n; i++) {
		const char *s = machine ? k[i].c->path.machine : k[i].c->path.object;
		const char *prev = i ? (machine ? k[i - 1].c->path.machine : k[i - 1].c->path.object)
				     : NULL;
		cJSON *str;
		if ((prev && pdh_icmp(prev, s) == 0) || s[0] == '\0') /* no "" machine */
			continue;
		if (!(str = cJSON_CreateString(s)) || !cJSON_AddItemToArray(arr, str)) {
			cJSON_Delete(str);
			cJSON_Delete(arr);
			return NULL;
		}
	}
	return arr;
}

int pdh_header_json(const struct pdh_header *h, cJSON *summary)
{
	size_t n = h->ncounters, instances = 0, cpus = 0, ncpu = 0;
	struct pdh_key *k = malloc((n ? n : 1) * sizeof *k);
	int *cpu = malloc((n ? n : 1) * sizeof *cpu);
	cJSON *machines = NULL, *objects = NULL;
	int rc = -1;

	if (!k || !cpu)
		goto out;
	for (size_t i = 0; i < n; i++) {
		k[i].c = &h->counters[i];
		k[i].order = i;
		if (h->counters[i].cpu >= 0)
			cpu[ncpu++] = h->counters[i].cpu;
	}
	if (!(machines = pdh_distinct_names(k, n, 1)) ||
	    !cJSON_AddItemToObject(summary, "machines", machines))
		goto out;
	machines = NULL;
	if (!(objects = pdh_distinct_names(k, n, 0)) ||
	    !cJSON_AddItemToObject(summary, "objects", objects))
		goto out;
	objects = NULL;
	qsort(k, n, sizeof *k, pdh_cmp_instance);
	for (size_t i = 0; i < n; i++)
		if (k[i].c->path.instance &&
		    (i == 0 || pdh_icmp(k[i - 1].c->path.object, k[i].c->path.object) ||
		     pdh_icmp(k[i - 1].c->path.instance, k[i].c->path.instance)))
			instances++;
	qsort(cpu, ncpu, sizeof *cpu, pdh_cmp_int);
	for (size_t i = 0; i < ncpu; i++)
		if (i == 0 || cpu[i] != cpu[i - 1])
			cpus++;
	if (cJSON_AddNumberToObject(summary, "counters", (double)n) &&
	    cJSON_AddNumberToObject(summary, "instances", (double)instances) &&
	    cJSON_AddNumberToObject(summary, "cpus", (double)cpus) &&
	    cJSON_AddNumberToObject(summary, "columns_ignored",
				    (double)(h->ncols ? h->ncols - 1 - n : 0)))
		rc = 0;
out:
	cJSON_Delete(machines);
	cJSON_Delete(objects);
	free(k);
	free(cpu);
	return rc;
}
