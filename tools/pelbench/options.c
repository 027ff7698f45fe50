// SPDX-License-Identifier: GPL-2.0
/*
 * pelbench: the options: parsing and checking them, and -h.
 */
#include "pelbench.h"

/* -B: the baselines of the default mode. */
static unsigned int default_baselines(enum workload w)
{
	if (w == W_NOP)
		return 1U << E_URING | 1U << E_SQPOLL | 1U << E_SPSC;
	if (naive_names[w])
		return 1U << E_CPU | 1U << E_POOL | 1U << E_NAIVE;
	return 1U << E_CPU | 1U << E_POOL;
}

static int parse_baselines(const char *s, unsigned int *mask)
{
	char *dup = strdup(s), *tok, *save = NULL;
	unsigned int m = 0, e;

	if (!dup)
		return -ENOMEM;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "none"))
			continue;
		if (!strcmp(tok, "all")) {
			m |= (1U << E_NR) - 1;
			continue;
		}
		for (e = 0; e < E_NR; e++)
			if (!strcmp(tok, engine_names[e]) ||
			    (e == E_SQPOLL && !strcmp(tok, "sqpoll")) ||
			    (e == E_SPSC && !strcmp(tok, "ring")) ||
			    (e == E_POOL && !strcmp(tok, "pool")) ||
			    (e == E_NAIVE && !strcmp(tok, "naive")))
				break;
		if (e == E_NR) {
			free(dup);
			return -EINVAL;
		}
		m |= 1U << e;
	}
	free(dup);
	*mask = m;
	return 0;
}

static void usage(FILE *f)
{
	unsigned int i;

	fprintf(f,
		"Usage: %s [OPTIONS]          one workload, with baselines\n"
		"       %s -S [-t S] [-R N] [-J FILE] [-e user]\n"
		"                   [--subset=user-backend|file]\n"
		"                   the fixed suite: Markdown, and JSON to FILE\n"
		"\n"
		"  -w WORKLOAD  ", prog, prog);
	for (i = 0; i < W_NR; i++)
		fprintf(f, "%s%s", workload_names[i], i + 1 < W_NR ? ", " : " (default copy)\n");
	fprintf(f,
		"  -q DEPTH     ops in flight per thread (default 32)\n"
		"  -b BATCH     ops per submission, <= DEPTH (default DEPTH/4)\n"
		"  -o SIZE      bytes per op, K/M/G suffixes (default 4K)\n"
		"  -T THREADS   submitting threads (default 1)\n"
		"  -t SECONDS   measuring time per run (default 1; warm-up 0.2 s more)\n"
		"  -y           verify every result (slower: outputs are poisoned and checked)\n"
		"  -P MODE      poll: spin on the CQ a little, then block (the library's wait;\n"
		"               default); block: always block in the kernel\n"
		"  -x NSRCS     XOR sources, 1..%d (default 2)\n"
		"  -f PATH      file_*: the file to read; made -s bytes long, of pseudo-random\n"
		"               bytes, if it is absent or shorter (its first -s bytes are read)\n"
		"  -s TOTAL     file_*: bytes of the file the ops cover, K/M/G suffixes\n"
		"               (default 256M); ranges of -o bytes, the last one short\n"
		"  --block=SIZE *_blocks: a digest of every SIZE bytes of each op\n"
		"               (PEL_OPF_BLOCKS; default 1M, at least 512; the last short)\n"
		"  --cold       file_*, -q 1: drop the page cache (echo 3 >\n"
		"               /proc/sys/vm/drop_caches, root) before each op, untimed;\n"
		"               n/a where that cannot be done or the file is on tmpfs\n"
		"  --file-dir=DIR  -S: where the suite's file runs make their file\n"
		"               (pelbench-file-TOTAL; default $PEL_BENCH_FILE_DIR, else /tmp;\n"
		"               -f PATH names the file itself, -s its size, default 256M)\n"
		"  -F, --fixed  PEL: register the buffers (PEL_IOC_REGISTER_BUFFERS) and\n"
		"               set PEL_SQE_FIXED on every SQE; needs the module's\n"
		"               PEL_FEAT_REGISTERED_BUFFERS (else the run is n/a)\n"
		"  -e ENGINE    what -w runs on (default pel): kernel or pel: PEL on pel.ko;\n"
		"               user: PEL on liblpel's user backend (LPEL_BACKEND_USER;\n"
		"               the kernel-only figures, ENTER/s and the workers', are n/a;\n"
		"               -S too; without -e, LPEL_BACKEND=user in the environment\n"
		"               is the same); or a baseline: ", PEL_XOR_MAX_SRCS);
	for (i = 1; i < E_NR; i++)
		fprintf(f, "%s%s", engine_names[i], i + 1 < E_NR ? ", " : "\n");
	fprintf(f,
		"  -B LIST      baselines, comma-separated engines, 'all' or 'none'\n"
		"               (default: io_uring,io_uring_sqpoll,spsc_ring for nop;\n"
		"               cpu,pthread_pool otherwise, and cpu_naive for crc32c,\n"
		"               copy_crc32c and xor)\n"
		"               file_*: cpu and pthread_pool pread() each range, then\n"
		"               ISA-L crc32_iscsi, OpenSSL SHA-256 or nothing\n"
		"               cpu, pthread_pool: glibc mem*, ISA-L crc32_iscsi and\n"
		"               xor_gen, OpenSSL SHA-256; cpu_naive: an SSE4.2 crc32\n"
		"               loop, a word XOR loop (a reference, not a baseline)\n"
		"  -j           JSON output\n"
		"  -S, --suite  run the fixed suite (-t default 0.5 there)\n"
		"  -R ROUNDS    -S: rounds of the runs that targets use; medians (default 3)\n"
		"  -J FILE      where -S writes its JSON ('-': stdout; default pelbench-suite.json)\n"
		"  --subset=user-backend  -S: only the runs of the user backend's targets\n"
		"               (vs the pthread pool on 64 MiB COPY and CRC32C, its NOP\n"
		"               round trip vs the SPSC ring), with -e user\n"
		"  --subset=file  -S: only the file runs (the targets of file ranges and\n"
		"               per-block digests, and the cold-cache runs beside them)\n"
		"  --sq=local|next  PEL: submit to this CPU's queue (the library's choice,\n"
		"               default) or to the next CPU's (an experiment)\n"
		"  --cpu-copy=memcpy|movsb  how the cpu and pool engines copy (default memcpy;\n"
		"               movsb: \"rep movsb\", as the kernel's copy_{to,from}_user())\n"
		"  -h           this text\n");
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (toupper((unsigned char)*end)) {
	case 0:
		break;
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'G':
		v <<= 30;
		end++;
		break;
	default:
		return -EINVAL;
	}
	if (*end == 'i' || *end == 'I')
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_uint(const char *s, unsigned int min, unsigned int max,
		      unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

enum { OPT_BLOCK = 256, OPT_COLD, OPT_FILE_DIR };

/*
 * The command line into @o, checked: -1 to go on, or the exit status (0
 * after -h, EXIT_USAGE with a message naming what was wrong).
 */
int parse_options(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "suite", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "cpu-copy", required_argument, NULL, 'C' },
		{ "sq", required_argument, NULL, 'Q' },
		{ "fixed", no_argument, NULL, 'F' },
		{ "subset", required_argument, NULL, 'U' },
		{ "block", required_argument, NULL, OPT_BLOCK },
		{ "cold", no_argument, NULL, OPT_COLD },
		{ "file-dir", required_argument, NULL, OPT_FILE_DIR },
		{ 0 }
	};
	struct cfg c = {
		.w = W_COPY, .depth = 32, .batch = 0, .threads = 1,
		.nsrcs = 2, .size = 4096, .seconds = 1.0, .wait = WAIT_POLL,
		.block = DEFAULT_BLOCK,
	};
	bool block_given = false;
	const char *json_path = "pelbench-suite.json", *blist = NULL;
	enum engine primary = E_PEL;
	unsigned int baselines, i;
	bool json = false, suite = false, e_given = false;
	const char *env;
	char *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "w:q:b:o:T:t:yP:x:e:B:jSR:J:Ff:s:h",
				  longopts, NULL)) != -1) {
		switch (opt) {
		case 'w':
			for (i = 0; i < W_NR; i++)
				if (!strcmp(optarg, workload_names[i]))
					break;
			if (i == W_NR)
				goto bad;
			c.w = i;
			break;
		case 'q':
			if (parse_uint(optarg, 1, MAX_DEPTH, &c.depth))
				goto bad;
			break;
		case 'b':
			if (parse_uint(optarg, 1, MAX_DEPTH, &c.batch))
				goto bad;
			break;
		case 'o':
			if (parse_size(optarg, &c.size) || c.size > PEL_MAX_OP_LEN)
				goto bad;
			break;
		case 'T':
			if (parse_uint(optarg, 1, MAX_THREADS, &c.threads))
				goto bad;
			break;
		case 't':
			c.seconds = strtod(optarg, &end);
			if (*end || !(c.seconds > 0) || c.seconds > 3600)
				goto bad;
			suite_seconds = c.seconds;
			break;
		case 'y':
			c.verify = true;
			break;
		case 'F':
			c.fixed = true;
			break;
		case 'f':
			if (!*optarg)
				goto bad;
			file_path = optarg;
			break;
		case 's':
			if (parse_size(optarg, &file_total) || !file_total)
				goto bad;
			file_given_total = true;
			break;
		case 'P':
			if (!strcmp(optarg, "poll") || !strcmp(optarg, "polled"))
				c.wait = WAIT_POLL;
			else if (!strcmp(optarg, "block") || !strcmp(optarg, "blocking"))
				c.wait = WAIT_BLOCK;
			else
				goto bad;
			break;
		case 'x':
			if (parse_uint(optarg, 1, PEL_XOR_MAX_SRCS, &c.nsrcs))
				goto bad;
			break;
		case 'e':
			e_given = true;
			if (!strcmp(optarg, "user") || !strcmp(optarg, "kernel")) {
				primary = E_PEL;
				pel_backend_req = optarg[0] == 'u' ? LPEL_BACKEND_USER :
						  LPEL_BACKEND_KERNEL;
				break;
			}
			for (i = 0; i < E_NR; i++)
				if (!strcmp(optarg, engine_names[i]))
					break;
			if (i == E_NR)
				goto bad;
			primary = i;
			if (i == E_PEL)
				pel_backend_req = LPEL_BACKEND_KERNEL;
			break;
		case 'B':
			blist = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'S':
			suite = true;
			break;
		case 'R':
			if (parse_uint(optarg, 1, MAX_ROUNDS, &suite_rounds))
				goto bad;
			break;
		case 'J':
			json_path = optarg;
			break;
		case 'U':
			if (!strcmp(optarg, "user-backend"))
				suite_subset = "user-backend";
			else if (!strcmp(optarg, "file"))
				suite_subset = "file";
			else
				goto bad;
			break;
		case OPT_BLOCK:
			if (parse_size(optarg, &c.block) || c.block < PEL_BLOCK_MIN ||
			    c.block > PEL_MAX_OP_LEN)
				goto bad;
			block_given = true;
			break;
		case OPT_COLD:
			c.cold = true;
			break;
		case OPT_FILE_DIR:
			if (!*optarg)
				goto bad;
			file_dir = optarg;
			break;
		case 'Q':
			if (!strcmp(optarg, "next"))
				sq_next = true;
			else if (strcmp(optarg, "local"))
				goto bad;
			break;
		case 'C':
			if (!strcmp(optarg, "movsb"))
				cpu_copy_movsb = true;
			else if (strcmp(optarg, "memcpy"))
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}

	/* Without -e, $LPEL_BACKEND=user (or kernel) picks PEL's backend. */
	env = getenv("LPEL_BACKEND");
	if (!e_given && env && !strcmp(env, "user"))
		pel_backend_req = LPEL_BACKEND_USER;
	if (!c.batch)
		c.batch = c.depth >= 4 ? c.depth / 4 : 1;
	if (c.batch > c.depth) {
		fprintf(stderr, "%s: batch %u is larger than depth %u\n", prog,
			c.batch, c.depth);
		return EXIT_USAGE;
	}
	if (c.w == W_NOP)
		c.size = 0;
	else if (!c.size) {
		fprintf(stderr, "%s: transfer size 0\n", prog);
		return EXIT_USAGE;
	}
	if (c.size * (c.depth + c.nsrcs + 2) * c.threads > MAX_BUFFER_BYTES) {
		fprintf(stderr, "%s: depth x size x threads needs more than %llu MiB of buffers\n",
			prog, MAX_BUFFER_BYTES >> 20);
		return EXIT_USAGE;
	}
	baselines = default_baselines(c.w);
	if (blist && parse_baselines(blist, &baselines)) {
		fprintf(stderr, "%s: bad -B list '%s'\n", prog, blist);
		return EXIT_USAGE;
	}

	if (w_is_file(c.w) && !suite) {
		if (!file_path) {
			fprintf(stderr, "%s: -w %s needs -f PATH, the file to read\n",
				prog, workload_names[c.w]);
			return EXIT_USAGE;
		}
		if (c.fixed) {
			fprintf(stderr, "%s: -F (registered buffers) does not apply to -w %s\n",
				prog, workload_names[c.w]);
			return EXIT_USAGE;
		}
	} else if (!suite && (file_path || file_given_total)) {
		fprintf(stderr, "%s: -f and -s are for the file workloads (file_crc32c, file_copy, file_sha256, file_sha256_blocks, file_crc32c_blocks), not -w %s\n",
			prog, workload_names[c.w]);
		return EXIT_USAGE;
	}
	if (!suite && block_given && !w_is_blocks(c.w)) {
		fprintf(stderr, "%s: --block is for the per-block workloads (sha256_blocks, file_sha256_blocks, file_crc32c_blocks), not -w %s\n",
			prog, workload_names[c.w]);
		return EXIT_USAGE;
	}
	if (!suite && c.cold && (!w_is_file(c.w) || c.depth != 1)) {
		fprintf(stderr, "%s: --cold is for the file workloads at depth 1 (-q 1)\n", prog);
		return EXIT_USAGE;
	}
	if (suite_subset && !suite) {
		fprintf(stderr, "%s: --subset is for the suite (-S)\n", prog);
		return EXIT_USAGE;
	}
	memset(o, 0, sizeof(*o));
	o->c = c;
	o->primary = primary;
	o->baselines = baselines;
	o->json = json;
	o->suite = suite;
	o->json_path = json_path;
	return -1;

bad:
	/* Long options without a short one: by their names, with the choices. */
	switch (opt) {
	case OPT_BLOCK:
		fprintf(stderr, "%s: bad value '%s' for --block\n", prog, optarg);
		break;
	case OPT_FILE_DIR:
		fprintf(stderr, "%s: bad value '%s' for --file-dir\n", prog, optarg);
		break;
	case 'U':
		fprintf(stderr, "%s: bad value '%s' for --subset (user-backend or file)\n",
			prog, optarg);
		break;
	case 'Q':
		fprintf(stderr, "%s: bad value '%s' for --sq (local or next)\n",
			prog, optarg);
		break;
	case 'C':
		fprintf(stderr, "%s: bad value '%s' for --cpu-copy (memcpy or movsb)\n",
			prog, optarg);
		break;
	default:
		fprintf(stderr, "%s: bad value '%s' for -%c\n", prog, optarg, opt);
		break;
	}
	usage(stderr);
	return EXIT_USAGE;
}

