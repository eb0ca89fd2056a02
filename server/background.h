/* background.h — marking the calling thread as background work (an ingest, a symbol job, a
 * warm): a name that ps/top and /proc/PID/task/TID/comm show, the SCHED_BATCH policy (a
 * batch thread does not preempt on wakeup: a query worker that wakes gets its core first),
 * and a nice value (issue 17: queries stay fast while uploads ingest). */
#ifndef ETLSCOPE_SERVER_BACKGROUND_H
#define ETLSCOPE_SERVER_BACKGROUND_H

/* The nice values of the background threads (request workers stay at the process's own). A
 * thread that an ingest starts (ingest/sink_pipe.c's store thread) inherits its creator's
 * policy and nice value. Ingest workers keep nice 0: the parser of a streamed upload competes with the thread
 * receiving that upload (and, on loopback, the client), and at nice 10 it got a tenth of a
 * core while the bytes arrived — upload end → verdict 1.67–1.84 s became 2.54–2.55 s
 * (bench/verdict.sh, 818 MB, alternated pairs, load ~1). SCHED_BATCH alone leaves the CPU
 * share fair and gives a waking query worker the core first. */
#define SERVER_NICE_INGEST 0   /* ingest workers: batch, a fair share */
#define SERVER_NICE_SYMBOLS 10 /* the symbol job: an ingest's after-pass */
#define SERVER_NICE_WARM 19    /* the kept-stacks warmer: only what nothing else wants */

/* Name the calling thread `name` (at most 15 bytes are kept), make it SCHED_BATCH and set its
 * nice value to `nice` (Linux: a thread's policy and nice value are its own, not the
 * process's; neither needs a privilege in this direction). Returns 0, or -1
 * when either could not be done; the reason goes to stderr, prefixed by `name`. The thread
 * runs on either way: a priority is an optimisation, never a reason to stop ingesting. */
int server_background_thread(const char *name, int nice);

#endif
