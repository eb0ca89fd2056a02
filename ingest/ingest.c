/* ingest.c — open a file, detect its format, and hand it to the matching parser. ETW
 * traces are parsed on this thread while the sink stores on another (sink_pipe.h): the
 * decoding and the storing each take about half of an ETL ingest. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "ingest.h"
#include "ingest_grow.h"
#include "ingest_utf16.h"
#include "sink_pipe.h"
#include "pdh/pdh_text.h"
#include "blg/blg_ingest.h"
#include "etl/etl_ingest.h"
#include "wpa/wpa_csv.h"
#include "xperf/xperf_dpcisr.h"

/* A parse of a growing upload stands only if the upload completed: a parser that read all
 * it needed waits for the end (wait), and a parser that failed on the reads of a failed
 * upload reports the upload's reason rather than a damaged file. Returns the final rc. */
static int grow_verdict(struct ingest_grow *grow, int wait, int rc, struct ingest_error *err)
{
	char why[256];
	if (grow && ingest_grow_end(grow, wait, why, sizeof why) < 0) {
		ingest_error_set(err, "%s", why);
		return INGEST_EIO;
	}
	return rc;
}

int ingest_file(const char *path, const struct ingest_sink *sink,
		enum ingest_format *fmt_out, struct ingest_error *err)
{
	return ingest_file_ex(path, NULL, sink, fmt_out, err);
}

int ingest_file_ex(const char *path, const struct ingest_options *opts,
		   const struct ingest_sink *sink, enum ingest_format *fmt_out,
		   struct ingest_error *err)
{
	struct pdh_text_options pdh = {.encoding = opts ? opts->encoding : NULL};
	unsigned char head[INGEST_DETECT_BYTES];
	enum ingest_format fmt;
	size_t n;
	int rc;
	struct ingest_grow *grow = opts ? opts->grow : NULL;
	FILE *f = grow ? ingest_grow_open(grow, path) : fopen(path, "rb");

	if (fmt_out)
		*fmt_out = INGEST_FMT_UNKNOWN;
	if (!f) {
		ingest_error_set(err, "cannot open file: %s", strerror(errno));
		return grow_verdict(grow, 0, INGEST_EIO, err);
	}
	n = fread(head, 1, sizeof head, f);
	if (ferror(f)) {
		ingest_error_set(err, "cannot read file: %s", strerror(errno));
		fclose(f);
		return grow_verdict(grow, 0, INGEST_EIO, err);
	}
	if (n == 0) {
		ingest_error_set(err, "the file is empty");
		fclose(f);
		return INGEST_EFORMAT;
	}
	fmt = ingest_detect(head, n);
	if (fmt_out)
		*fmt_out = fmt;
	rewind(f);
	/* A UTF-16 text export (only text formats can start with a BOM): parse a UTF-8
	 * stream of it; the file itself is closed below. */
	const char *utf16 = ingest_utf16_bom(head, n);
	FILE *text = NULL;
	if (utf16 && fmt != INGEST_FMT_UNKNOWN) {
		if (fseek(f, 2, SEEK_SET) != 0 || !(text = ingest_utf16_open(f, utf16))) {
			ingest_error_set(err, "cannot read the file as %s text", utf16);
			fclose(f);
			return INGEST_ENOMEM;
		}
		pdh.transcoded_from = utf16;
	}
	FILE *raw = f;
	if (text)
		f = text;
	switch (fmt) {
	case INGEST_FMT_PDH_CSV:
		rc = pdh_text_parse_ex(f, ',', &pdh, sink, err);
		break;
	case INGEST_FMT_PDH_TSV:
		rc = pdh_text_parse_ex(f, '\t', &pdh, sink, err);
		break;
	case INGEST_FMT_ETL: {
		struct sink_pipe *pipe = sink_pipe_new(sink);
		enum etl_passes passes = opts && opts->etl_two_pass ? ETL_TWO_PASS : ETL_ONE_PASS;
		rc = etl_ingest_grow(f, grow, passes, pipe ? sink_pipe_sink(pipe) : sink, err);
		int stored = pipe ? sink_pipe_finish(pipe) : 0;
		sink_pipe_free(pipe);
		if (rc == INGEST_OK && stored < 0) {
			ingest_error_set(err, "storing the trace failed");
			rc = stored;
		}
		break;
	}
	case INGEST_FMT_BLG:
		rc = blg_ingest(f, sink, err);
		break;
	case INGEST_FMT_XPERF_DPCISR:
		rc = xperf_dpcisr_parse(f, sink, err);
		break;
	case INGEST_FMT_WPA_CSV:
		rc = wpa_csv_parse(f, sink, err);
		break;
	case INGEST_FMT_UNKNOWN:
		ingest_error_set(err, "unrecognised file format: expected an ETW trace (.etl), a "
				      "perfmon log (.blg, .csv, .tsv) or an xperf/WPA text export");
		rc = INGEST_EFORMAT;
		break;
	default:
		ingest_error_set(err, "%s files are recognised but not supported yet",
				 ingest_format_name(fmt));
		rc = INGEST_EFORMAT;
		break;
	}
	if (text)
		fclose(text);
	fclose(raw);
	rc = grow_verdict(grow, rc == INGEST_OK, rc, err);
	if (grow && rc == INGEST_OK) /* what the wait after the last byte was spent parsing */
		ingest_grow_parsed(grow);
	return rc;
}
