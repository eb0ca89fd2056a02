/* background.c — a background thread's name and CPU priority (background.h). */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "background.h"

int server_background_thread(const char *name, int nice)
{
	int rc = 0;
	char shortname[16];
	snprintf(shortname, sizeof shortname, "%s", name);
	int e = pthread_setname_np(pthread_self(), shortname);
	if (e != 0) {
		fprintf(stderr, "etlscope: %s thread: cannot name it: %s\n", name, strerror(e));
		rc = -1;
	}
	struct sched_param sp = {.sched_priority = 0};
	e = pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
	if (e != 0) {
		fprintf(stderr, "etlscope: %s thread: cannot make it a batch thread: %s\n", name,
			strerror(e));
		rc = -1;
	}
	/* PRIO_PROCESS with a thread id sets that thread's nice value only (Linux) */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice) != 0) {
		fprintf(stderr, "etlscope: %s thread: cannot set its priority: %s\n", name,
			strerror(errno));
		rc = -1;
	}
	return rc;
}
