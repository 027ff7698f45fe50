// SPDX-License-Identifier: GPL-2.0
/*
 * pelbench: the PEL engine: liblpel's rings, on pel.ko (-e kernel) or on
 * its user backend (-e user); every workload.
 */
#include "pelbench.h"

/*
 * Which queue an SQE goes to: the library's choice, the queue of the CPU
 * we run on (lpel_get_sqe()); or, --sq=next, the queue of the next CPU, so
 * that the worker that serves it is not the one our thread keeps off its
 * CPU: an experiment, to see what waking the home worker costs.
 */
bool sq_next;

static struct pel_sqe *pel_get_sqe(struct tctx *t)
{
	struct lpel_ring *ring = &t->pel;
	int cpu;
	unsigned int i;

	if (!sq_next)
		return lpel_get_sqe(ring);
	cpu = sched_getcpu();
	for (i = 0; i < ring->nr_queues; i++)
		if ((int)ring->queues[i].cpu == cpu)
			break;
	return lpel_get_sqe_on(ring, i < ring->nr_queues ?
			       (i + 1) % ring->nr_queues : 0);
}

static int pel_prep(struct tctx *t, unsigned int slot)
{
	const struct cfg *c = t->cfg;
	const struct wbuf *b = &t->wb;
	struct pel_sqe *sqe = pel_get_sqe(t);

	if (!sqe)
		return -EBUSY;
	switch (c->w) {
	case W_NOP:
		lpel_prep_nop(sqe);
		break;
	case W_COPY:
		lpel_prep_copy(sqe, slot_dst(b, slot), b->src, c->size);
		break;
	case W_FILL:
		lpel_prep_fill(sqe, slot_dst(b, slot), FILL_PATTERN, c->size);
		break;
	case W_COMPARE:
		lpel_prep_compare(sqe, b->src2, b->src, c->size);
		break;
	case W_CRC32C:
		lpel_prep_crc32c(sqe, b->src, c->size, 0);
		break;
	case W_COPY_CRC32C:
		lpel_prep_copy_crc32c(sqe, slot_dst(b, slot), b->src, c->size, 0);
		break;
	case W_XOR:
		lpel_prep_xor(sqe, slot_dst(b, slot), b->xptr, c->nsrcs, c->size);
		break;
	case W_SHA256:
		lpel_prep_sha256(sqe, slot_digest(b, slot), b->src, c->size);
		break;
	/* File index 0: the one file tctx_setup() registered. */
	case W_FILE_CRC32C:
		lpel_prep_file_crc32c(sqe, 0, b->foff[slot], b->flen[slot], 0);
		break;
	case W_FILE_COPY:
		lpel_prep_file_copy(sqe, slot_dst(b, slot), 0, b->foff[slot],
				    b->flen[slot]);
		break;
	case W_FILE_SHA256:
		lpel_prep_file_sha256(sqe, slot_digest(b, slot), 0, b->foff[slot],
				      b->flen[slot]);
		break;
	case W_SHA256_BLOCKS:
		lpel_prep_sha256_blocks(sqe, slot_digest(b, slot), b->src, c->size,
					c->block);
		break;
	case W_FILE_SHA256_BLOCKS:
		lpel_prep_file_sha256_blocks(sqe, slot_digest(b, slot), 0,
					     b->foff[slot], b->flen[slot], c->block);
		break;
	case W_FILE_CRC32C_BLOCKS:
		lpel_prep_file_crc32c_blocks(sqe, (uint32_t *)(void *)slot_digest(b, slot),
					     0, b->foff[slot], b->flen[slot],
					     c->block, 0);
		break;
	case W_NR:
		break;
	}
	if (c->fixed)
		lpel_sqe_set_flags(sqe, PEL_SQE_FIXED);
	lpel_sqe_set_data(sqe, slot);
	return 0;
}

static int pel_submit(struct tctx *t, unsigned int n)
{
	int ret = lpel_submit(&t->pel);

	return ret < 0 ? t_fail(t, ret, "lpel_submit") : 0;
}

static unsigned int pel_reap(struct tctx *t)
{
	struct pel_cqe *cqe;
	unsigned int n = 0;
	uint64_t now = 0;

	while (!lpel_peek_cqe(&t->pel, &cqe)) {
		if (!n)
			now = now_ticks();
		complete(t, cqe->user_data, cqe->res, cqe->result, now);
		lpel_cqe_seen(&t->pel, cqe);
		n++;
	}
	return n;
}

/*
 * Polled: the library's wait, which spins on the CQs a little and then
 * blocks in PEL_ENTER_WAIT.  Blocking: straight into PEL_ENTER_WAIT.
 */
static int pel_wait(struct tctx *t)
{
	struct pel_cqe *cqe;
	int ret;

	if (t->cfg->wait == WAIT_POLL)
		ret = lpel_wait_cqe(&t->pel, &cqe);
	else
		ret = lpel_submit_and_wait(&t->pel, 1);
	if (ret < 0 && ret != -EINTR)
		return t_fail(t, ret, "wait for a PEL completion");
	return 0;
}

const struct engine_ops pel_engine = {
	.prep = pel_prep, .submit = pel_submit, .reap = pel_reap,
	.wait = pel_wait,
};

/* Every buffer of @b a PEL op addresses. */
static unsigned int wbuf_iovs(const struct wbuf *b, struct iovec *iov)
{
	unsigned int n = 0, i;

#define ADD(p, len)							\
	do {								\
		if (p) {						\
			iov[n].iov_base = (void *)(p);			\
			iov[n++].iov_len = (len);			\
		}							\
	} while (0)
	ADD(b->src, b->size);
	ADD(b->src2, b->size);
	for (i = 1; i < PEL_XOR_MAX_SRCS; i++)
		ADD(b->xsrc[i], b->size);
	ADD(b->xptr, PEL_XOR_MAX_SRCS * sizeof(*b->xptr));
	ADD(b->dst, b->dst_bytes);
	ADD(b->digest, (size_t)b->slots * PEL_SHA256_DIGEST_SIZE);
#undef ADD
	return n;
}

/* A submitting thread's PEL context: its rings, the file, -F's buffers. */
int pel_setup(struct tctx *t, const struct cfg *c, unsigned int entries)
{
	struct lpel_params p = {
		.sq_entries = entries,
		.cq_entries = entries * 2,
		.backend = pel_backend_req,
	};
	int ret;

	ret = lpel_init_params(&t->pel, &p);
	if (ret == -ENOSYS && !pel_on_kernel())
		return t_fail(t, ret, "lpel_init_params: the user backend is not in this liblpel");
	if (ret)
		return t_fail(t, ret, pel_on_kernel() ? "lpel_init (is pel.ko loaded?)" :
			      "lpel_init_params, user backend");
	t->pel_up = true;
	if (w_is_file(c->w)) {
		int fres = 0;

		ret = lpel_register_files(&t->pel, &file_fd, 1, &fres);
		if (ret >= 0 && fres < 0)
			ret = fres;
		if (ret < 0)
			return t_fail(t, ret, "lpel_register_files");
	}
	if (w_is_blocks(c->w) && !(t->pel.features & PEL_FEAT_BLOCK_DIGESTS))
		return t_fail(t, -EOPNOTSUPP, "PEL_FEAT_BLOCK_DIGESTS");
	if (c->fixed) {
		struct iovec iov[PEL_XOR_MAX_SRCS + 8];

		ret = lpel_register_buffers(&t->pel, iov,
					     wbuf_iovs(&t->wb, iov));
		if (ret)
			return t_fail(t, ret, "registering buffers");
	}
	return 0;
}
