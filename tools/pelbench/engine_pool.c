// SPDX-License-Identifier: GPL-2.0
/*
 * pelbench: the pthread_pool baseline: one thread per CPU behind a mutex,
 * condition variables and a task list, each large op split across them
 * (what users write instead of PEL), running engine_cpu.c's code.
 */
#include "pelbench.h"

struct pool {
	pthread_mutex_t lock;		/* protects head, tail and stop */
	pthread_cond_t cv;
	struct pool_task *head, **tail;
	bool stop;
	unsigned int nthreads;
	pthread_t *tids;
};

static void *pool_worker(void *arg)
{
	struct pool *p = arg;
	struct pool_task *task;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (!p->head && !p->stop)
			pthread_cond_wait(&p->cv, &p->lock);
		task = p->head;
		if (!task) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		p->head = task->next;
		if (!p->head)
			p->tail = &p->head;
		pthread_mutex_unlock(&p->lock);

		struct tctx *t = task->t;
		struct pool_op *op = &t->pops[task->slot];

		cpu_range(t->cfg, &t->wb, task->slot, task->off, task->len,
			  false, &op->r[task->chunk]);
		/* The last chunk done hands the op to its submitter. */
		if (atomic_fetch_sub_explicit(&op->left, 1, memory_order_acq_rel) == 1) {
			pthread_mutex_lock(&t->cmu);
			t->cdone[t->nr_cdone++] = task->slot;
			atomic_fetch_add_explicit(&t->cready, 1, memory_order_release);
			if (t->cwaiting)
				pthread_cond_signal(&t->ccv);
			pthread_mutex_unlock(&t->cmu);
		}
	}
	return NULL;
}

void pool_stop(struct pool *p)
{
	unsigned int i;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->tids[i], NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cv);
	free(p->tids);
	free(p);
}

struct pool *pool_start(unsigned int nthreads)
{
	struct pool *p = calloc(1, sizeof(*p));
	unsigned int i;

	if (!p)
		return NULL;
	p->tids = calloc(nthreads, sizeof(*p->tids));
	if (!p->tids) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->tail = &p->head;
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&p->tids[i], NULL, pool_worker, p))
			break;
		p->nthreads++;
	}
	if (p->nthreads != nthreads) {
		pool_stop(p);
		return NULL;
	}
	return p;
}

/* One chunk per pool thread for large ops, the whole op otherwise. */
static int pool_prep(struct tctx *t, unsigned int slot)
{
	const struct cfg *c = t->cfg;
	struct pool_op *op = &t->pops[slot];
	unsigned int k = 1, i;
	uint64_t size = op_len(c, &t->wb, slot), chunk = size;

	if (c->w != W_NOP && c->w != W_SHA256 && c->w != W_FILE_SHA256 &&
	    size >= POOL_SPLIT_MIN) {
		/* Per-block digests: pieces of whole blocks. */
		uint64_t align = w_is_blocks(c->w) ? c->block : 4096;

		k = t->pool->nthreads;
		if (k > POOL_MAX_CHUNKS)
			k = POOL_MAX_CHUNKS;
		chunk = (size + k - 1) / k;
		chunk = (chunk + align - 1) / align * align;
		k = (unsigned int)((size + chunk - 1) / chunk);
	}
	op->nchunks = k;
	atomic_store_explicit(&op->left, k, memory_order_relaxed);
	for (i = 0; i < k; i++) {
		struct pool_task *task = &op->task[i];

		task->t = t;
		task->slot = slot;
		task->chunk = i;
		task->off = (uint64_t)i * chunk;
		task->len = size - task->off < chunk ? size - task->off : chunk;
		task->next = NULL;
		*t->pend_tail = task;
		t->pend_tail = &task->next;
		t->pend_n++;
	}
	return 0;
}

static int pool_submit(struct tctx *t, unsigned int n)
{
	struct pool *p = t->pool;

	if (!t->pend_head)
		return 0;
	pthread_mutex_lock(&p->lock);
	*p->tail = t->pend_head;
	p->tail = t->pend_tail;
	if (t->pend_n > 1)
		pthread_cond_broadcast(&p->cv);
	else
		pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->lock);
	t->pend_head = NULL;
	t->pend_tail = &t->pend_head;
	t->pend_n = 0;
	return 0;
}

static unsigned int pool_reap(struct tctx *t)
{
	unsigned int i, n, *swap;
	uint64_t now;

	if (!atomic_load_explicit(&t->cready, memory_order_acquire))
		return 0;
	pthread_mutex_lock(&t->cmu);
	n = t->nr_cdone;
	swap = t->creap;
	t->creap = t->cdone;
	t->cdone = swap;
	t->nr_cdone = 0;
	atomic_fetch_sub_explicit(&t->cready, n, memory_order_relaxed);
	pthread_mutex_unlock(&t->cmu);
	now = now_ticks();
	for (i = 0; i < n; i++) {
		unsigned int slot = t->creap[i], k;
		struct pool_op *op = &t->pops[slot];
		struct rres r = op->r[0];
		uint64_t result;
		int64_t res;

		for (k = 1; k < op->nchunks; k++) {
			r.crc = crc32c_combine(r.crc, op->r[k].crc, op->task[k].len);
			if (r.diff == UINT64_MAX)
				r.diff = op->r[k].diff;
			if (!r.err)
				r.err = op->r[k].err;
		}
		cpu_result(t->cfg, &r, op_len(t->cfg, &t->wb, slot), &res, &result);
		complete(t, slot, res, result, now);
	}
	return n;
}

static int pool_wait(struct tctx *t)
{
	unsigned int i;

	if (t->cfg->wait == WAIT_POLL) {
		for (i = 0; i < SPIN_ITERS; i++) {
			if (atomic_load_explicit(&t->cready, memory_order_acquire))
				return 0;
			cpu_relax();
		}
	}
	pthread_mutex_lock(&t->cmu);
	t->cwaiting = true;
	while (!t->nr_cdone)
		pthread_cond_wait(&t->ccv, &t->cmu);
	t->cwaiting = false;
	pthread_mutex_unlock(&t->cmu);
	return 0;
}

const struct engine_ops pool_engine = {
	.prep = pool_prep, .submit = pool_submit, .reap = pool_reap,
	.wait = pool_wait,
};

int pool_setup(struct tctx *t, const struct cfg *c, struct pool *pool)
{
	t->pool = pool;
	t->pops = calloc(c->depth, sizeof(*t->pops));
	t->cdone = calloc(c->depth, sizeof(*t->cdone));
	t->creap = calloc(c->depth, sizeof(*t->creap));
	if (!t->pops || !t->cdone || !t->creap)
		return t_fail(t, -ENOMEM, "allocating pool state");
	pthread_mutex_init(&t->cmu, NULL);
	pthread_cond_init(&t->ccv, NULL);
	return 0;
}

void pool_free(struct tctx *t)
{
	if (t->pops) {
		pthread_mutex_destroy(&t->cmu);
		pthread_cond_destroy(&t->ccv);
	}
	free(t->pops);
	free(t->cdone);
	free(t->creap);
}
