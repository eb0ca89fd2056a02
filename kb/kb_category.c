/* kb_category.c — the category names allowed in drivers.csv and their human labels. */
#include <string.h>
#include "kb_category.h"

const struct kb_category kb_categories[] = {
	{ "antivirus", "Antivirus" },
	{ "edr", "EDR" },
	{ "security-other", "Other security" },
	{ "encryption", "Encryption" },
	{ "backup", "Backup" },
	{ "activity-monitor", "Activity monitor" },
	{ "virtualization", "Virtualization" },
	{ "network-filter", "Network filter" },
	{ "nic", "NIC" },
	{ "nic-teaming", "NIC teaming" },
	{ "storage", "Storage" },
	{ "graphics", "Graphics" },
	{ "microsoft-inbox", "Microsoft in-box" },
	{ "other", "Other" },
};
const size_t kb_categories_n = sizeof kb_categories / sizeof kb_categories[0];

const struct kb_category *kb_category_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < kb_categories_n; i++)
		if (strcmp(kb_categories[i].name, name) == 0)
			return &kb_categories[i];
	return NULL;
}
