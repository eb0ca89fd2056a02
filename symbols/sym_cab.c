/* sym_cab.c — name.pd_ → name.pdb through libmspack's CAB decompressor (MSZIP/LZX/Quantum);
 * the declared size is checked against the bound before anything is written. */
#include "sym_cab.h"
#include <mspack.h>
#include <stdio.h>

int sym_cab_expand(const char *cab, const char *out, uint64_t max, char *why, size_t whylen)
{
	int rc = -1;
	struct mscab_decompressor *d = mspack_create_cab_decompressor(NULL);
	if (!d) {
		snprintf(why, whylen, "libmspack failed to start");
		return -1;
	}
	struct mscabd_cabinet *c = d->open(d, (char *)cab);
	if (!c)
		snprintf(why, whylen, "not a CAB archive (libmspack error %d)", d->last_error(d));
	else if (!c->files)
		snprintf(why, whylen, "the CAB archive is empty");
	else if ((uint64_t)c->files->length > max)
		snprintf(why, whylen, "the CAB holds %u bytes, over the %llu-byte limit",
			 c->files->length, (unsigned long long)max);
	else if (d->extract(d, c->files, (char *)out) != MSPACK_ERR_OK)
		snprintf(why, whylen, "the CAB archive is damaged (libmspack error %d)",
			 d->last_error(d));
	else
		rc = 0;
	if (c)
		d->close(d, c);
	mspack_destroy_cab_decompressor(d);
	if (rc != 0)
		remove(out);
	return rc;
}
