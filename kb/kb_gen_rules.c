/* kb_gen_rules.c — documented renames (drivers.md, Caveats): deployed file names that are
 * not in drivers.csv literally but belong to a row that is. The generator turns each into
 * a pattern entry pointing at its target's rows, and fails the build when a target is
 * missing from the CSV. */
#include "kb_gen.h"

const struct kb_gen_rule kb_gen_rules[] = {
	/* Defender's MpKslDrv.sys is normally deployed as MpKsl<8 hex>.sys: match by prefix. */
	{ "mpksl*.sys", "mpksldrv.sys" },
	/* Kaspersky versioned names such as klif.kes-21-9.sys. */
	{ "klif.*.sys", "klif.sys" },
	/* klupd_* are Kaspersky's dynamic update drivers. */
	{ "klupd_*.sys", "klupd.sys" },
};
const size_t kb_gen_rules_n = sizeof kb_gen_rules / sizeof kb_gen_rules[0];
