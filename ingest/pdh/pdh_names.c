/* pdh_names.c — the localised-name table (pdh_names.def), its lookups, and case folding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pdh_names.h"

static const struct pdh_name pdh_name_table[] = {
#define PDH_OBJECT(en, loc, lang, cp, src) {en, loc, lang, cp, 1},
#define PDH_COUNTER(en, loc, lang, cp, src) {en, loc, lang, cp, 0},
#include "pdh_names.def"
#undef PDH_OBJECT
#undef PDH_COUNTER
};

const struct pdh_name *pdh_names_table(size_t *n)
{
	*n = sizeof pdh_name_table / sizeof pdh_name_table[0];
	return pdh_name_table;
}

/* Lower case of a 2-byte code point, or cp itself. */
static uint32_t fold_cp(uint32_t cp)
{
	if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) || /* Latin-1 capitals */
	    (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) || /* Greek capitals */
	    (cp >= 0x410 && cp <= 0x42F))                  /* Cyrillic А-Я */
		return cp + 0x20;
	if (cp >= 0x400 && cp <= 0x40F) /* Cyrillic Ѐ-Џ */
		return cp + 0x50;
	if (cp >= 0x100 && cp <= 0x17F && cp != 0x130 && cp != 0x131 && cp != 0x138 &&
	    cp != 0x149 && cp != 0x178 && cp != 0x17F) { /* Latin Extended-A: capital, small pairs */
		int odd_pairs = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
		if (odd_pairs ? (cp & 1) : !(cp & 1))
			return cp + 1;
	}
	return cp;
}

void pdh_names_fold(char *str, size_t n)
{
	unsigned char *s = (unsigned char *)str;
	for (size_t i = 0; i < n; i++) {
		if (s[i] >= 'A' && s[i] <= 'Z') {
			s[i] = (unsigned char)(s[i] + 32);
		} else if (s[i] >= 0xC2 && s[i] <= 0xDF && i + 1 < n && (s[i + 1] & 0xC0) == 0x80) {
			uint32_t cp = (uint32_t)(s[i] & 0x1F) << 6 | (s[i + 1] & 0x3F);
			uint32_t lc = fold_cp(cp);
			if (lc != cp && lc < 0x800) {
				s[i] = (unsigned char)(0xC0 | lc >> 6);
				s[i + 1] = (unsigned char)(0x80 | (lc & 0x3F));
			}
			i++;
		}
	}
}

int pdh_names_ieq(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	char sa[256], sb[256];
	if (na != nb || na >= sizeof sa)
		return 0; /* folding keeps lengths: different lengths never match */
	memcpy(sa, a, na + 1);
	memcpy(sb, b, nb + 1);
	pdh_names_fold(sa, na);
	pdh_names_fold(sb, nb);
	return memcmp(sa, sb, na) == 0;
}

const char *pdh_names_object(const char *object)
{
	for (size_t i = 0; i < sizeof pdh_name_table / sizeof pdh_name_table[0]; i++)
		if (pdh_name_table[i].is_object && pdh_names_ieq(object, pdh_name_table[i].localised))
			return pdh_name_table[i].english;
	return NULL;
}

const char *pdh_names_counter(const char *english_object, const char *counter)
{
	if (!pdh_names_ieq(english_object, "Processor") &&
	    !pdh_names_ieq(english_object, "Processor Information") &&
	    !pdh_names_ieq(english_object, "Process"))
		return NULL;
	for (size_t i = 0; i < sizeof pdh_name_table / sizeof pdh_name_table[0]; i++)
		if (!pdh_name_table[i].is_object && pdh_names_ieq(counter, pdh_name_table[i].localised))
			return pdh_name_table[i].english;
	return NULL;
}
