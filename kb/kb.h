/* kb.h — the driver knowledge base: which vendor, product and category a kernel module
 * file name belongs to. The table is const data generated at build time from
 * kb/drivers.csv (see kb_gen.c and ../shared/research/drivers.md); nothing here allocates. */
#ifndef ETLSCOPE_KB_H
#define ETLSCOPE_KB_H

#include <stdbool.h>
#include <stddef.h>

/* One row of drivers.csv. Every field is a non-NULL, NUL-terminated UTF-8 string;
 * product, altitude and source may be "" (altitude is "" when the driver is not a
 * registered minifilter, else "a" or "a;b;..." highest first). driver is lower case and
 * may be a pattern ("pfmfs_???.sys"). */
struct kb_entry {
	const char *driver, *vendor, *product, *category, *altitude, *source;
};

/* A buffer of KB_MATCH_MAX entries always holds every row kb_lookup can return for any
 * name; the generator fails the build if the data would ever need more. */
#define KB_MATCH_MAX 32

/* Longest file name (last path component) kb_lookup considers; longer names match
 * nothing (Windows limits a path component to 255 characters). */
#define KB_NAME_MAX 255

/* "<rows> drivers, <12 hex digits of the FNV-1a 64 hash of drivers.csv>". */
const char *kb_version(void);

/* Number of rows in the table (the data lines of drivers.csv). */
size_t kb_count(void);

/* Row i of the table, 0 <= i < kb_count() (NULL otherwise); for listing the whole base. */
const struct kb_entry *kb_at(size_t i);

/* Looks up a module name or a full image path (\SystemRoot\System32\drivers\NDIS.SYS,
 * C:\Windows\...\x.sys, \Device\HarddiskVolume2\..., \??\C:\..., forward slashes too):
 * only the last path component counts (trailing separators are ignored), compared
 * case-insensitively (ASCII). A name without any '.' is looked up as name + ".sys".
 * Stores up to max pointers to matching rows in out — exact names first (several when
 * vendors collide on a name), then rows whose name is a pattern ('?' one character,
 * '*' any run) and the documented rename rules (Defender MpKsl<hex>.sys, Kaspersky
 * klif.<version>.sys and klupd_*.sys) — and returns how many it stored (<= max).
 * NULL or empty image, NULL out, or a name longer than KB_NAME_MAX give 0. */
size_t kb_lookup(const char *image, const struct kb_entry **out, size_t max);

/* Human label of a category ("antivirus" -> "Antivirus", "nic-teaming" -> "NIC teaming",
 * "microsoft-inbox" -> "Microsoft in-box", ...); NULL for NULL or an unknown category. */
const char *kb_category_label(const char *category);

/* True when the row's vendor is Microsoft (drivers.md: all Microsoft variants are written
 * "Microsoft"); this is the first-party test, not category == microsoft-inbox (Defender
 * and Sysinternals drivers are Microsoft but not in-box). False for NULL. */
bool kb_is_microsoft(const struct kb_entry *entry);

#endif
