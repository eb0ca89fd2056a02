/* pdh_names.h — localised perfmon names (pdh_names.def) of the Processor, Processor
 * Information and Process objects and their CPU-time counters, mapped to English; and the
 * case folding that compares them. */
#ifndef ETLSCOPE_PDH_NAMES_H
#define ETLSCOPE_PDH_NAMES_H

#include <stddef.h>

struct pdh_name {
	const char *english;   /* "Processor", "% Processor Time" */
	const char *localised; /* UTF-8, as perfmon shows it on that language */
	const char *language;  /* "de", "ru", "zh-CN", … */
	int codepage;          /* the language's ANSI code page: 1251, 932, … */
	int is_object;         /* 1 object name, 0 counter name */
};

/* The whole table, in pdh_names.def order. */
const struct pdh_name *pdh_names_table(size_t *n);

/* The English name of a localised Processor / Processor Information / Process object;
 * NULL when object is not one of the table's localised names (English names included). */
const char *pdh_names_object(const char *object);

/* The English name of a localised counter of one of those three objects (english_object is
 * the object's English name); NULL otherwise. */
const char *pdh_names_counter(const char *english_object, const char *counter);

/* Lower-case UTF-8 s[0..n) in place: ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic
 * capitals (each keeps its byte length); everything else, invalid bytes included, stays. */
void pdh_names_fold(char *s, size_t n);

/* 1 if a and b are equal after pdh_names_fold. */
int pdh_names_ieq(const char *a, const char *b);

#endif
