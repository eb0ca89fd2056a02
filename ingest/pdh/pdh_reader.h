/* pdh_reader.h — streaming line reader for text logs: fixed-size fread blocks into one
 * buffer that holds at most one line plus one block, with a hard line-length cap. */
#ifndef ETLSCOPE_PDH_READER_H
#define ETLSCOPE_PDH_READER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct pdh_reader {
	FILE *f;
	char *buf;
	size_t cap;       /* allocated bytes */
	size_t start;     /* first byte of the current line */
	size_t scan;      /* where the search for '\n' resumes */
	size_t end;       /* bytes in buf */
	size_t block;     /* bytes per fread */
	size_t max_line;  /* longest accepted line, without its line ending */
	uint64_t line_no; /* 1-based number of the line last returned */
	int eof;
};

enum pdh_reader_status {
	PDH_READ_LINE = 1,
	PDH_READ_EOF = 0,
	PDH_READ_EIO = -1,
	PDH_READ_ENOMEM = -2,
	PDH_READ_TOO_LONG = -3 /* a line exceeds max_line: stop */
};

/* block and max_line must be > 0. Allocates nothing until the first read. */
void pdh_reader_init(struct pdh_reader *r, FILE *f, size_t block, size_t max_line);
void pdh_reader_free(struct pdh_reader *r);

/* Next line without "\n" / "\r\n". *terminated = 0 for a last line with no line ending.
 * The line stays valid until the next call. Returns enum pdh_reader_status. */
int pdh_reader_next(struct pdh_reader *r, const char **line, size_t *len, int *terminated);

#endif
