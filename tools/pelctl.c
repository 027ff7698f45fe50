// SPDX-License-Identifier: GPL-2.0
/*
 * pelctl - look at and control PEL, the Parallel Execution Layer.
 *
 *	pelctl [OPTIONS] OBJECT COMMAND
 *
 * bpftool's grammar: main() strips the options and hands the rest to a
 * command table; an object (say "worker") will be a command whose handler
 * selects from a table of its own.  Each command gathers what it shows into
 * plain structs first and prints them second, so that a JSON printer (-j)
 * can later sit next to the text one.
 *
 * Exit status: 0 success, 1 failure, 2 bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "pel.h"

#ifndef PELCTL_VERSION
#define PELCTL_VERSION		"1.0.0"
#endif

#define EXIT_USAGE		2

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/* A module that never says -ENOENT must not make us loop forever. */
#define MAX_CONTEXTS		(1U << 20)

static const char *prog = "pelctl";

struct cmd {
	const char *name;
	int (*func)(int argc, char **argv);
	const char *summary;
};

static int do_status(int argc, char **argv);
static int do_version(int argc, char **argv);
static int do_help(int argc, char **argv);

static const struct cmd main_cmds[] = {
	{ "status",	do_status,	"module, workers, contexts" },
	{ "version",	do_version,	"pelctl and module versions" },
	{ "help",	do_help,	"this text" },
	{ 0 }
};

static void usage(FILE *out)
{
	const struct cmd *c;

	fprintf(out,
		"Usage: %s [OPTIONS] OBJECT COMMAND\n"
		"       %s [OPTIONS] COMMAND\n"
		"\n"
		"Commands:\n", prog, prog);
	for (c = main_cmds; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out,
		"\n"
		"Options:\n"
		"  -h, --help     this text\n"
		"  -V, --version  same as 'version'\n");
}

/*
 * Run the command argv[0] names: an exact name, or a prefix of exactly one
 * (as bpftool allows "pelctl st").
 */
static int cmd_select(const struct cmd *cmds, int argc, char **argv)
{
	const struct cmd *c, *found = NULL;
	size_t len = strlen(argv[0]);
	int matches = 0;

	for (c = cmds; c->name; c++) {
		if (!strcmp(c->name, argv[0]))
			return c->func(argc - 1, argv + 1);
		if (len && !strncmp(c->name, argv[0], len)) {
			found = c;
			matches++;
		}
	}
	if (matches == 1)
		return found->func(argc - 1, argv + 1);
	if (matches > 1)
		fprintf(stderr, "%s: ambiguous command '%s'\n", prog, argv[0]);
	else
		fprintf(stderr, "%s: unknown object or command '%s'\n", prog,
			argv[0]);
	usage(stderr);
	return EXIT_USAGE;
}

static bool no_more_args(const char *cmd, int argc, char **argv)
{
	if (!argc)
		return true;
	fprintf(stderr, "%s %s: unexpected argument '%s'\n", prog, cmd,
		argv[0]);
	usage(stderr);
	return false;
}

/*
 * Stats need no write access: a user who may only read /dev/pel still gets
 * them.  Returns the fd, or -1 after saying why.
 */
static int open_pel(bool quiet)
{
	int fd;

	fd = open(PEL_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0 && (errno == EACCES || errno == EPERM))
		fd = open(PEL_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 || quiet)
		return fd;

	switch (errno) {
	case ENOENT:
		fprintf(stderr,
			"%s: PEL module not loaded (%s missing): load it with 'insmod pel.ko' or 'modprobe pel'\n",
			prog, PEL_DEVICE_PATH);
		break;
	case ENXIO:
	case ENODEV:
		fprintf(stderr,
			"%s: PEL module not loaded (%s has no driver): load it with 'insmod pel.ko' or 'modprobe pel'\n",
			prog, PEL_DEVICE_PATH);
		break;
	case EACCES:
	case EPERM:
		fprintf(stderr,
			"%s: you lack permission to open %s: run as root, or ask for access to the device\n",
			prog, PEL_DEVICE_PATH);
		break;
	default:
		fprintf(stderr, "%s: cannot open %s: %s\n", prog,
			PEL_DEVICE_PATH, strerror(errno));
		break;
	}
	return -1;
}

static int get_info(int fd, struct pel_info *info, bool quiet)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	if (!ioctl(fd, PEL_IOC_INFO, info))
		return 0;
	if (!quiet)
		fprintf(stderr, "%s: PEL_IOC_INFO: %s\n", prog,
			strerror(errno));
	return -1;
}

/* Everything 'status' shows, read before any of it is printed. */
struct pel_status {
	struct pel_info info;
	struct pel_worker_stats *workers;
	unsigned int nr_workers;
	struct pel_ctx_stats *ctxs;
	unsigned int nr_ctxs;
};

static void free_status(struct pel_status *st)
{
	free(st->workers);
	free(st->ctxs);
}

static int get_workers(int fd, struct pel_status *st)
{
	unsigned int cpu, n = st->info.nr_workers;

	st->workers = calloc(n ? n : 1, sizeof(*st->workers));
	if (!st->workers) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return -1;
	}
	for (cpu = 0; cpu < n; cpu++) {
		struct pel_worker_stats *w = &st->workers[st->nr_workers];

		memset(w, 0, sizeof(*w));
		w->size = sizeof(*w);
		w->cpu = cpu;
		if (!ioctl(fd, PEL_IOC_WORKER_STATS, w)) {
			st->nr_workers++;
			continue;
		}
		/* A CPU number with no worker slot (not possible): skip. */
		if (errno == ENOENT || errno == EINVAL)
			continue;
		fprintf(stderr, "%s: PEL_IOC_WORKER_STATS for CPU %u: %s\n",
			prog, cpu, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Contexts come and go while we list them: the list is a snapshot that may
 * miss or repeat a context that closed meanwhile, good enough for a status.
 */
static int get_contexts(int fd, struct pel_status *st)
{
	unsigned int cap = 0, index;

	for (index = 0; index < MAX_CONTEXTS; index++) {
		struct pel_ctx_stats *c;

		if (st->nr_ctxs == cap) {
			unsigned int ncap = cap ? 2 * cap : 16;
			void *p = realloc(st->ctxs, ncap * sizeof(*st->ctxs));

			if (!p) {
				fprintf(stderr, "%s: out of memory\n", prog);
				return -1;
			}
			st->ctxs = p;
			cap = ncap;
		}
		c = &st->ctxs[st->nr_ctxs];
		memset(c, 0, sizeof(*c));
		c->size = sizeof(*c);
		c->index = index;
		if (!ioctl(fd, PEL_IOC_CTX_STATS, c)) {
			st->nr_ctxs++;
			continue;
		}
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "%s: PEL_IOC_CTX_STATS for context %u: %s\n",
			prog, index, strerror(errno));
		return -1;
	}
	return 0;
}

static const char *const feature_names[] = {
	"nop",		/* PEL_FEAT_OP_NOP */
	"copy",		/* PEL_FEAT_OP_COPY */
	"wait",		/* PEL_FEAT_WAIT */
	"idle_us",	/* PEL_FEAT_IDLE_US */
	"fill",		/* PEL_FEAT_OP_FILL */
	"compare",	/* PEL_FEAT_OP_COMPARE */
	"crc32c",	/* PEL_FEAT_OP_CRC32C */
	"dualcast",	/* PEL_FEAT_OP_DUALCAST */
	"xor",		/* PEL_FEAT_OP_XOR */
	"sha256",	/* PEL_FEAT_OP_SHA256 */
	"cancel",	/* PEL_FEAT_OP_CANCEL */
	"link_drain",	/* PEL_FEAT_ORDERING */
	"deadline",	/* PEL_FEAT_DEADLINE */
	"parallel",	/* PEL_FEAT_PARALLEL */
	"max_inflight",	/* PEL_FEAT_MAX_INFLIGHT */
};

static void print_features(uint64_t features)
{
	unsigned int bit;
	const char *sep = "";

	for (bit = 0; bit < 64; bit++) {
		if (!(features & (1ULL << bit)))
			continue;
		if (bit < ARRAY_SIZE(feature_names))
			printf("%s%s", sep, feature_names[bit]);
		else
			printf("%sbit%u", sep, bit);
		sep = " ";
	}
	printf("%s\n", *sep ? "" : "none");
}

static const char *worker_state_name(unsigned int state)
{
	switch (state) {
	case PEL_WORKER_OFFLINE:
		return "offline";
	case PEL_WORKER_SLEEPING:
		return "sleeping";
	case PEL_WORKER_POLLING:
		return "polling";
	case PEL_WORKER_RUNNING:
		return "running";
	}
	return "unknown";
}

/* 1536 -> "1.5K"; keeps byte columns narrow and readable. */
static const char *human_bytes(uint64_t n, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	double v = (double)n;
	int u = -1;

	if (n < 1024) {
		snprintf(buf, len, "%" PRIu64, n);
		return buf;
	}
	while (v >= 1024 && u < (int)sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f%c", v, units[u]);
	return buf;
}

static void print_module(const struct pel_status *st)
{
	const struct pel_info *info = &st->info;

	printf("module      pel %.*s, ABI %u\n", (int)sizeof(info->version),
	       info->version, info->abi_version);
	printf("features    ");
	print_features(info->features);
	printf("idle_us     %u\n", info->idle_us);
	printf("batch       %u\n", info->batch);
	printf("split_bytes %u\n", info->split_bytes);
	printf("max_inflight %u\n", info->max_inflight);
	printf("workers     %u\n", st->nr_workers);
	printf("contexts    %u\n", st->nr_ctxs);
}

static void print_workers(const struct pel_status *st)
{
	uint64_t ops = 0, bytes = 0, wakeups = 0, sleeps = 0, busy_ns = 0;
	uint64_t stolen = 0, chunks = 0;
	unsigned int i, queues = 0;
	char buf[32];

	printf("\n%5s %4s  %-8s %6s %14s %9s %10s %10s %8s %8s %11s\n", "CPU",
	       "NODE", "STATE", "QUEUES", "OPS", "BYTES", "WAKEUPS", "SLEEPS",
	       "STOLEN", "CHUNKS", "BUSY ms");
	for (i = 0; i < st->nr_workers; i++) {
		const struct pel_worker_stats *w = &st->workers[i];

		printf("%5u %4u  %-8s %6u %14" PRIu64 " %9s %10" PRIu64
		       " %10" PRIu64 " %8" PRIu64 " %8" PRIu64 " %11.1f\n",
		       w->cpu, w->node, worker_state_name(w->state), w->nr_queues,
		       (uint64_t)w->ops,
		       human_bytes(w->bytes, buf, sizeof(buf)),
		       (uint64_t)w->wakeups, (uint64_t)w->sleeps,
		       (uint64_t)w->stolen, (uint64_t)w->chunks,
		       w->busy_ns / 1e6);
		queues += w->nr_queues;
		ops += w->ops;
		bytes += w->bytes;
		wakeups += w->wakeups;
		sleeps += w->sleeps;
		stolen += w->stolen;
		chunks += w->chunks;
		busy_ns += w->busy_ns;
	}
	printf("%5s %4s  %-8s %6u %14" PRIu64 " %9s %10" PRIu64 " %10" PRIu64
	       " %8" PRIu64 " %8" PRIu64 " %11.1f\n",
	       "total", "", "", queues, ops,
	       human_bytes(bytes, buf, sizeof(buf)), wakeups, sleeps,
	       stolen, chunks, busy_ns / 1e6);
}

static void print_contexts(const struct pel_status *st)
{
	uint64_t submitted = 0, completed = 0, in_flight = 0;
	unsigned int i, queues = 0;
	char buf[32];

	if (!st->nr_ctxs) {
		printf("\nno contexts set up\n");
		return;
	}
	printf("\n%7s  %-16s %6s %11s %14s %14s %10s\n", "PID", "COMM",
	       "QUEUES", "SQ/CQ", "SUBMITTED", "COMPLETED", "IN FLIGHT");
	for (i = 0; i < st->nr_ctxs; i++) {
		const struct pel_ctx_stats *c = &st->ctxs[i];
		/* The two counters are not read atomically together. */
		uint64_t busy = c->submitted > c->completed ?
				c->submitted - c->completed : 0;

		snprintf(buf, sizeof(buf), "%u/%u", c->sq_entries,
			 c->cq_entries);
		printf("%7d  %-16.*s %6u %11s %14" PRIu64 " %14" PRIu64
		       " %10" PRIu64 "\n",
		       c->pid, (int)sizeof(c->comm), c->comm, c->nr_queues,
		       buf, (uint64_t)c->submitted, (uint64_t)c->completed,
		       busy);
		queues += c->nr_queues;
		submitted += c->submitted;
		completed += c->completed;
		in_flight += busy;
	}
	printf("%7s  %-16s %6u %11s %14" PRIu64 " %14" PRIu64 " %10" PRIu64
	       "\n",
	       "total", "", queues, "", submitted, completed,
	       in_flight);
}

static int do_status(int argc, char **argv)
{
	struct pel_status st = { 0 };
	int fd, ret = EXIT_FAILURE;

	if (!no_more_args("status", argc, argv))
		return EXIT_USAGE;
	fd = open_pel(false);
	if (fd < 0)
		return EXIT_FAILURE;
	if (get_info(fd, &st.info, false) || get_workers(fd, &st) ||
	    get_contexts(fd, &st))
		goto out;

	if (st.info.abi_version != PEL_ABI_VERSION)
		fprintf(stderr,
			"%s: warning: the module speaks ABI %u, pelctl was built for ABI %u\n",
			prog, st.info.abi_version, PEL_ABI_VERSION);
	print_module(&st);
	print_workers(&st);
	print_contexts(&st);
	ret = EXIT_SUCCESS;
out:
	free_status(&st);
	close(fd);
	return ret;
}

/* Works without the module too: it then says so and succeeds. */
static int do_version(int argc, char **argv)
{
	struct pel_info info;
	int fd;

	if (!no_more_args("version", argc, argv))
		return EXIT_USAGE;
	printf("pelctl %s, ABI %u\n", PELCTL_VERSION, PEL_ABI_VERSION);
	fd = open_pel(true);
	if (fd < 0) {
		printf("module not loaded\n");
		return EXIT_SUCCESS;
	}
	if (!get_info(fd, &info, true))
		printf("module pel %.*s, ABI %u\n", (int)sizeof(info.version),
		       info.version, info.abi_version);
	else
		printf("module: %s\n", strerror(errno));
	close(fd);
	return EXIT_SUCCESS;
}

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help",	no_argument,	NULL, 'h' },
		{ "version",	no_argument,	NULL, 'V' },
		{ 0 }
	};
	int opt;

	/* '+': options end at OBJECT; what follows belongs to the command. */
	while ((opt = getopt_long(argc, argv, "+hV", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			return do_help(0, NULL);
		case 'V':
			return do_version(0, NULL);
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return cmd_select(main_cmds, argc, argv);
}
