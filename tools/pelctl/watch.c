// SPDX-License-Identifier: GPL-2.0
/*
 * pelctl watch: the difference of two looks, per second.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pelctl.h"
static volatile sig_atomic_t stop_watch;

static void on_signal(int sig)
{
	(void)sig;
	stop_watch = 1;
}

static uint64_t delta(uint64_t cur, uint64_t prev)
{
	/* a reloaded module starts again from zero */
	return cur >= prev ? cur - prev : cur;
}

static const struct pel_worker_stats *
find_worker(const struct pel_status *st, unsigned int cpu)
{
	unsigned int i;

	for (i = 0; i < st->nr_workers; i++)
		if (st->workers[i].cpu == cpu)
			return &st->workers[i];
	return NULL;
}

/*
 * The previous look at the context cur[i]: contexts have no id, so the
 * k-th context of a pid now is taken to be the k-th one of that pid before
 * (a context set up meanwhile counts from zero).
 */
static const struct pel_ctx_stats *
find_ctx(const struct pel_status *prev, const struct pel_status *cur,
	 unsigned int i)
{
	unsigned int j, k = 0;

	for (j = 0; j < i; j++)
		k += cur->ctxs[j].pid == cur->ctxs[i].pid;
	for (j = 0; j < prev->nr_ctxs; j++) {
		const struct pel_ctx_stats *p = &prev->ctxs[j];

		if (p->pid != cur->ctxs[i].pid)
			continue;
		if (!k--)
			return p->nr_queues == cur->ctxs[i].nr_queues &&
			       !strncmp(p->comm, cur->ctxs[i].comm,
					sizeof(p->comm)) ? p : NULL;
	}
	return NULL;
}

static double per_s(uint64_t n, double secs)
{
	return secs > 0 ? n / secs : 0;
}

static double mib_per_s(uint64_t bytes, double secs)
{
	return per_s(bytes, secs) / (1024.0 * 1024.0);
}

static void watch_text(const struct pel_status *prev,
		       const struct pel_status *cur, double secs, bool tty)
{
	uint64_t tops = 0, tbytes = 0, tinflight = 0;
	char name[32], comm[17];
	unsigned int i, j, shown = 0;
	struct timespec ts;
	struct tm tm;

	for (i = 0; i < cur->nr_ctxs; i++)
		tinflight += ctx_inflight(cur, &cur->ctxs[i]);
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	if (tty)
		fputs("\033[H\033[2J", stdout);
	printf("time %02d:%02d:%02d.%03ld  interval %.3f s  workers %u  contexts %u  in flight %" PRIu64 "\n",
	       tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, secs,
	       cur->nr_workers, cur->nr_ctxs, tinflight);

	printf("%5s %4s  %-8s %12s %10s %7s\n", "CPU", "NODE", "STATE",
	       "OPS/s", "MiB/s", "BUSY %");
	for (i = 0; i < cur->nr_workers; i++) {
		const struct pel_worker_stats *w = &cur->workers[i];
		const struct pel_worker_stats *p = find_worker(prev, w->cpu);
		uint64_t ops = delta(w->ops, p ? p->ops : 0);
		uint64_t bytes = delta(w->bytes, p ? p->bytes : 0);
		uint64_t busy = delta(w->busy_ns, p ? p->busy_ns : 0);

		tops += ops;
		tbytes += bytes;
		printf("%5u %4u  %-8s %12.0f %10.1f %7.1f\n", w->cpu, w->node,
		       worker_state_name(w->state), per_s(ops, secs),
		       mib_per_s(bytes, secs),
		       secs > 0 ? busy / (secs * 1e7) : 0.0);
	}
	printf("%5s %4s  %-8s %12.0f %10.1f\n", "total", "", "",
	       per_s(tops, secs), mib_per_s(tbytes, secs));

	if (has_stats(cur)) {
		printf("%-16s %12s %10s %10s\n", "OP", "OPS/s", "MiB/s",
		       "ERRORS/s");
		for (i = 0; i < cur->nr_ops; i++) {
			const struct pel_op_stats *s = &cur->ops[i];
			const struct pel_op_stats *p = i < prev->nr_ops ?
						       &prev->ops[i] : NULL;
			uint64_t n = delta(s->count, p ? p->count : 0);

			if (!n)
				continue;
			printf("%-16s %12.0f %10.1f %10.0f\n",
			       op_name(cur, i, name, sizeof(name)),
			       per_s(n, secs),
			       mib_per_s(delta(s->bytes, p ? p->bytes : 0), secs),
			       per_s(delta(s->errors, p ? p->errors : 0), secs));
			shown++;
		}
		if (!shown)
			printf("(no ops completed)\n");
	}

	if (cur->nr_ctxs)
		printf("%7s  %-16s %9s %12s %10s\n", "PID", "COMM", "IN FLIGHT",
		       "OPS/s", "MiB/s");
	for (i = 0; i < cur->nr_ctxs; i++) {
		const struct pel_ctx_stats *c = &cur->ctxs[i];
		const struct pel_ctx_stats *p = find_ctx(prev, cur, i);

		for (j = 0; j < sizeof(c->comm) && c->comm[j]; j++)
			comm[j] = isprint((unsigned char)c->comm[j]) ?
				  c->comm[j] : '?';
		comm[j] = '\0';
		printf("%7d  %-16s %9" PRIu64 " %12.0f %10.1f\n", c->pid, comm,
		       ctx_inflight(cur, c),
		       per_s(delta(c->completed, p ? p->completed : 0), secs),
		       mib_per_s(delta(c->bytes, p ? p->bytes : 0), secs));
	}
	if (!tty)
		printf("\n");
	fflush(stdout);
}

static void watch_json(const struct pel_status *prev,
		       const struct pel_status *cur, double secs)
{
	uint64_t tops = 0, tbytes = 0, tinflight = 0;
	struct timespec ts;
	unsigned int i;
	char name[32];
	struct json_writer jw;

	clock_gettime(CLOCK_REALTIME, &ts);
	jsonw_init(&jw, stdout, pretty_output);
	jsonw_start_object(&jw);
	jsonw_double_field(&jw, "time", ts.tv_sec + ts.tv_nsec / 1e9);
	jsonw_double_field(&jw, "interval_s", secs);
	jsonw_array_field(&jw, "workers");
	for (i = 0; i < cur->nr_workers; i++) {
		const struct pel_worker_stats *w = &cur->workers[i];
		const struct pel_worker_stats *p = find_worker(prev, w->cpu);
		uint64_t ops = delta(w->ops, p ? p->ops : 0);
		uint64_t bytes = delta(w->bytes, p ? p->bytes : 0);
		uint64_t busy = delta(w->busy_ns, p ? p->busy_ns : 0);

		tops += ops;
		tbytes += bytes;
		jsonw_start_object(&jw);
		jsonw_uint_field(&jw, "cpu", w->cpu);
		jsonw_uint_field(&jw, "node", w->node);
		jsonw_string_field(&jw, "state", worker_state_name(w->state));
		jsonw_double_field(&jw, "ops_per_s", per_s(ops, secs));
		jsonw_double_field(&jw, "mib_per_s", mib_per_s(bytes, secs));
		jsonw_double_field(&jw, "busy_pct", secs > 0 ? busy / (secs * 1e7) : 0);
		jsonw_end_object(&jw);
	}
	jsonw_end_array(&jw);
	jsonw_array_field(&jw, "ops");
	for (i = 0; i < cur->nr_ops; i++) {
		const struct pel_op_stats *s = &cur->ops[i];
		const struct pel_op_stats *p = i < prev->nr_ops ? &prev->ops[i] :
					       NULL;

		jsonw_start_object(&jw);
		jsonw_uint_field(&jw, "opcode", i);
		jsonw_string_field(&jw, "name", op_name(cur, i, name, sizeof(name)));
		jsonw_double_field(&jw, "ops_per_s",
			  per_s(delta(s->count, p ? p->count : 0), secs));
		jsonw_double_field(&jw, "mib_per_s",
			  mib_per_s(delta(s->bytes, p ? p->bytes : 0), secs));
		jsonw_double_field(&jw, "errors_per_s",
			  per_s(delta(s->errors, p ? p->errors : 0), secs));
		jsonw_end_object(&jw);
	}
	jsonw_end_array(&jw);
	jsonw_array_field(&jw, "contexts");
	for (i = 0; i < cur->nr_ctxs; i++) {
		const struct pel_ctx_stats *c = &cur->ctxs[i];
		const struct pel_ctx_stats *p = find_ctx(prev, cur, i);

		tinflight += ctx_inflight(cur, c);
		jsonw_start_object(&jw);
		jsonw_int_field(&jw, "pid", c->pid);
		jsonw_string_n_field(&jw, "comm", c->comm, sizeof(c->comm));
		jsonw_uint_field(&jw, "inflight", ctx_inflight(cur, c));
		jsonw_double_field(&jw, "ops_per_s",
			  per_s(delta(c->completed, p ? p->completed : 0), secs));
		jsonw_double_field(&jw, "mib_per_s",
			  mib_per_s(delta(c->bytes, p ? p->bytes : 0), secs));
		jsonw_end_object(&jw);
	}
	jsonw_end_array(&jw);
	jsonw_object_field(&jw, "totals");
	jsonw_double_field(&jw, "ops_per_s", per_s(tops, secs));
	jsonw_double_field(&jw, "mib_per_s", mib_per_s(tbytes, secs));
	jsonw_uint_field(&jw, "inflight", tinflight);
	jsonw_end_object(&jw);
	jsonw_end_object(&jw);
	fflush(stdout);
}

static bool parse_interval(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0.01 && v <= 86400))
		return false;
	*out = v;
	return true;
}

static bool parse_count(const char *s, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !v)
		return false;
	*out = v;
	return true;
}

/*
 * The device is opened anew for each look: a watch left running does not
 * keep the module from being unloaded (it then stops with an error).
 */
int do_watch(int argc, char **argv)
{
	struct pel_status prev, cur;
	unsigned long count = 0, done = 0;
	double interval = 1.0;
	struct sigaction sa;
	struct timespec next;
	bool tty;
	int i;

	/* -i and -n, which main() took with the other options */
	if (watch_interval_arg && !parse_interval(watch_interval_arg, &interval))
		return usage_err("watch: bad interval '%s': seconds from 0.01 to 86400",
				 watch_interval_arg);
	if (watch_count_arg && !parse_count(watch_count_arg, &count))
		return usage_err("watch: bad count '%s': a whole number from 1",
				 watch_count_arg);
	/* the keywords, and the options given after a "--" */
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-i") || !strcmp(a, "--interval") ||
		    !strcmp(a, "interval")) {
			if (++i == argc)
				return usage_err("watch: %s needs SECONDS", a);
			if (!parse_interval(argv[i], &interval))
				return usage_err("watch: bad interval '%s': seconds from 0.01 to 86400",
						 argv[i]);
		} else if (!strcmp(a, "-n") || !strcmp(a, "--count") ||
			   !strcmp(a, "count")) {
			if (++i == argc)
				return usage_err("watch: %s needs COUNT", a);
			if (!parse_count(argv[i], &count))
				return usage_err("watch: bad count '%s': a whole number from 1",
						 argv[i]);
		} else {
			return usage_err("watch: unexpected argument '%s'", a);
		}
	}
	tty = !json_output && isatty(STDOUT_FILENO);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: the sleep returns at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (read_status(&prev))
		return EXIT_FAILURE;
	warn_abi(&prev);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!stop_watch && (!count || done < count)) {
		uint64_t ns = (uint64_t)(interval * 1e9);

		next.tv_sec += ns / 1000000000ULL;
		next.tv_nsec += ns % 1000000000ULL;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		while (!stop_watch &&
		       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
				       NULL) == EINTR)
			;
		if (stop_watch)
			break;
		if (read_status(&cur)) {
			free_status(&prev);
			return EXIT_FAILURE;
		}
		if (json_output)
			watch_json(&prev, &cur, (cur.when_ns - prev.when_ns) / 1e9);
		else
			watch_text(&prev, &cur, (cur.when_ns - prev.when_ns) / 1e9,
				   tty);
		free_status(&prev);
		prev = cur;
		done++;
	}
	free_status(&prev);
	return EXIT_SUCCESS;
}

