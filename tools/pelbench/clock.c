// SPDX-License-Identifier: GPL-2.0
/*
 * pelbench: time, the TSC where there is one, calibrated once, and the
 * latency histogram.
 */
#include "pelbench.h"

/* ------------------------------------------------------------------------
 * Time: the TSC where there is one, calibrated once.
 */
bool use_tsc;
double ns_per_tick = 1.0;

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

void sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static double tsc_rate(double s)
{
#if HAVE_TSC
	uint64_t t0 = mono_ns(), r0 = __rdtsc(), t1, r1;

	sleep_s(s);
	t1 = mono_ns();
	r1 = __rdtsc();
	return (double)(r1 - r0) / (double)(t1 - t0);
#else
	(void)s;
	return 0;
#endif
}

/*
 * Two calibrations that agree within 2% make the TSC our clock; otherwise
 * (no TSC, or one that drifts) clock_gettime().
 */
void clock_init(void)
{
	double a = tsc_rate(0.03), b = tsc_rate(0.03);

	if (a > 0.01 && b > 0.01 && fabs(a - b) / a < 0.02) {
		use_tsc = true;
		ns_per_tick = 2.0 / (a + b);
	}
}

double ticks_to_ns(double t)
{
	return t * ns_per_tick;
}


/* ------------------------------------------------------------------------
 * Latency histogram: log-linear, 32 sub-buckets per power of two (about
 * 3% resolution), in ticks.
 */
/* The middle of bucket @i. */
static double hist_value(unsigned int i)
{
	unsigned int shift;
	uint64_t low;

	if (i < HSUB)
		return i;
	shift = i / HSUB - 1;
	low = (uint64_t)(HSUB + i % HSUB) << shift;
	return (double)low + (double)((1ULL << shift) - 1) / 2.0;
}

/* The @p quantile (0..1) of the @n values in @h, in ticks. */
double hist_quantile(const struct hist *h, uint64_t n, double p)
{
	uint64_t want, seen = 0;
	unsigned int i;

	if (!n)
		return 0;
	want = (uint64_t)ceil(p * (double)n);
	if (want < 1)
		want = 1;
	for (i = 0; i < HBUCKETS; i++) {
		seen += h->b[i];
		if (seen >= want)
			return hist_value(i);
	}
	return hist_value(HBUCKETS - 1);
}

