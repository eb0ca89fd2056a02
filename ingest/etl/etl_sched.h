/* etl_sched.h — payload decoders of the scheduling and syscall kernel events: Thread
 * ReadyThread (5/50), PerfInfo SysClEnter (15/51) and SysClExit (15/52). CSwitch (5/36) is
 * in etl_kernel.h. Layouts and sources: ingest/etl/README.md "Scheduling and syscalls". */
#ifndef ETLSCOPE_ETL_SCHED_H
#define ETLSCOPE_ETL_SCHED_H

#include <stdint.h>
#include "etl_event.h"

/* KTHREAD_STATE values of CSwitch OldThreadState that leave the thread runnable. */
#define ETL_THREAD_READY 1
#define ETL_THREAD_STANDBY 3
#define ETL_THREAD_TERMINATED 4
#define ETL_THREAD_DEFERRED_READY 7

#define ETL_READY_FROM_DPC 0x1 /* ReadyThread Flag: readied from a DPC */

struct etl_ready_thread {
	uint32_t tid;           /* TThreadId: the thread made ready */
	int8_t adjust_reason, adjust_increment;
	uint8_t flag;           /* 0x1 from DPC, 0x2 kernel stack swapped, 0x4 process swapped */
};
int etl_decode_ready_thread(const struct etl_event *ev, struct etl_ready_thread *r);

/* SysClEnter: the NT service routine entered (pointer-sized). */
int etl_decode_syscall_enter(const struct etl_event *ev, uint64_t *address);
/* SysClExit: the NTSTATUS it returned. */
int etl_decode_syscall_exit(const struct etl_event *ev, uint32_t *status);

#endif
