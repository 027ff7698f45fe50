/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the pel: system.  Off, they cost a static branch each.
 *
 *   echo 1 > /sys/kernel/tracing/events/pel/enable
 *   perf record -e 'pel:*' ...;  bpftrace -e 'tracepoint:pel:pel_complete { ... }'
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM pel

#if !defined(_PEL_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _PEL_TRACE_H

#include <linux/tracepoint.h>

struct pel_ctx;

/* A worker took @n SQEs from queue @queue (homed on @home) of @ctx. */
TRACE_EVENT(pel_take,
	TP_PROTO(struct pel_ctx *ctx, unsigned int queue, unsigned int cpu,
		 unsigned int home, unsigned int n),
	TP_ARGS(ctx, queue, cpu, home, n),
	TP_STRUCT__entry(
		__field(const void *, ctx)
		__field(unsigned int, queue)
		__field(unsigned int, cpu)
		__field(unsigned int, home)
		__field(unsigned int, n)
	),
	TP_fast_assign(
		__entry->ctx = ctx;
		__entry->queue = queue;
		__entry->cpu = cpu;
		__entry->home = home;
		__entry->n = n;
	),
	TP_printk("ctx=%p queue=%u cpu=%u home=%u n=%u%s", __entry->ctx,
		  __entry->queue, __entry->cpu, __entry->home, __entry->n,
		  __entry->cpu != __entry->home ? " stolen" : "")
);

/* An op's CQE was posted, @lat_ns after its SQE was taken. */
TRACE_EVENT(pel_complete,
	TP_PROTO(struct pel_ctx *ctx, unsigned int queue, u64 user_data,
		 u8 opcode, s32 res, u64 lat_ns),
	TP_ARGS(ctx, queue, user_data, opcode, res, lat_ns),
	TP_STRUCT__entry(
		__field(const void *, ctx)
		__field(unsigned int, queue)
		__field(u64, user_data)
		__field(u8, opcode)
		__field(s32, res)
		__field(u64, lat_ns)
	),
	TP_fast_assign(
		__entry->ctx = ctx;
		__entry->queue = queue;
		__entry->user_data = user_data;
		__entry->opcode = opcode;
		__entry->res = res;
		__entry->lat_ns = lat_ns;
	),
	TP_printk("ctx=%p queue=%u user_data=0x%llx op=%u res=%d lat_ns=%llu",
		  __entry->ctx, __entry->queue,
		  (unsigned long long)__entry->user_data, __entry->opcode,
		  __entry->res, (unsigned long long)__entry->lat_ns)
);

/* An op of @len bytes was split into @chunks chunks. */
TRACE_EVENT(pel_split,
	TP_PROTO(u8 opcode, u64 len, unsigned int chunks),
	TP_ARGS(opcode, len, chunks),
	TP_STRUCT__entry(
		__field(u8, opcode)
		__field(u64, len)
		__field(unsigned int, chunks)
	),
	TP_fast_assign(
		__entry->opcode = opcode;
		__entry->len = len;
		__entry->chunks = chunks;
	),
	TP_printk("op=%u len=%llu chunks=%u", __entry->opcode,
		  (unsigned long long)__entry->len, __entry->chunks)
);

DECLARE_EVENT_CLASS(pel_worker_class,
	TP_PROTO(unsigned int cpu),
	TP_ARGS(cpu),
	TP_STRUCT__entry(
		__field(unsigned int, cpu)
	),
	TP_fast_assign(
		__entry->cpu = cpu;
	),
	TP_printk("cpu=%u", __entry->cpu)
);

/* The worker of @cpu goes to sleep (NEED_WAKEUP set on its queues). */
DEFINE_EVENT(pel_worker_class, pel_worker_sleep,
	TP_PROTO(unsigned int cpu),
	TP_ARGS(cpu)
);

/* The worker of @cpu woke up and polls. */
DEFINE_EVENT(pel_worker_class, pel_worker_wake,
	TP_PROTO(unsigned int cpu),
	TP_ARGS(cpu)
);

#endif /* _PEL_TRACE_H */

/* This part must be outside the multi-read protection. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
