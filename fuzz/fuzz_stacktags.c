/* fuzz_stacktags.c — libFuzzer harness for the .stacktags reader (api/api_tags.c), which
 * reads files users upload: any bytes parse or are refused with a message; a parsed set
 * keeps its limits, every rule names a tag of the set, and matching with its own patterns
 * as names terminates and returns a tag of the set. */
#include <stdint.h>
#include <string.h>
#include "api/api_tags.h"
#include "invariant.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_tag_set s;
	char err[256] = "";
	if (api_tags_parse((const char *)data, size, &s, err, sizeof err)) {
		FUZZ_CHECK(err[0] && s.tags == NULL && s.rules == NULL);
		return 0;
	}
	FUZZ_CHECK(s.ntags >= 1 && s.ntags <= API_TAGS_MAX_TAGS && s.nrules <= API_TAGS_MAX_RULES);
	FUZZ_CHECK(s.method_rules <= s.nrules);
	for (size_t i = 0; i < s.nrules; i++) {
		const struct api_tag_rule *r = &s.rules[i];
		FUZZ_CHECK(r->tag >= 0 && (size_t)r->tag < s.ntags);
		int32_t t = api_tags_match(&s, r->module, r->method);
		FUZZ_CHECK(t >= -1 && t < (int32_t)s.ntags);
		t = api_tags_match(&s, r->module, NULL);
		FUZZ_CHECK(t >= -1 && t < (int32_t)s.ntags);
	}
	api_tags_clear(&s);
	return 0;
}
