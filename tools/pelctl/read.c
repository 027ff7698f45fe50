// SPDX-License-Identifier: GPL-2.0
/*
 * pelctl: reading the module into a struct pel_status (liblpel's stats
 * API, lpel_info(3) and the rest, on one descriptor of /dev/pel per look),
 * and the names and derived numbers the printers share.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lpel.h"
#include "pelctl.h"


/*
 * lpel_stats_open(): /dev/pel read-only, as the stats need no write
 * access.  Returns the fd, or -1 (with errno) after saying why unless quiet.
 */
int open_pel(bool quiet)
{
	int fd, err;

	fd = lpel_stats_open();
	if (fd >= 0)
		return fd;
	err = -fd;
	if (quiet) {
		errno = err;
		return -1;
	}
	switch (err) {
	case ENOENT:
		p_err_absent("PEL module not loaded (%s missing): load it with 'modprobe pel' or 'insmod pel.ko'",
			     PEL_DEVICE_PATH);
		break;
	case ENXIO:
	case ENODEV:
		p_err_absent("PEL module not loaded (%s has no driver): load it with 'modprobe pel' or 'insmod pel.ko'",
			     PEL_DEVICE_PATH);
		break;
	case EACCES:
	case EPERM:
		p_err("permission denied opening %s: run as root, or join the group that owns it (see pelctl(8))",
		      PEL_DEVICE_PATH);
		break;
	default:
		p_err("cannot open %s: %s", PEL_DEVICE_PATH, errstr(err));
		break;
	}
	errno = err;
	return -1;
}

int get_info(int fd, struct pel_info *info, bool quiet)
{
	int ret = lpel_info(fd, info);

	if (!ret)
		return 0;
	errno = -ret;
	if (!quiet)
		p_err("PEL_IOC_INFO: %s", errstr(-ret));
	return -1;
}

void free_status(struct pel_status *st)
{
	unsigned int i;

	free(st->workers);
	free(st->ctxs);
	free(st->params);
	for (i = 0; i < st->nr_cgroups; i++)
		free(st->cgroups[i].path);
	free(st->cgroups);
	memset(st, 0, sizeof(*st));
}

bool has_stats(const struct pel_status *st)
{
	return st->info.features & PEL_FEAT_STATS;
}

static int get_workers(int fd, struct pel_status *st)
{
	unsigned int cpu, n = st->info.nr_workers;

	st->workers = calloc(n ? n : 1, sizeof(*st->workers));
	if (!st->workers) {
		p_err("out of memory");
		return -1;
	}
	for (cpu = 0; cpu < n; cpu++) {
		struct pel_worker_stats *w = &st->workers[st->nr_workers];

		int ret = lpel_worker_stats(fd, cpu, w);

		if (!ret) {
			st->nr_workers++;
			continue;
		}
		/* A CPU number with no worker slot (not possible): skip. */
		if (ret == -ENOENT)
			continue;
		p_err("PEL_IOC_WORKER_STATS for CPU %u: %s", cpu, errstr(-ret));
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
		int ret;

		if (st->nr_ctxs == cap) {
			unsigned int ncap = cap ? 2 * cap : 16;
			void *p = realloc(st->ctxs, ncap * sizeof(*st->ctxs));

			if (!p) {
				p_err("out of memory");
				return -1;
			}
			st->ctxs = p;
			cap = ncap;
		}
		c = &st->ctxs[st->nr_ctxs];
		ret = lpel_ctx_stats(fd, index, c);
		if (!ret) {
			st->nr_ctxs++;
			continue;
		}
		if (ret == -ENOENT)
			return 0;
		p_err("PEL_IOC_CTX_STATS for context %u: %s", index,
		      errstr(-ret));
		return -1;
	}
	return 0;
}

/* Per-opcode counters: only from a module that has them (PEL_FEAT_STATS). */
static int get_ops(int fd, struct pel_status *st)
{
	unsigned int op;

	if (!has_stats(st))
		return 0;
	for (op = 0; op < PEL_OP_SLOTS; op++) {
		struct pel_op_stats *s = &st->ops[st->nr_ops];
		int ret = lpel_op_stats(fd, op, s);

		if (!ret) {
			st->nr_ops++;
			continue;
		}
		if (ret == -ENOENT)
			return 0;
		p_err("PEL_IOC_OP_STATS for opcode %u: %s", op, errstr(-ret));
		return -1;
	}
	return 0;
}

/* Read a small file into buf, without the trailing newline; 0 or -errno. */
int read_small_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int filter_dots(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* One look at everything through fd; says why on failure. */
int read_status_fd(int fd, struct pel_status *st)
{
	memset(st, 0, sizeof(*st));
	st->when_ns = now_ns();
	if (get_info(fd, &st->info, false) || get_workers(fd, st) ||
	    get_contexts(fd, st) || get_ops(fd, st) || get_params(st)) {
		free_status(st);
		return -1;
	}
	return 0;
}

/* The same with /dev/pel opened for it, and closed again. */
int read_status(struct pel_status *st)
{
	int fd, ret;

	memset(st, 0, sizeof(*st));
	fd = open_pel(false);
	if (fd < 0)
		return -1;
	ret = read_status_fd(fd, st);
	close(fd);
	return ret;
}

void warn_abi(const struct pel_status *st)
{
	if (st->info.abi_version != PEL_ABI_VERSION && !json_output)
		fprintf(stderr,
			"%s: warning: the module speaks ABI %u, pelctl was built for ABI %u\n",
			prog, st->info.abi_version, PEL_ABI_VERSION);
}

/* ------------------------------------------------------------------------
 * Names.
 */
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
	"stats",	/* PEL_FEAT_STATS */
	"registered_buffers",	/* PEL_FEAT_REGISTERED_BUFFERS */
	"wait_helps",	/* PEL_FEAT_WAIT_HELPS */
	"registered_files",	/* PEL_FEAT_REGISTERED_FILES */
	"block_digests",	/* PEL_FEAT_BLOCK_DIGESTS */
};

const char *feature_name(unsigned int bit, char *buf, size_t len)
{
	if (bit < ARRAY_SIZE(feature_names))
		return feature_names[bit];
	snprintf(buf, len, "bit%u", bit);
	return buf;
}

/* As the module names them (pel_op_stats.name); for a module without it. */
static const char *const op_names[] = {
	[PEL_OP_NOP]		 = "nop",
	[PEL_OP_COPY]		 = "copy",
	[PEL_OP_FILL]		 = "fill",
	[PEL_OP_COMPARE]	 = "compare",
	[PEL_OP_COMPARE_PATTERN] = "compare_pattern",
	[PEL_OP_CRC32C]		 = "crc32c",
	[PEL_OP_COPY_CRC32C]	 = "copy_crc32c",
	[PEL_OP_DUALCAST]	 = "dualcast",
	[PEL_OP_XOR]		 = "xor",
	[PEL_OP_SHA256]		 = "sha256",
	[PEL_OP_CANCEL]		 = "cancel",
};

const char *op_name(const struct pel_status *st, unsigned int op,
		    char *buf, size_t len)
{
	if (op < st->nr_ops && st->ops[op].name[0]) {
		snprintf(buf, len, "%.*s", (int)sizeof(st->ops[op].name),
			 st->ops[op].name);
		return buf;
	}
	if (op < ARRAY_SIZE(op_names) && op_names[op])
		return op_names[op];
	snprintf(buf, len, "op%u", op);
	return buf;
}

/* Opcodes a context's ops[] is shown for: those the module knows, at least. */
unsigned int nr_op_names(const struct pel_status *st)
{
	return st->nr_ops ? st->nr_ops : ARRAY_SIZE(op_names);
}

/* pel_ctx_stats.errors slots: text (errno) names and JSON keys. */
const char *const err_names[PEL_ERR_SLOTS] = {
	[PEL_ERR_EINVAL]	= "EINVAL",
	[PEL_ERR_EFAULT]	= "EFAULT",
	[PEL_ERR_ECANCELED]	= "ECANCELED",
	[PEL_ERR_ETIME]		= "ETIME",
	[PEL_ERR_EALREADY]	= "EALREADY",
	[PEL_ERR_ENOENT]	= "ENOENT",
	[PEL_ERR_ESRCH]		= "ESRCH",
	[PEL_ERR_OTHER]		= "other",
};

const char *const err_keys[PEL_ERR_SLOTS] = {
	[PEL_ERR_EINVAL]	= "einval",
	[PEL_ERR_EFAULT]	= "efault",
	[PEL_ERR_ECANCELED]	= "ecanceled",
	[PEL_ERR_ETIME]		= "etime",
	[PEL_ERR_EALREADY]	= "ealready",
	[PEL_ERR_ENOENT]	= "enoent",
	[PEL_ERR_ESRCH]		= "esrch",
	[PEL_ERR_OTHER]		= "other",
};

const char *worker_state_name(unsigned int state)
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

/* ------------------------------------------------------------------------
 * Derived numbers.
 */
uint64_t ctx_errors(const struct pel_ctx_stats *c)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < PEL_ERR_SLOTS; i++)
		n += c->errors[i];
	return n;
}

/*
 * A module without PEL_FEAT_STATS has no inflight field: then the two
 * counters (not read atomically together) give it.
 */
uint64_t ctx_inflight(const struct pel_status *st,
		      const struct pel_ctx_stats *c)
{
	if (has_stats(st))
		return c->inflight;
	return c->submitted > c->completed ? c->submitted - c->completed : 0;
}

/*
 * The upper bound in ns of the latency bucket where the cumulative count
 * reaches pct percent of the histogram's total: bucket i holds
 * [2^i, 2^(i+1)) ns, so 2^(i+1).  The last bucket also holds everything
 * longer; its bound, 2^32 ns, then means "at least 2^31 ns".  0: no samples.
 */
uint64_t lat_percentile(const struct pel_op_stats *s, unsigned int pct)
{
	uint64_t total = 0, target, cum = 0;
	unsigned int i;

	for (i = 0; i < PEL_LAT_BUCKETS; i++)
		total += s->latency[i];
	if (!total)
		return 0;
	/* ceil(total * pct / 100) without overflow */
	target = total / 100 * pct + ((total % 100) * pct + 99) / 100;
	for (i = 0; i < PEL_LAT_BUCKETS - 1; i++) {
		cum += s->latency[i];
		if (cum >= target)
			break;
	}
	return 1ULL << (i + 1);
}

/* 1536 -> "1.5K"; keeps byte columns narrow and readable. */
const char *human_bytes(uint64_t n, char *buf, size_t len)
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

/* 1536 -> "1.54us", 2^32 (the open-ended last bucket) -> ">2.15s". */
const char *human_ns(uint64_t ns, char *buf, size_t len)
{
	static const struct {
		double div;
		const char *unit;
	} units[] = { { 1, "ns" }, { 1e3, "us" }, { 1e6, "ms" }, { 1e9, "s" } };
	const char *prefix = "";
	unsigned int u = 0;
	double v;

	if (!ns) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (ns >= 1ULL << PEL_LAT_BUCKETS) {
		ns = 1ULL << (PEL_LAT_BUCKETS - 1);
		prefix = ">";
	}
	while (u + 1 < ARRAY_SIZE(units) && ns >= units[u + 1].div)
		u++;
	v = ns / units[u].div;
	if (u == 0)
		snprintf(buf, len, "%s%" PRIu64 "ns", prefix, ns);
	else
		snprintf(buf, len, v < 10 ? "%s%.2f%s" : v < 100 ? "%s%.1f%s" :
			 "%s%.0f%s", prefix, v, units[u].unit);
	return buf;
}

