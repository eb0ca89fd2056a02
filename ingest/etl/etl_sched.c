/* etl_sched.c — ReadyThread / SysClEnter / SysClExit payload decoders (etl_sched.h). Every
 * read is bounded by the payload; the pointer size is the event's own. */
#include "etl_sched.h"
#include "etl_le.h"

int etl_decode_ready_thread(const struct etl_event *ev, struct etl_ready_thread *r)
{
	const uint8_t *p = ev->payload;
	if (ev->payload_len < 7) /* TThreadId u32, AdjustReason, AdjustIncrement, Flag */
		return -1;
	r->tid = etl_le32(p);
	r->adjust_reason = (int8_t)p[4];
	r->adjust_increment = (int8_t)p[5];
	r->flag = p[6];
	return 0;
}

int etl_decode_syscall_enter(const struct etl_event *ev, uint64_t *address)
{
	unsigned P = ev->pointer_size;
	if (ev->payload_len < P)
		return -1;
	*address = etl_leptr(ev->payload, P);
	return 0;
}

int etl_decode_syscall_exit(const struct etl_event *ev, uint32_t *status)
{
	if (ev->payload_len < 4)
		return -1;
	*status = etl_le32(ev->payload);
	return 0;
}
