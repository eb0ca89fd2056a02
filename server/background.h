/* background.h — marking the calling thread as background work (an ingest, a symbol job, a
 * warm): a name that ps/top and /proc/PID/task/TID/comm show, and a lower CPU priority than
 * the request workers, so that queries keep their cores while uploads ingest (issue 17). */
#ifndef ETLSCOPE_SERVER_BACKGROUND_H
#define ETLSCOPE_SERVER_BACKGROUND_H

/* The nice values of the background threads (request workers stay at the process's own). A
 * thread that an ingest starts (ingest/sink_pipe.c's store thread) inherits its creator's. */
#define SERVER_NICE_INGEST 10  /* ingest workers: behind queries, ahead of the warm */
#define SERVER_NICE_SYMBOLS 10 /* the symbol job: an ingest's after-pass */
#define SERVER_NICE_WARM 19    /* the kept-stacks warmer: only what nothing else wants */

/* Name the calling thread `name` (at most 15 bytes are kept) and set its nice value to
 * `nice` (Linux: a thread's nice value is its own, not the process's). Returns 0, or -1
 * when either could not be done; the reason goes to stderr, prefixed by `name`. The thread
 * runs on either way: a priority is an optimisation, never a reason to stop ingesting. */
int server_background_thread(const char *name, int nice);

#endif
