/* etl_xpress.h — [MS-XCA] "plain LZ77" (XPRESS) decompression of compressed ETL buffers. */
#ifndef ETLSCOPE_ETL_XPRESS_H
#define ETLSCOPE_ETL_XPRESS_H

#include <stddef.h>
#include <stdint.h>

/* Decompress in[0..in_len) into out[0..out_cap). Returns the number of bytes produced,
 * or -1 if the stream is corrupt (match before the start of output, output overflow,
 * truncated length field). Never reads or writes outside the given ranges. */
long etl_xpress_decompress(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap);

#endif
