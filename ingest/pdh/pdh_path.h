/* pdh_path.h — PDH counter paths ("\\MACHINE\Object(Instance)\Counter") split into their
 * parts, and the mapping of Processor / Processor Information instances to logical CPUs. */
#ifndef ETLSCOPE_PDH_PATH_H
#define ETLSCOPE_PDH_PATH_H

#include <stddef.h>

/* The parts of one path, each NUL-terminated, all in one allocation (pdh_path_free). */
struct pdh_path {
	char *machine;  /* without the leading backslashes; "" if the path has none */
	char *object;   /* "Processor Information" */
	char *instance; /* "0,_Total", "\??\C:\pagefile.sys"; NULL for single-instance objects */
	char *counter;  /* "% Processor Time", "Prozessorzeit (%)" */
	char *storage;
};

/* Split path[0..len). Rules (text-formats.md §1.4): machine runs from "\\" to the next
 * '\'; the object runs to the first '(' or '\'; the instance runs from that '(' to the first
 * ')' that is immediately followed by '\' (so instances may hold '\', ',', '#', '[', ']'
 * and even ')' not followed by '\'); the counter is the rest (never split on '(').
 * Returns 0; -1 if this is not a counter path (no leading '\', empty object or counter,
 * unclosed instance) — e.g. a trailing comment column; -2 if out of memory. */
int pdh_path_parse(const char *path, size_t len, struct pdh_path *out);
void pdh_path_free(struct pdh_path *p);

/* ASCII case-insensitive equality (PDH paths are case-insensitive; Export-Counter writes
 * them lower-cased). Locale-independent. */
int pdh_path_ieq(const char *a, const char *b);

/* A per-CPU instance, before it is mapped to a logical CPU number. */
enum pdh_cpu_kind {
	PDH_CPU_NONE = 0,    /* not a per-CPU instance (other object, _Total, node total) */
	PDH_CPU_PROCESSOR,   /* Processor(n): index = n */
	PDH_CPU_PROCINFO     /* Processor Information(node,index) */
};
struct pdh_cpu_ref {
	enum pdh_cpu_kind kind;
	int node;  /* Processor Information only */
	int index;
};

#define PDH_CPU_MAX_NODES 256
#define PDH_CPU_MAX_INDEX 4095

/* Classify object + instance (object compared case-insensitively). Instance numbers must
 * be plain decimals (≤ PDH_CPU_MAX_INDEX, node < PDH_CPU_MAX_NODES). */
struct pdh_cpu_ref pdh_cpu_classify(const char *object, const char *instance);

/* Processor Information node sizes seen in one header, for pdh_cpu_number(). */
struct pdh_cpu_nodes {
	int max_index[PDH_CPU_MAX_NODES]; /* highest index seen per node, -1 if none */
};
void pdh_cpu_nodes_init(struct pdh_cpu_nodes *n);
void pdh_cpu_nodes_add(struct pdh_cpu_nodes *n, struct pdh_cpu_ref r);

/* Logical CPU number, or -1.
 *  Processor(n)                    → n.
 *  Processor Information(0,i)      → i.
 *  Processor Information(k,i), k>0 → (sum over nodes j<k of (highest index seen for node j
 *     in this header + 1)) + i. ASSUMPTION: nodes (or processor groups) number the logical
 *     CPUs consecutively, node 0 first, and the header lists every CPU of each lower node.
 *     If some lower node has no columns at all the number is unknowable: -1.
 *  Anything else (incl. _Total, "k,_Total", other objects) → -1. */
int pdh_cpu_number(const struct pdh_cpu_nodes *n, struct pdh_cpu_ref r);

#endif
