/* cli.h — the etlscope subcommands (each in its own file) and shared option helpers. */
#ifndef ETLSCOPE_CLI_H
#define ETLSCOPE_CLI_H

#include <stdint.h>

#define CLI_DEFAULT_DB "etlscope.db"
#define CLI_DEFAULT_DATA "etlscope-data"
#define CLI_DEFAULT_LISTEN "127.0.0.1:8080"
#define CLI_DEFAULT_MAX_UPLOAD (4LL << 30)

int cli_serve(int argc, char **argv);
int cli_ingest(int argc, char **argv);
int cli_demo(int argc, char **argv);
int cli_symbols(int argc, char **argv);

/* "512K", "100M", "4G" or plain bytes → bytes; -1 if malformed. */
int64_t cli_parse_size(const char *s);
/* mkdir -p for one level, fine if it exists. 0 ok. */
int cli_ensure_dir(const char *dir);

#endif
