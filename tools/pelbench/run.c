// SPDX-License-Identifier: GPL-2.0
/*
 * pelbench: the loop every engine runs (bench_thread(), through its
 * struct engine_ops), and one run of one engine: its threads, the
 * measuring window, the totals (run_engine()).
 */
#include "pelbench.h"

/* ------------------------------------------------------------------------
 * Per-thread state and the one loop every engine runs.
 */
atomic_int phase;

int t_fail(struct tctx *t, int err, const char *what)
{
	if (!t->err) {
		t->err = err < 0 ? err : -EIO;
		t->err_what = what;
	}
	return t->err;
}

/* One op of @t finished at @now (ticks): check and count it. */
void complete(struct tctx *t, uint64_t slot, int64_t res,
	      uint64_t result, uint64_t now)
{
	struct tstats *st = &t->st;
	enum check ck;
	uint64_t lat;

	if (slot >= t->cfg->depth) {
		t_fail(t, -EPROTO, "completion with an unknown user_data");
		return;
	}
	t->inflight--;
	t->free_slots[t->nr_free++] = (unsigned int)slot;
	ck = check_op(t->cfg, &t->wb, (unsigned int)slot, res, result);
	if (atomic_load_explicit(&phase, memory_order_relaxed) != PH_RUN) {
		t->pause_pending = 0;
		return;
	}
	/* A cold run's drop before this op lies inside the span: not its time. */
	if (st->ops)
		st->paused += t->pause_pending;
	t->pause_pending = 0;
	lat = now > t->stamp[slot] ? now - t->stamp[slot] : 0;
	if (!st->ops || now == st->t_first) {
		st->t_first = now;
		st->n_first++;
	}
	st->ops++;
	st->bytes += t->cfg->w == W_NOP ? 0 : op_len(t->cfg, &t->wb, (unsigned int)slot);
	st->t_last = now;
	atomic_store_explicit(&t->counted, st->ops - st->n_first,
			      memory_order_relaxed);
	st->lat_sum += lat;
	if (lat > st->lat_max)
		st->lat_max = lat;
	st->h.b[hist_index(lat)]++;
	if (ck == CHECK_FAILED)
		st->failed++;
	else if (ck == CHECK_MISCOMPARE)
		st->miscompares++;
}

void *bench_thread(void *arg)
{
	struct tctx *t = arg;
	const struct engine_ops *ops = engine_ops[t->e];
	const struct cfg *c = t->cfg;
	unsigned int i, n;
	uint64_t now;

	while (!t->err &&
	       atomic_load_explicit(&phase, memory_order_relaxed) != PH_STOP) {
		/*
		 * Keep DEPTH ops in flight, BATCH at a time.  (The cpu
		 * engine completes them in submit: look at the phase.)
		 */
		while (!t->err && c->depth - t->inflight >= c->batch &&
		       atomic_load_explicit(&phase, memory_order_relaxed) != PH_STOP) {
			for (n = 0; n < c->batch; n++) {
				unsigned int slot = t->free_slots[t->nr_free - 1];

				if (c->verify)
					poison(c, &t->wb, slot);
				if (w_is_file(c->w)) {
					/* The next range, cycling over the file. */
					uint64_t k = t->frange;

					t->wb.foff[slot] = k * c->size;
					t->wb.flen[slot] = file_total - k * c->size < c->size ?
							   file_total - k * c->size : c->size;
				}
				if (c->cold) {
					/* Cold (depth 1): the page cache dropped, untimed. */
					uint64_t p0 = now_ticks();
					int err = drop_caches();

					if (err) {
						t_fail(t, err, "dropping the page cache");
						break;
					}
					t->pause_pending += now_ticks() - p0;
				}
				if (ops->prep(t, slot))
					break;
				if (w_is_file(c->w))
					t->frange = (t->frange + 1) % file_nranges;
				t->nr_free--;
				t->batch[n] = slot;
			}
			if (!n) {
				/*
				 * SQPOLL moves the SQ head after posting the
				 * CQEs: reap, and try again.
				 */
				if (t->inflight)
					break;
				t_fail(t, -EBUSY, "no free submission entry");
				break;
			}
			now = now_ticks();
			for (i = 0; i < n; i++)
				t->stamp[t->batch[i]] = now;
			t->inflight += n;
			if (ops->submit(t, n) < 0)
				break;
		}
		if (t->err)
			break;
		if (t->inflight && !ops->reap(t)) {
			if (ops->wait(t) < 0)
				break;
			ops->reap(t);
		}
	}
	/* Drain what is in flight; it is not counted. */
	while (!t->err && t->inflight) {
		if (!ops->reap(t) && ops->wait(t) < 0)
			break;
	}
	return NULL;
}

const struct engine_ops *const engine_ops[E_NR] = {
	[E_PEL] = &pel_engine,
	[E_URING] = &uring_engine,
	[E_SQPOLL] = &uring_engine,
	[E_SPSC] = &spsc_engine,
	[E_CPU] = &cpu_engine,
	[E_POOL] = &pool_engine,
	[E_NAIVE] = &cpu_engine,
};

/* ------------------------------------------------------------------------
 * One run of one engine.
 */
const char *const engine_names[E_NR] = {
	"pel", "io_uring", "io_uring_sqpoll", "spsc_ring", "cpu",
	"pthread_pool", "cpu_naive",
};

unsigned int nr_online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned int)n : 1;
}

static unsigned int roundup_pow2(unsigned int v)
{
	unsigned int p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

bool engine_supports(enum engine e, enum workload w)
{
	if (e == E_URING || e == E_SQPOLL || e == E_SPSC)
		return w == W_NOP;
	if (e == E_NAIVE)
		return naive_names[w] != NULL;
	return true;
}

static double rusage_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

int tctx_setup(struct tctx *t, enum engine e, const struct cfg *c,
	       unsigned int idx, struct pool *pool)
{
	unsigned int i, entries = roundup_pow2(c->depth < 2 ? 2 : c->depth);
	int ret;

	t->cfg = c;
	t->e = e;
	t->idx = idx;
	t->cpu = -1;
	t->pend_tail = &t->pend_head;
	t->stamp = calloc(c->depth, sizeof(*t->stamp));
	t->free_slots = calloc(c->depth, sizeof(*t->free_slots));
	t->batch = calloc(c->batch, sizeof(*t->batch));
	if (!t->stamp || !t->free_slots || !t->batch)
		return t_fail(t, -ENOMEM, "allocating slots");
	/* Slot 0 is handed out first. */
	for (i = 0; i < c->depth; i++)
		t->free_slots[i] = c->depth - 1 - i;
	t->nr_free = c->depth;
	ret = wbuf_init(&t->wb, c, idx);
	if (ret)
		return t_fail(t, ret, "allocating buffers");
	/* File workloads: the threads start spread over the file. */
	if (w_is_file(c->w) && c->threads)
		t->frange = (uint64_t)idx * file_nranges / c->threads;

	switch (e) {
	case E_PEL:
		return pel_setup(t, c, entries);
	case E_URING:
	case E_SQPOLL:
		return uring_setup(t, e, entries);
	case E_SPSC:
		return spsc_setup(t, idx, entries);
	case E_POOL:
		return pool_setup(t, c, pool);
	default:
		return 0;
	}
}

void tctx_teardown(struct tctx *t)
{
	if (t->pel_up)
		lpel_exit(&t->pel);
	if (t->uring_up)
		io_uring_queue_exit(&t->uring);
	spsc_free(t);
	pool_free(t);
	wbuf_free(&t->wb);
	free(t->stamp);
	free(t->free_slots);
	free(t->batch);
}

/* Start a thread, pinned to @cpu unless it is negative. */
int start_thread(pthread_t *tid, int cpu, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int ret;

	pthread_attr_init(&attr);
	if (cpu >= 0) {
		/*
		 * Pinned through the attribute, so that only the new thread
		 * is: threads inherit their creator's affinity, and ours
		 * must stay free for every later run.
		 */
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	}
	ret = pthread_create(tid, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return -ret;
}

static void result_totals(struct result *r)
{
	struct hist *h = calloc(1, sizeof(*h));
	uint64_t lat_sum = 0, lat_max = 0, bytes = 0;
	unsigned int i, j;

	r->ops = r->failed = r->miscompares = 0;
	r->ops_s = r->mib_s = 0;
	for (i = 0; i < r->nthreads; i++) {
		const struct tstats *st = &r->th[i];
		double rate, brate;

		r->ops += st->ops;
		r->failed += st->failed;
		r->miscompares += st->miscompares;
		bytes += st->bytes;
		lat_sum += st->lat_sum;
		if (st->lat_max > lat_max)
			lat_max = st->lat_max;
		if (h)
			for (j = 0; j < HBUCKETS; j++)
				h->b[j] += st->h.b[j];
		/* Ops after the first counted pass, over the time since. */
		if (st->ops > st->n_first && st->t_last > st->t_first + st->paused) {
			double span = ticks_to_ns((double)(st->t_last - st->t_first -
							   st->paused)) / 1e9;

			rate = (double)(st->ops - st->n_first) / span;
		} else {
			rate = r->window_s > 0 ? (double)st->ops / r->window_s : 0;
		}
		brate = st->ops ? rate * (double)st->bytes / (double)st->ops : 0;
		r->th_ops_s[i] = rate;
		r->th_mib_s[i] = brate / MIB;
		r->ops_s += rate;
		r->mib_s += brate / MIB;
	}
	r->lat_avg = r->ops ? ticks_to_ns((double)lat_sum / (double)r->ops) : 0;
	r->lat_max = ticks_to_ns((double)lat_max);
	if (h) {
		r->lat_p50 = ticks_to_ns(hist_quantile(h, r->ops, 0.50));
		r->lat_p99 = ticks_to_ns(hist_quantile(h, r->ops, 0.99));
		/* The histogram's midpoints may pass the true maximum. */
		if (r->lat_p99 > r->lat_max)
			r->lat_p99 = r->lat_max;
		if (r->lat_p50 > r->lat_max)
			r->lat_p50 = r->lat_max;
		free(h);
	}
}

static const char *result_label(enum engine e, const struct cfg *c, char *buf,
				size_t n)
{
	switch (e) {
	case E_CPU:
		snprintf(buf, n, "%s, 1 thread",
			 cpu_copy_movsb && c->w == W_COPY ? "rep movsb" : cpu_names[c->w]);
		break;
	case E_NAIVE:
		snprintf(buf, n, "%s, 1 thread",
			 naive_names[c->w] ? naive_names[c->w] : "naive");
		break;
	case E_POOL:
		snprintf(buf, n, "pthread pool x%u", nr_online_cpus());
		break;
	case E_PEL:
		snprintf(buf, n, "pel%s%s%s", pel_on_kernel() ? "" : " (user)",
			 c->wait == WAIT_BLOCK ? " (blocking)" : "",
			 c->fixed ? " (fixed)" : "");
		break;
	default:
		snprintf(buf, n, "%s", engine_names[e]);
		break;
	}
	return buf;
}

void result_free(struct result *r)
{
	free(r->th);
	free(r->th_ops_s);
	free(r->th_mib_s);
	r->th = NULL;
	r->th_ops_s = r->th_mib_s = NULL;
}

/*
 * Run @e with @cfg (the cpu engine: one thread, depth 1) into @r.
 * Returns 0, or -errno with r->errmsg saying what failed.
 */
int run_engine(enum engine e, const struct cfg *cfg, struct result *r)
{
	struct cfg c = *cfg;
	struct tctx *t = NULL;
	struct pool *pool = NULL;
	struct pel_snap *s0 = NULL, *s1 = NULL;
	struct rusage ru0, ru1;
	uint64_t t0, t1, en0 = 0, en1 = 0, he0 = 0, he1 = 0;
	bool have_en = false, kern = false;
	unsigned int i, started = 0, spsc_started = 0;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	r->e = e;
	r->backend = -1;
	if (e == E_CPU || e == E_NAIVE) {
		c.threads = 1;
		c.depth = 1;
		c.batch = 1;
	}
	r->cfg = c;
	result_label(e, &c, r->label, sizeof(r->label));
	if (!engine_supports(e, c.w)) {
		r->skipped = true;
		snprintf(r->errmsg, sizeof(r->errmsg), "%s runs only %s",
			 engine_names[e], e == E_NAIVE ? "crc32c, copy_crc32c and xor" : "nop");
		return 0;
	}
	if (e == E_NAIVE && c.w != W_XOR && !have_sse42) {
		r->skipped = true;
		snprintf(r->errmsg, sizeof(r->errmsg), "n/a: no SSE4.2");
		return 0;
	}
	if (e == E_PEL && c.fixed && pel_on_kernel() &&
	    !pel_has_feature(PEL_FEAT_REGISTERED_BUFFERS)) {
		r->skipped = true;
		snprintf(r->errmsg, sizeof(r->errmsg),
			 "n/a: module lacks registered buffers");
		return 0;
	}
	if (w_is_file(c.w)) {
		if (file_fd < 0) {
			r->skipped = true;
			snprintf(r->errmsg, sizeof(r->errmsg), "n/a: no file to read: %s",
				 file_na ? file_na : "none was opened");
			return 0;
		}
		/* The suite's file runs differ in op size. */
		file_nranges = (file_total + c.size - 1) / c.size;
	}
	if (c.cold) {
		const char *why = cold_na();

		if (why) {
			r->skipped = true;
			snprintf(r->errmsg, sizeof(r->errmsg), "n/a: %s", why);
			return 0;
		}
		/* Clean pages only are dropped: none of the file may be dirty. */
		fdatasync(file_fd);
	}
	r->nthreads = c.threads;
	r->th = calloc(c.threads, sizeof(*r->th));
	r->th_ops_s = calloc(c.threads, sizeof(double));
	r->th_mib_s = calloc(c.threads, sizeof(double));
	t = calloc(c.threads, sizeof(*t));
	s0 = calloc(1, sizeof(*s0));
	s1 = calloc(1, sizeof(*s1));
	if (!r->th || !r->th_ops_s || !r->th_mib_s || !t || !s0 || !s1) {
		ret = -ENOMEM;
		snprintf(r->errmsg, sizeof(r->errmsg), "out of memory");
		goto out;
	}
	if (e == E_POOL) {
		pool = pool_start(nr_online_cpus());
		if (!pool) {
			ret = -EAGAIN;
			snprintf(r->errmsg, sizeof(r->errmsg), "cannot start the pool");
			goto out;
		}
	}
	for (i = 0; i < c.threads; i++) {
		ret = tctx_setup(&t[i], e, &r->cfg, i, pool);
		if (ret) {
			snprintf(r->errmsg, sizeof(r->errmsg), "%s: %s",
				 t[i].err_what, strerror(-ret));
			/* A kernel without io_uring (or SQPOLL) lacks a baseline. */
			if ((e == E_URING || e == E_SQPOLL) &&
			    (ret == -ENOSYS || ret == -EPERM || ret == -EOPNOTSUPP)) {
				r->skipped = true;
				ret = 0;
			}
			if (e == E_PEL && w_is_file(c.w) &&
			    !strcmp(t[i].err_what, "lpel_register_files")) {
				snprintf(r->errmsg, sizeof(r->errmsg),
					 "n/a: PEL's file ops are not available: lpel_register_files() on the %s backend: %s%s",
					 lpel_backend_name(lpel_backend(&t[i].pel)),
					 strerror(-ret),
					 ret == -EOPNOTSUPP ? " (no PEL_FEAT_REGISTERED_FILES)" : "");
				r->backend = lpel_backend(&t[i].pel);
				r->skipped = true;
				ret = 0;
			}
			if (e == E_PEL && w_is_blocks(c.w) &&
			    !strcmp(t[i].err_what, "PEL_FEAT_BLOCK_DIGESTS")) {
				snprintf(r->errmsg, sizeof(r->errmsg),
					 "n/a: PEL's per-block digests are not available on the %s backend (no PEL_FEAT_BLOCK_DIGESTS; PEL_OPF_BLOCKS gives -EINVAL)",
					 lpel_backend_name(lpel_backend(&t[i].pel)));
				r->backend = lpel_backend(&t[i].pel);
				r->skipped = true;
				ret = 0;
			}
			if (e == E_PEL && c.fixed && ret == -EOPNOTSUPP) {
				snprintf(r->errmsg, sizeof(r->errmsg),
					 pel_on_kernel() ? "n/a: module lacks registered buffers" :
					 "n/a: the user backend lacks registered buffers");
				r->skipped = true;
				ret = 0;
			}
			goto out_teardown;
		}
	}
	/* Where the rings run, as the library says; the kernel's figures only there. */
	if (e == E_PEL)
		r->backend = lpel_backend(&t[0].pel);
	kern = e == E_PEL && r->backend == LPEL_BACKEND_KERNEL;
	if (e == E_SPSC) {
		for (i = 0; i < c.threads; i++, spsc_started++) {
			ret = spsc_start(&t[i]);
			if (ret)
				break;
		}
		if (ret) {
			snprintf(r->errmsg, sizeof(r->errmsg),
				 "cannot start a ring consumer: %s", strerror(-ret));
			goto out_stop;
		}
	}

	pel_snapshot(s0);
	atomic_store(&phase, PH_WARMUP);
	for (i = 0; i < c.threads; i++, started++) {
		ret = start_thread(&t[i].tid, t[i].cpu, bench_thread, &t[i]);
		if (ret) {
			snprintf(r->errmsg, sizeof(r->errmsg),
				 "cannot start a thread: %s", strerror(-ret));
			atomic_store(&phase, PH_STOP);
			goto out_join;
		}
	}
	sleep_s(c.seconds < 5 * WARMUP_S ? c.seconds / 5 : WARMUP_S);
	getrusage(RUSAGE_SELF, &ru0);
	pel_kthreads_cpu(&s0->kthread_ns, &s0->nr_kthreads);
	if (kern)
		have_en = pel_own_enters(&en0, &he0);
	t0 = now_ticks();
	atomic_store(&phase, PH_RUN);
	sleep_s(c.seconds);
	for (i = 0; i < c.threads; ) {
		if (t[i].err || atomic_load_explicit(&t[i].counted,
				memory_order_relaxed) >= MIN_OPS) {
			i++;
			continue;
		}
		if (ticks_to_ns((double)(now_ticks() - t0)) / 1e9 >=
		    c.seconds + EXTEND_MAX_S)
			break;
		sleep_s(0.01);
	}
	atomic_store(&phase, PH_STOP);
	t1 = now_ticks();
	if (have_en)
		have_en = pel_own_enters(&en1, &he1);
	getrusage(RUSAGE_SELF, &ru1);
	pel_kthreads_cpu(&s1->kthread_ns, &s1->nr_kthreads);
	r->window_s = ticks_to_ns((double)(t1 - t0)) / 1e9;
	r->cpu_user_s = rusage_s(&ru1.ru_utime) - rusage_s(&ru0.ru_utime);
	r->cpu_sys_s = rusage_s(&ru1.ru_stime) - rusage_s(&ru0.ru_stime);
	r->kthread_cpu_s = (double)(s1->kthread_ns - s0->kthread_ns) / 1e9;
	if (e == E_PEL && !kern)
		r->kthread_cpu_s = NAN;		/* no pel/N threads serve it */

out_join:
	for (i = 0; i < started; i++)
		pthread_join(t[i].tid, NULL);
out_stop:
	for (i = 0; i < spsc_started; i++)
		spsc_stop(&t[i]);
	if (!ret) {
		uint64_t k = s1->kthread_ns;
		unsigned int nk = s1->nr_kthreads;

		pel_snapshot(s1);
		s1->kthread_ns = k;
		s1->nr_kthreads = nk;
	}
	for (i = 0; i < c.threads; i++) {
		r->th[i] = t[i].st;
		if (t[i].err && !ret) {
			ret = t[i].err;
			snprintf(r->errmsg, sizeof(r->errmsg), "thread %u: %s: %s",
				 i, t[i].err_what, strerror(-ret));
		}
	}
	if (!ret && kern && s0->ok && s1->ok) {
		r->have_workers = true;
		r->nr_workers = s1->nr < s0->nr ? s1->nr : s0->nr;
		for (i = 0; i < r->nr_workers; i++) {
			const struct pel_worker_stats *a = &s0->w[i], *b = &s1->w[i];

			r->w_ops[i] = b->ops - a->ops;
			r->w_busy_ns[i] = b->busy_ns - a->busy_ns;
			r->wakeups += b->wakeups - a->wakeups;
			r->sleeps += b->sleeps - a->sleeps;
			r->stolen += b->stolen - a->stolen;
			r->chunks += b->chunks - a->chunks;
		}
	}
	if (!ret && have_en) {
		r->have_enters = true;
		r->enters = en1 - en0;
		r->helped = he1 - he0;
		r->enters_s = r->window_s > 0 ? (double)r->enters / r->window_s : 0;
	}
	result_totals(r);
out_teardown:
	for (i = 0; i < c.threads; i++)
		tctx_teardown(&t[i]);
out:
	pool_stop(pool);
	free(t);
	free(s0);
	free(s1);
	r->err = ret;
	return ret;
}

