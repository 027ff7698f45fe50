// SPDX-License-Identifier: GPL-2.0
/*
 * pelctl against a known workload: `pelctl status -j` parses as JSON (a
 * strict parser below validates the whole document first) and reports this
 * process's context, its ops and errors exactly; the text output, -p, the
 * object commands, `watch -n`, `get` and `set` (split_bytes on and off
 * changes whether a 64 MiB COPY runs in chunks), and the error paths:
 * unknown names and commands (exit 2), values the module refuses and a
 * user who is not root (exit 1), {"error": ...} in JSON mode; what status
 * says liblpel programs run on under $LPEL_BACKEND, with the module and
 * without it (/dev hidden in a mount namespace of pelctl's own).
 *
 * pelctl is run through sh from PATH (/pel in the VM), or $PELCTL.
 */
#include <ctype.h>
#include <dirent.h>
#include <grp.h>
#include <stdarg.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "pel_test.h"
#include "kselftest_harness.h"

#define BIG		(64 << 20)
#define OUT_MAX		(1 << 20)

/* ------------------------------------------------------------------------
 * A strict JSON parser (RFC 8259): any syntax error rejects the whole
 * document.  Objects keep their keys in order; a key given twice is an error.
 */
enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype t;
	bool b;
	double num;
	bool is_uint;		/* a non-negative integer without . or e */
	uint64_t u;
	char *s;		/* J_STR, decoded (\u00XX -> that byte) */
	size_t n;		/* J_ARR, J_OBJ */
	struct jv **items;
	char **keys;		/* J_OBJ */
};

struct jparser {
	const char *p;
	const char *err;
	unsigned int depth;
};

static void jfree(struct jv *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++) {
		jfree(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->s);
	free(v);
}

static void jws(struct jparser *jp)
{
	while (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' ||
	       *jp->p == '\r')
		jp->p++;
}

static struct jv *jnew(enum jtype t)
{
	struct jv *v = calloc(1, sizeof(*v));

	if (v)
		v->t = t;
	return v;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char *jstring(struct jparser *jp)
{
	size_t cap = 32, n = 0;
	char *s;

	if (*jp->p != '"') {
		jp->err = "expected a string";
		return NULL;
	}
	jp->p++;
	s = malloc(cap);
	while (s) {
		unsigned char c = (unsigned char)*jp->p++;
		unsigned int cp = 0;
		int i, h;

		if (n + 8 > cap) {
			char *t = realloc(s, cap *= 2);

			if (!t)
				break;
			s = t;
		}
		if (c == '"') {
			s[n] = '\0';
			return s;
		}
		if (c < 0x20) {
			jp->err = c ? "control character in a string" :
				      "unterminated string";
			break;
		}
		if (c != '\\') {
			s[n++] = c;
			continue;
		}
		c = (unsigned char)*jp->p++;
		switch (c) {
		case '"': case '\\': case '/':
			s[n++] = c;
			continue;
		case 'b':
			s[n++] = '\b';
			continue;
		case 'f':
			s[n++] = '\f';
			continue;
		case 'n':
			s[n++] = '\n';
			continue;
		case 'r':
			s[n++] = '\r';
			continue;
		case 't':
			s[n++] = '\t';
			continue;
		case 'u':
			for (i = 0; i < 4; i++) {
				h = hexval(jp->p[i]);
				if (h < 0) {
					jp->err = "bad \\u escape";
					goto fail;
				}
				cp = cp * 16 + h;
			}
			jp->p += 4;
			/* pelctl escapes raw bytes as \u00XX: keep the byte */
			if (cp < 0x100) {
				s[n++] = (char)cp;
			} else {
				s[n++] = '?';
			}
			continue;
		default:
			jp->err = "bad escape";
			goto fail;
		}
	}
fail:
	if (!jp->err)
		jp->err = "out of memory";
	free(s);
	return NULL;
}

static struct jv *jvalue(struct jparser *jp);

static bool jappend(struct jv *v, struct jv *item, char *key)
{
	struct jv **items = realloc(v->items, (v->n + 1) * sizeof(*items));
	char **keys;

	if (!items)
		return false;
	v->items = items;
	if (v->t == J_OBJ) {
		keys = realloc(v->keys, (v->n + 1) * sizeof(*keys));
		if (!keys)
			return false;
		v->keys = keys;
		v->keys[v->n] = key;
	}
	v->items[v->n++] = item;
	return true;
}

static struct jv *jcontainer(struct jparser *jp, bool object)
{
	struct jv *v = jnew(object ? J_OBJ : J_ARR), *item;
	char *key = NULL;
	size_t i;

	if (!v || ++jp->depth > 64) {
		jp->err = "nested too deep";
		free(v);
		return NULL;
	}
	jp->p++;
	jws(jp);
	if (*jp->p == (object ? '}' : ']')) {
		jp->p++;
		jp->depth--;
		return v;
	}
	for (;;) {
		jws(jp);
		if (object) {
			key = jstring(jp);
			if (!key)
				goto fail;
			for (i = 0; i < v->n; i++)
				if (!strcmp(v->keys[i], key)) {
					jp->err = "duplicate key";
					goto fail;
				}
			jws(jp);
			if (*jp->p++ != ':') {
				jp->err = "expected ':'";
				goto fail;
			}
		}
		item = jvalue(jp);
		if (!item)
			goto fail;
		if (!jappend(v, item, key)) {
			jfree(item);
			jp->err = "out of memory";
			goto fail;
		}
		key = NULL;
		jws(jp);
		if (*jp->p == ',') {
			jp->p++;
			continue;
		}
		if (*jp->p == (object ? '}' : ']')) {
			jp->p++;
			jp->depth--;
			return v;
		}
		jp->err = object ? "expected ',' or '}'" : "expected ',' or ']'";
		goto fail;
	}
fail:
	free(key);
	jfree(v);
	return NULL;
}

static struct jv *jnumber(struct jparser *jp)
{
	const char *start = jp->p, *q = jp->p;
	bool integer = true;
	struct jv *v;

	if (*q == '-')
		q++;
	if (*q == '0')
		q++;
	else if (*q >= '1' && *q <= '9')
		while (isdigit((unsigned char)*q))
			q++;
	else
		goto bad;
	if (*q == '.') {
		integer = false;
		q++;
		if (!isdigit((unsigned char)*q))
			goto bad;
		while (isdigit((unsigned char)*q))
			q++;
	}
	if (*q == 'e' || *q == 'E') {
		integer = false;
		q++;
		if (*q == '+' || *q == '-')
			q++;
		if (!isdigit((unsigned char)*q))
			goto bad;
		while (isdigit((unsigned char)*q))
			q++;
	}
	v = jnew(J_NUM);
	if (!v)
		return NULL;
	v->num = strtod(start, NULL);
	if (integer && *start != '-') {
		errno = 0;
		v->u = strtoull(start, NULL, 10);
		v->is_uint = !errno;
	}
	jp->p = q;
	return v;
bad:
	jp->err = "bad number";
	return NULL;
}

static struct jv *jvalue(struct jparser *jp)
{
	struct jv *v;

	jws(jp);
	switch (*jp->p) {
	case '{':
		return jcontainer(jp, true);
	case '[':
		return jcontainer(jp, false);
	case '"':
		v = jnew(J_STR);
		if (v) {
			v->s = jstring(jp);
			if (!v->s) {
				free(v);
				v = NULL;
			}
		}
		return v;
	case 't':
	case 'f':
	case 'n':
		if (!strncmp(jp->p, "true", 4) || !strncmp(jp->p, "null", 4)) {
			v = jnew(*jp->p == 't' ? J_BOOL : J_NULL);
			if (v)
				v->b = true;
			jp->p += 4;
			return v;
		}
		if (!strncmp(jp->p, "false", 5)) {
			v = jnew(J_BOOL);
			jp->p += 5;
			return v;
		}
		jp->err = "bad literal";
		return NULL;
	default:
		return jnumber(jp);
	}
}

/* The one JSON value of text, nothing but white space around it. */
static struct jv *json_parse(const char *text, const char **err,
			     size_t *used)
{
	struct jparser jp = { .p = text };
	struct jv *v = jvalue(&jp);

	if (v) {
		jws(&jp);
		if (!used && *jp.p) {
			jp.err = "trailing characters";
			jfree(v);
			v = NULL;
		}
	}
	if (used)
		*used = jp.p - text;
	if (err)
		*err = jp.err ? jp.err : "";
	return v;
}

static struct jv *jget(const struct jv *v, const char *key)
{
	size_t i;

	if (!v || v->t != J_OBJ)
		return NULL;
	for (i = 0; i < v->n; i++)
		if (!strcmp(v->keys[i], key))
			return v->items[i];
	return NULL;
}

/* A non-negative integer member, or UINT64_MAX when missing or not one. */
static uint64_t jnum(const struct jv *v, const char *key)
{
	const struct jv *m = jget(v, key);

	return m && m->t == J_NUM && m->is_uint ? m->u : UINT64_MAX;
}

static const char *jstr(const struct jv *v, const char *key)
{
	const struct jv *m = jget(v, key);

	return m && m->t == J_STR ? m->s : NULL;
}

/* ------------------------------------------------------------------------
 * Running pelctl.
 */
struct run {
	int status;		/* exit status, or -1 */
	char out[OUT_MAX];
	char err[16384];
};

static void slurp(FILE *f, char *buf, size_t len)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* run_pelctl in a mount namespace whose /dev is an empty tmpfs: no /dev/pel. */
static bool hide_dev;

/*
 * sh -c "pelctl ARGS" with stdout and stderr kept apart; as uid when it is
 * not 0 (the caller must be root for that); exit 125 when hide_dev cannot
 * be done.
 */
static int run_pelctl(struct run *r, uid_t uid, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int run_pelctl(struct run *r, uid_t uid, const char *fmt, ...)
{
	const char *pelctl = getenv("PELCTL");
	char args[512], cmd[1024];
	FILE *out = tmpfile(), *err = tmpfile();
	va_list ap;
	pid_t pid;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "exec %s %s", pelctl ? pelctl : "pelctl",
		 args);
	r->status = -1;
	r->out[0] = r->err[0] = '\0';
	if (!out || !err)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (hide_dev && (unshare(CLONE_NEWNS) ||
				 mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
				 mount("tmpfs", "/dev", "tmpfs", 0, NULL)))
			_exit(125);
		if (uid && (setgroups(0, NULL) || setgid(uid) || setuid(uid)))
			_exit(126);
		dup2(fileno(out), STDOUT_FILENO);
		dup2(fileno(err), STDERR_FILENO);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid) {
		fclose(out);
		fclose(err);
		return -1;
	}
	slurp(out, r->out, sizeof(r->out));
	slurp(err, r->err, sizeof(r->err));
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return r->status;
}

static int write_param(const char *name, unsigned long value)
{
	char path[256], buf[32];

	snprintf(path, sizeof(path), "/sys/module/pel/parameters/%s", name);
	snprintf(buf, sizeof(buf), "%lu", value);
	return pel_test_write_file(path, buf, 0);
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* ------------------------------------------------------------------------
 * The fixture: a context that has run a known workload, kept open.
 */
FIXTURE(pelctl) {
	struct lpel_ring ring;
	struct pel_info info;
	struct run *r;
	char comm[32];
	uint8_t *src, *dst;
};

FIXTURE_SETUP(pelctl)
{
	FILE *f;
	size_t n;

	self->src = NULL;
	self->dst = NULL;
	self->r = calloc(1, sizeof(*self->r));
	ASSERT_NE(NULL, self->r);
	ASSERT_EQ(0, pel_test_info(&self->info));
	ASSERT_EQ(0, lpel_init(&self->ring, 64));
	f = fopen("/proc/self/comm", "r");
	ASSERT_NE(NULL, f);
	n = fread(self->comm, 1, sizeof(self->comm) - 1, f);
	fclose(f);
	while (n && self->comm[n - 1] == '\n')
		n--;
	self->comm[n] = '\0';
	ASSERT_EQ(0, run_pelctl(self->r, 0, "version"))
		TH_LOG("pelctl not found or failing: %s", self->r->err);
}

FIXTURE_TEARDOWN(pelctl)
{
	struct pel_info now;

	/* Whatever a test set, the module gets its values back. */
	if (!pel_test_info(&now)) {
		if (now.split_bytes != self->info.split_bytes)
			write_param("split_bytes", self->info.split_bytes);
		if (now.batch != self->info.batch)
			write_param("batch", self->info.batch);
		if (now.idle_us != self->info.idle_us)
			write_param("idle_us", self->info.idle_us);
	}
	lpel_exit(&self->ring);
	free(self->src);
	free(self->dst);
	free(self->r);
}

static int run_sqe(struct lpel_ring *ring, struct pel_cqe *cqe)
{
	struct pel_cqe *c;
	int ret;

	ret = lpel_submit(ring);
	if (ret != 1)
		return ret < 0 ? ret : -EIO;
	ret = lpel_wait_cqe_timeout(ring, &c, 60ULL * 1000000000ULL);
	if (ret)
		return ret;
	*cqe = *c;
	lpel_cqe_seen(ring, c);
	return 0;
}

/*
 * 10 NOPs, 5 COPYs of 1000 bytes, 2 SQEs with an unknown opcode (-EINVAL),
 * 1 COPY from a kernel address (-EFAULT): 18 SQEs, 5000 bytes, 3 errors.
 */
static void workload(struct __test_metadata *_metadata, struct lpel_ring *ring)
{
	static uint8_t src[1000], dst[1000];
	struct pel_sqe *sqe;
	struct pel_cqe cqe;
	int i;

	pel_test_pattern(src, sizeof(src), 5);
	for (i = 0; i < 10; i++) {
		sqe = lpel_get_sqe(ring);
		ASSERT_NE(NULL, sqe);
		lpel_prep_nop(sqe);
		ASSERT_EQ(0, run_sqe(ring, &cqe));
		ASSERT_EQ(0, cqe.res);
	}
	for (i = 0; i < 5; i++) {
		sqe = lpel_get_sqe(ring);
		ASSERT_NE(NULL, sqe);
		lpel_prep_copy(sqe, dst, src, sizeof(src));
		ASSERT_EQ(0, run_sqe(ring, &cqe));
		ASSERT_EQ(1000, cqe.res);
	}
	for (i = 0; i < 2; i++) {
		sqe = lpel_get_sqe(ring);
		ASSERT_NE(NULL, sqe);
		lpel_prep_rw(sqe, 0xff, NULL, NULL, 0);
		ASSERT_EQ(0, run_sqe(ring, &cqe));
		ASSERT_EQ(-EINVAL, cqe.res);
	}
	sqe = lpel_get_sqe(ring);
	ASSERT_NE(NULL, sqe);
	lpel_prep_copy(sqe, dst, (void *)PEL_TEST_KERNEL_ADDR, sizeof(dst));
	ASSERT_EQ(0, run_sqe(ring, &cqe));
	ASSERT_EQ(-EFAULT, cqe.res);
}

/* `pelctl ARGS` must exit 0 and print one JSON document. */
static struct jv *pelctl_json(struct __test_metadata *_metadata,
			      struct run *r, const char *args)
{
	const char *err;
	struct jv *doc;

	run_pelctl(r, 0, "%s", args);
	EXPECT_EQ(0, r->status) TH_LOG("pelctl %s: %s%s", args, r->out, r->err);
	doc = json_parse(r->out, &err, NULL);
	EXPECT_NE(NULL, doc) TH_LOG("pelctl %s: not JSON (%s): %.2000s", args,
				    err, r->out);
	return doc;
}

/* This process's one context in a status document. */
static const struct jv *own_context(struct __test_metadata *_metadata,
				    const struct jv *contexts)
{
	const struct jv *found = NULL;
	size_t i;

	if (!contexts || contexts->t != J_ARR)
		return NULL;
	for (i = 0; i < contexts->n; i++) {
		if (jnum(contexts->items[i], "pid") != (uint64_t)getpid())
			continue;
		EXPECT_EQ(NULL, found) TH_LOG("two contexts with our pid");
		found = contexts->items[i];
	}
	return found;
}

/* Our context's own counters, straight from PEL_IOC_CTX_STATS (liblpel's). */
static int own_ctx_stats(int fd, struct pel_ctx_stats *out)
{
	unsigned int i;
	int ret;

	for (i = 0;; i++) {
		ret = lpel_ctx_stats(fd, i, out);
		if (ret)
			return ret;
		if (out->pid == getpid())
			return 0;
	}
}

static const struct jv *find_op(const struct jv *ops, const char *name)
{
	size_t i;

	if (!ops || ops->t != J_ARR)
		return NULL;
	for (i = 0; i < ops->n; i++) {
		const char *s = jstr(ops->items[i], "name");

		if (s && !strcmp(s, name))
			return ops->items[i];
	}
	return NULL;
}

static uint64_t sum_workers(const struct jv *doc, const char *key)
{
	const struct jv *w = jget(doc, "workers");
	uint64_t n = 0;
	size_t i;

	for (i = 0; w && w->t == J_ARR && i < w->n; i++)
		n += jnum(w->items[i], key);
	return n;
}

static void check_workers(struct __test_metadata *_metadata,
			  const struct jv *workers)
{
	static const char *const keys[] = {
		"cpu", "node", "queues", "ops", "bytes", "wakeups", "sleeps",
		"stolen", "stolen_from", "chunks", "busy_ns",
	};
	size_t i, k;

	ASSERT_NE(NULL, workers);
	ASSERT_EQ(J_ARR, workers->t);
	EXPECT_EQ(sysconf(_SC_NPROCESSORS_ONLN), (long)workers->n);
	for (i = 0; i < workers->n; i++) {
		const struct jv *w = workers->items[i];
		const char *state = jstr(w, "state");

		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			const char *key = keys[k] ?: "?";

			EXPECT_NE(UINT64_MAX, jnum(w, key))
				TH_LOG("worker %zu: no number '%s'", i, key);
		}
		EXPECT_EQ(i, jnum(w, "cpu"));
		ASSERT_NE(NULL, state);
		EXPECT_TRUE(!strcmp(state, "offline") ||
			    !strcmp(state, "sleeping") ||
			    !strcmp(state, "polling") ||
			    !strcmp(state, "running")) TH_LOG("state %s", state);
	}
}

/*
 * `pelctl ARGS` (a status document) once the workload's counters have
 * settled: a worker counts an op in its context's in-flight number, the
 * per-op stats and its own stats just after the CQE is visible, so a look
 * right after reaping may still see the last op in flight.
 */
static struct jv *status_settled(struct __test_metadata *_metadata,
				 struct run *r, const char *args)
{
	struct jv *doc = NULL;
	int tries;

	for (tries = 0; tries < 50; tries++) {
		const struct jv *ctx, *copy;

		jfree(doc);
		doc = pelctl_json(_metadata, r, args);
		if (!doc)
			return NULL;
		ctx = own_context(_metadata, jget(doc, "contexts"));
		copy = find_op(jget(doc, "ops"), "copy");
		if (ctx && !jnum(ctx, "inflight") && copy &&
		    jnum(copy, "count") != UINT64_MAX &&
		    jnum(copy, "count") >= 6)
			break;
		usleep(20000);
	}
	return doc;
}

/*
 * doc's "cgroups" or "users" (name): sums over contexts[] by key, one
 * holding want; the shares add up to 100%.
 */
static void check_busy(struct __test_metadata *_metadata,
		       const struct jv *doc, const char *name,
		       const char *key, uint64_t want)
{
	const struct jv *sums = jget(doc, name), *ctxs = jget(doc, "contexts");
	uint64_t nctx = 0, busy = 0, cbusy = 0, completed = 0, ccompleted = 0;
	double share = 0;
	bool found = false;
	size_t i;

	ASSERT_NE(NULL, sums) TH_LOG("no '%s'", name);
	ASSERT_EQ(J_ARR, sums->t);
	ASSERT_NE(NULL, ctxs);
	for (i = 0; i < sums->n; i++) {
		const struct jv *b = sums->items[i], *pct = jget(b, "share_pct");

		EXPECT_NE(UINT64_MAX, jnum(b, key)) TH_LOG("%s[%zu]", name, i);
		EXPECT_LE(1, jnum(b, "contexts"));
		nctx += jnum(b, "contexts");
		busy += jnum(b, "busy_ns");
		completed += jnum(b, "completed");
		ASSERT_NE(NULL, pct);
		ASSERT_EQ(J_NUM, pct->t);
		share += pct->num;
		if (i)
			EXPECT_LT(jnum(sums->items[i - 1], key), jnum(b, key));
		found |= jnum(b, key) == want;
		if (!strcmp(key, "cgroup_id")) {
			const struct jv *path = jget(b, "cgroup");

			ASSERT_NE(NULL, path);
			EXPECT_TRUE(path->t == J_STR || path->t == J_NULL);
		}
	}
	for (i = 0; i < ctxs->n; i++) {
		cbusy += jnum(ctxs->items[i], "busy_ns");
		ccompleted += jnum(ctxs->items[i], "completed");
	}
	EXPECT_TRUE(found) TH_LOG("no %s with %s %llu", name, key,
				  (unsigned long long)want);
	EXPECT_EQ(ctxs->n, nctx);
	EXPECT_EQ(cbusy, busy);
	EXPECT_EQ(ccompleted, completed);
	if (busy)
		EXPECT_TRUE(share > 99.9 && share < 100.1) TH_LOG("%s: shares add up to %.3f", name, share);
}

/* The document `pelctl status -j` prints, against the known workload. */
static void check_status(struct __test_metadata *_metadata,
			 FIXTURE_DATA(pelctl) *self, const struct jv *doc)
{
	static const char *const errs[] = {
		"einval", "efault", "ecanceled", "etime", "ealready", "enoent",
		"esrch", "other",
	};
	const struct jv *module, *params, *features, *ctx, *errors, *ops;
	const struct jv *op, *hist, *totals, *v;
	struct pel_ctx_stats cs;
	uint64_t p50, p99, sum = 0;
	bool has_stats = false;
	size_t i;

	ASSERT_NE(NULL, doc);
	ASSERT_EQ(J_OBJ, doc->t);

	module = jget(doc, "module");
	ASSERT_NE(NULL, module);
	ASSERT_NE(NULL, jstr(module, "version"));
	EXPECT_STRNE("", jstr(module, "version"));
	EXPECT_EQ(PEL_ABI_VERSION, jnum(module, "abi"));
	EXPECT_EQ(self->info.nr_workers, jnum(module, "nr_workers"));
	features = jget(module, "features");
	ASSERT_NE(NULL, features);
	ASSERT_EQ(J_ARR, features->t);
	for (i = 0; i < features->n; i++) {
		ASSERT_EQ(J_STR, features->items[i]->t);
		has_stats |= !strcmp(features->items[i]->s, "stats");
	}
	EXPECT_TRUE(has_stats) TH_LOG("no 'stats' feature");
	params = jget(module, "params");
	ASSERT_NE(NULL, params);
	EXPECT_EQ(self->info.idle_us, jnum(params, "idle_us"));
	EXPECT_EQ(self->info.batch, jnum(params, "batch"));
	EXPECT_EQ(self->info.split_bytes, jnum(params, "split_bytes"));
	EXPECT_EQ(self->info.max_inflight, jnum(params, "max_inflight"));

	check_workers(_metadata, jget(doc, "workers"));

	ctx = own_context(_metadata, jget(doc, "contexts"));
	ASSERT_NE(NULL, ctx) TH_LOG("our context (pid %d) is not listed", getpid());
	EXPECT_STREQ(self->comm, jstr(ctx, "comm"));
	EXPECT_EQ(self->ring.nr_queues, jnum(ctx, "queues"));
	EXPECT_EQ(64, jnum(ctx, "sq_entries"));
	EXPECT_EQ(128, jnum(ctx, "cq_entries"));
	EXPECT_EQ(18, jnum(ctx, "submitted"));
	EXPECT_EQ(18, jnum(ctx, "completed"));
	EXPECT_EQ(0, jnum(ctx, "inflight"));
	EXPECT_EQ(self->info.max_inflight, jnum(ctx, "max_inflight"));
	EXPECT_EQ(5000, jnum(ctx, "bytes"));
	EXPECT_EQ(3, jnum(ctx, "errors_total"));
	errors = jget(ctx, "errors");
	ASSERT_NE(NULL, errors);
	ASSERT_EQ(J_OBJ, errors->t);
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		const char *key = errs[i] ?: "?";

		EXPECT_EQ(!strcmp(key, "einval") ? 2 :
			  !strcmp(key, "efault") ? 1 : 0,
			  jnum(errors, key)) TH_LOG("errors.%s", key);
	}
	ops = jget(ctx, "ops");
	ASSERT_NE(NULL, ops);
	ASSERT_EQ(J_OBJ, ops->t);
	for (i = 0; i < ops->n; i++) {
		const char *k = ops->keys[i];

		EXPECT_EQ(!strcmp(k, "nop") ? 10 : !strcmp(k, "copy") ? 6 : 0,
			  jnum(ops, k)) TH_LOG("ops.%s", k);
	}
	EXPECT_EQ(10, jnum(ops, "nop"));
	EXPECT_EQ(6, jnum(ops, "copy"));
	EXPECT_EQ(geteuid(), jnum(ctx, "uid"));
	EXPECT_NE(UINT64_MAX, jnum(ctx, "cgroup_id"));
	v = jget(ctx, "cgroup");
	ASSERT_NE(NULL, v);
	EXPECT_TRUE(v->t == J_STR || v->t == J_NULL);
	EXPECT_NE(UINT64_MAX, jnum(ctx, "busy_ns"));
	/* Its ops ran on the workers, or in its own waiting thread (helped). */
	EXPECT_LT(0, jnum(ctx, "busy_ns") + jnum(ctx, "helped"));
	EXPECT_NE(UINT64_MAX, jnum(ctx, "slow_batches"));
	/*
	 * pelctl's own ioctls are no PEL_IOC_ENTER of our context, and our
	 * thread made none while pelctl ran: its figures are the kernel's now.
	 */
	ASSERT_EQ(0, own_ctx_stats(self->ring.fd, &cs));
	EXPECT_EQ(cs.enters, jnum(ctx, "enters"));
	EXPECT_EQ(cs.helped, jnum(ctx, "helped"));
	EXPECT_EQ(0, jnum(ctx, "registered_buffers"));
	EXPECT_EQ(0, jnum(ctx, "registered_buffer_bytes"));
	EXPECT_EQ(0, jnum(ctx, "registered_files"));
	check_busy(_metadata, doc, "cgroups", "cgroup_id", jnum(ctx, "cgroup_id"));
	check_busy(_metadata, doc, "users", "uid", geteuid());

	ops = jget(doc, "ops");
	ASSERT_NE(NULL, ops);
	ASSERT_EQ(J_ARR, ops->t);
	op = find_op(ops, "nop");
	ASSERT_NE(NULL, op);
	EXPECT_EQ(PEL_OP_NOP, jnum(op, "opcode"));
	EXPECT_LE(10, jnum(op, "count"));
	op = find_op(ops, "copy");
	ASSERT_NE(NULL, op) TH_LOG("no per-op entry 'copy'");
	EXPECT_EQ(PEL_OP_COPY, jnum(op, "opcode"));
	EXPECT_LE(6, jnum(op, "count"));
	EXPECT_NE(UINT64_MAX, jnum(op, "count"));
	EXPECT_LE(5000, jnum(op, "bytes"));
	EXPECT_LE(1, jnum(op, "errors"));
	EXPECT_NE(UINT64_MAX, jnum(op, "errors"));
	hist = jget(op, "latency_buckets");
	ASSERT_NE(NULL, hist);
	ASSERT_EQ(J_ARR, hist->t);
	ASSERT_EQ(PEL_LAT_BUCKETS, hist->n);
	for (i = 0; i < hist->n; i++) {
		ASSERT_TRUE(hist->items[i]->t == J_NUM && hist->items[i]->is_uint);
		sum += hist->items[i]->u;
	}
	EXPECT_LE(6, sum) TH_LOG("the copy latency histogram holds %llu",
				 (unsigned long long)sum);
	/* Memory copies only: nothing came from a registered file. */
	EXPECT_EQ(0, jnum(op, "file_bytes"));
	p50 = jnum(op, "latency_p50_ns");
	p99 = jnum(op, "latency_p99_ns");
	EXPECT_TRUE(is_pow2(p50)) TH_LOG("p50 %llu", (unsigned long long)p50);
	EXPECT_TRUE(is_pow2(p99)) TH_LOG("p99 %llu", (unsigned long long)p99);
	EXPECT_LE(p50, p99);
	EXPECT_GE(1ULL << PEL_LAT_BUCKETS, p99);

	totals = jget(doc, "totals");
	ASSERT_NE(NULL, totals);
	v = jget(totals, "workers");
	ASSERT_NE(NULL, v);
	EXPECT_EQ(sum_workers(doc, "ops"), jnum(v, "ops"));
	EXPECT_EQ(sum_workers(doc, "chunks"), jnum(v, "chunks"));
	v = jget(totals, "contexts");
	ASSERT_NE(NULL, v);
	EXPECT_LE(18, jnum(v, "submitted"));
	EXPECT_LE(3, jnum(v, "errors"));
	EXPECT_LE(1, jnum(v, "count"));
	EXPECT_NE(UINT64_MAX, jnum(v, "busy_ns"));
	EXPECT_NE(UINT64_MAX, jnum(v, "slow_batches"));
	EXPECT_LE(jnum(ctx, "enters"), jnum(v, "enters"));
	EXPECT_NE(UINT64_MAX, jnum(v, "helped"));
	EXPECT_NE(UINT64_MAX, jnum(v, "registered_buffers"));
	EXPECT_NE(UINT64_MAX, jnum(v, "registered_buffer_bytes"));
	v = jget(totals, "ops");
	ASSERT_NE(NULL, v);
	EXPECT_LE(16, jnum(v, "count"));
}

/* ------------------------------------------------------------------------
 * The tests.
 */
TEST_F(pelctl, status_json)
{
	struct jv *doc;

	workload(_metadata, &self->ring);
	doc = status_settled(_metadata, self->r, "status -j");
	ASSERT_NE(NULL, doc);
	/* compact: one line */
	EXPECT_EQ(strchr(self->r->out, '\n'),
		  self->r->out + strlen(self->r->out) - 1)
		TH_LOG("-j output is not one line");
	check_status(_metadata, self, doc);
	jfree(doc);
}

/* -p: the same document, indented; the option may come first too. */
TEST_F(pelctl, status_pretty)
{
	struct jv *doc;

	workload(_metadata, &self->ring);
	doc = status_settled(_metadata, self->r, "-p status");
	ASSERT_NE(NULL, doc);
	EXPECT_NE(NULL, strstr(self->r->out, "{\n  \"module\": {\n    \"version\": "))
		TH_LOG("-p output is not indented: %.300s", self->r->out);
	check_status(_metadata, self, doc);
	jfree(doc);
}

TEST_F(pelctl, status_text)
{
	char line[128];

	workload(_metadata, &self->ring);
	run_pelctl(self->r, 0, "status");
	ASSERT_EQ(0, self->r->status) TH_LOG("%s", self->r->err);
	EXPECT_EQ('\0', self->r->err[0]) TH_LOG("stderr: %s", self->r->err);
	EXPECT_NE(NULL, strstr(self->r->out, "STOLEN FROM"));
	EXPECT_NE(NULL, strstr(self->r->out, "IN FLIGHT"));
	EXPECT_NE(NULL, strstr(self->r->out, "p99"));
	EXPECT_NE(NULL, strstr(self->r->out, "split_bytes"));
	snprintf(line, sizeof(line), "%7d  %-16s", getpid(), self->comm);
	EXPECT_NE(NULL, strstr(self->r->out, line))
		TH_LOG("no row for '%s' in:\n%s", line, self->r->out);
	EXPECT_NE(NULL, strstr(self->r->out, "ops: nop:10 copy:6   errors: EFAULT:1 EINVAL:2"))
		TH_LOG("%s", self->r->out);
	EXPECT_NE(NULL, strstr(self->r->out, "\ncopy "));
	EXPECT_NE(NULL, strstr(self->r->out, "SLOW BATCHES"));
	EXPECT_NE(NULL, strstr(self->r->out, "  cgroup: "));
	EXPECT_NE(NULL, strstr(self->r->out, "  enters: "));
	EXPECT_NE(NULL, strstr(self->r->out, "   helped: "));
	EXPECT_NE(NULL, strstr(self->r->out, "   registered buffers: 0 ("))
		TH_LOG("%s", self->r->out);
	EXPECT_NE(NULL, strstr(self->r->out, "\nworker time by cgroup\n"));
	EXPECT_NE(NULL, strstr(self->r->out, "\nworker time by user\n"));
}

/* The first cgroup2 mount point in /proc/self/mountinfo; 0 or -1. */
static int cgroup2_mnt(char *mnt, size_t len)
{
	char line[4096], m[1024], *sep;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int ret = -1;

	if (!f)
		return -1;
	while (ret && fgets(line, sizeof(line), f)) {
		sep = strstr(line, " - ");
		if (sep && !strncmp(sep + 3, "cgroup2 ", 8) &&
		    sscanf(line, "%*u %*u %*s %*s %1023s", m) == 1 &&
		    !strchr(m, '\\') && strlen(m) < len) {
			strcpy(mnt, m);
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

/*
 * A context set up in a cgroup of our own: status names the cgroup by its
 * path under the cgroup2 mount (mounted here if need be).
 */
TEST_F(pelctl, cgroup_path)
{
	char mnt[1024], dir[1200], procs[2400], pid[32], want[64], line[128];
	char orig[1024] = "";
	const struct jv *ctxs, *ctx = NULL;
	FILE *f;
	struct lpel_ring ring;
	bool mounted = false;
	struct jv *doc;
	int ret;
	size_t i;

	if (geteuid())
		SKIP(return, "needs root to make a cgroup");
	if (cgroup2_mnt(mnt, sizeof(mnt))) {
		strcpy(mnt, "/sys/fs/cgroup");
		if (mount("none", mnt, "cgroup2", 0, NULL))
			SKIP(return, "cgroup2 unavailable: %s", strerror(errno));
		mounted = true;
	}
	f = fopen("/proc/self/cgroup", "re");
	while (f && fgets(orig, sizeof(orig), f) && strncmp(orig, "0::", 3))
		;
	if (f)
		fclose(f);
	orig[strcspn(orig, "\n")] = '\0';
	if (strncmp(orig, "0::/", 4))
		strcpy(orig, "0::/");
	snprintf(want, sizeof(want), "/pel-pelctl.%d", getpid());
	snprintf(dir, sizeof(dir), "%s%s", mnt, want);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	snprintf(pid, sizeof(pid), "%d", getpid());
	ret = mkdir(dir, 0755) ? -errno : 0;
	if (!ret) {
		/* in it just for the setup; out again before anything can fail */
		ret = pel_test_write_file(procs, pid, O_CLOEXEC);
		if (!ret) {
			ret = lpel_init(&ring, 32);
			snprintf(procs, sizeof(procs), "%s%s/cgroup.procs", mnt,
				 strcmp(orig + 3, "/") ? orig + 3 : "");
			pel_test_write_file(procs, pid, O_CLOEXEC);
		}
		if (ret)
			rmdir(dir);
	}
	if (ret && mounted)
		umount(mnt);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", dir, strerror(-ret));

	doc = pelctl_json(_metadata, self->r, "-j context show");
	run_pelctl(self->r, 0, "status");
	lpel_exit(&ring);
	rmdir(dir);
	if (mounted)
		umount(mnt);
	ASSERT_NE(NULL, doc);
	ctxs = doc;
	ASSERT_EQ(J_ARR, ctxs->t);
	for (i = 0; i < ctxs->n; i++)
		if (jnum(ctxs->items[i], "pid") == (uint64_t)getpid() &&
		    jnum(ctxs->items[i], "sq_entries") == 32)
			ctx = ctxs->items[i];
	ASSERT_NE(NULL, ctx);
	EXPECT_STREQ(want, jstr(ctx, "cgroup"));
	EXPECT_NE(0, jnum(ctx, "cgroup_id"));
	jfree(doc);
	EXPECT_EQ(0, self->r->status);
	snprintf(line, sizeof(line), "  cgroup: %s\n", want);
	EXPECT_NE(NULL, strstr(self->r->out, line)) TH_LOG("%s", self->r->out);
}

/* The objects' show commands print the parts of status, as arrays. */
TEST_F(pelctl, object_show)
{
	struct jv *doc;

	workload(_metadata, &self->ring);
	doc = pelctl_json(_metadata, self->r, "-j worker show");
	ASSERT_NE(NULL, doc);
	check_workers(_metadata, doc);
	jfree(doc);
	doc = pelctl_json(_metadata, self->r, "context show -j");
	ASSERT_NE(NULL, doc);
	EXPECT_NE(NULL, own_context(_metadata, doc));
	jfree(doc);
	doc = pelctl_json(_metadata, self->r, "-j op");
	ASSERT_NE(NULL, doc);
	EXPECT_NE(NULL, find_op(doc, "copy"));
	jfree(doc);
	doc = pelctl_json(_metadata, self->r, "-j param show");
	ASSERT_NE(NULL, doc);
	EXPECT_EQ(self->info.batch, jnum(doc, "batch"));
	jfree(doc);
	run_pelctl(self->r, 0, "worker");
	EXPECT_EQ(0, self->r->status);
	EXPECT_NE(NULL, strstr(self->r->out, "CHUNKS"));
}

TEST_F(pelctl, get)
{
	char want[64];
	struct jv *doc;

	run_pelctl(self->r, 0, "get batch");
	ASSERT_EQ(0, self->r->status) TH_LOG("%s", self->r->err);
	snprintf(want, sizeof(want), "batch %u\n", self->info.batch);
	EXPECT_STREQ(want, self->r->out);
	doc = pelctl_json(_metadata, self->r, "-j get split_bytes");
	ASSERT_NE(NULL, doc);
	EXPECT_STREQ("split_bytes", jstr(doc, "name"));
	EXPECT_EQ(self->info.split_bytes, jnum(doc, "value"));
	jfree(doc);
	doc = pelctl_json(_metadata, self->r, "get -j");
	ASSERT_NE(NULL, doc);
	EXPECT_EQ(self->info.idle_us, jnum(doc, "idle_us"));
	EXPECT_EQ(self->info.max_inflight, jnum(doc, "max_inflight"));
	jfree(doc);
	run_pelctl(self->r, 0, "get bogus");
	EXPECT_EQ(2, self->r->status);
}

/*
 * split_bytes 0: a 64 MiB COPY runs whole (no worker's chunks counter
 * moves); 1 MiB: it runs in chunks.  Read through pelctl status -j.
 */
TEST_F_TIMEOUT(pelctl, set_split_bytes, 180)
{
	uint64_t before, after;
	struct pel_info info;
	int i;
	struct pel_sqe *sqe;
	struct pel_cqe cqe;
	struct jv *doc;

	if (geteuid())
		SKIP(return, "needs root");
	self->src = malloc(BIG);
	self->dst = malloc(BIG);
	ASSERT_TRUE(self->src && self->dst);
	pel_test_pattern(self->src, BIG, 23);

	run_pelctl(self->r, 0, "set split_bytes 0");
	ASSERT_EQ(0, self->r->status) TH_LOG("%s%s", self->r->out, self->r->err);
	EXPECT_NE(NULL, strstr(self->r->out, "split_bytes 0"));
	ASSERT_EQ(0, pel_test_info(&info));
	ASSERT_EQ(0, info.split_bytes);
	doc = pelctl_json(_metadata, self->r, "status -j");
	ASSERT_NE(NULL, doc);
	EXPECT_EQ(0, jnum(jget(jget(doc, "module"), "params"), "split_bytes"));
	before = sum_workers(doc, "chunks");
	jfree(doc);
	memset(self->dst, 0, BIG);
	sqe = lpel_get_sqe(&self->ring);
	lpel_prep_copy(sqe, self->dst, self->src, BIG);
	ASSERT_EQ(0, run_sqe(&self->ring, &cqe));
	ASSERT_EQ(BIG, cqe.res);
	EXPECT_EQ(0, memcmp(self->src, self->dst, BIG));
	doc = pelctl_json(_metadata, self->r, "status -j");
	ASSERT_NE(NULL, doc);
	after = sum_workers(doc, "chunks");
	jfree(doc);
	EXPECT_EQ(before, after) TH_LOG("split_bytes 0, yet chunks ran");

	run_pelctl(self->r, 0, "set split_bytes 1048576");
	ASSERT_EQ(0, self->r->status) TH_LOG("%s%s", self->r->out, self->r->err);
	EXPECT_NE(NULL, strstr(self->r->out, "split_bytes 1048576 (was 0)"))
		TH_LOG("%s", self->r->out);
	ASSERT_EQ(0, pel_test_info(&info));
	ASSERT_EQ(1048576, info.split_bytes);
	before = after;
	memset(self->dst, 0, BIG);
	sqe = lpel_get_sqe(&self->ring);
	lpel_prep_copy(sqe, self->dst, self->src, BIG);
	ASSERT_EQ(0, run_sqe(&self->ring, &cqe));
	ASSERT_EQ(BIG, cqe.res);
	EXPECT_EQ(0, memcmp(self->src, self->dst, BIG));
	/* a helper may count its chunk just after the owner posts the CQE */
	for (i = 0; i < 50 && after == before; i++) {
		if (i)
			usleep(20000);
		doc = pelctl_json(_metadata, self->r, "status -j");
		ASSERT_NE(NULL, doc);
		after = sum_workers(doc, "chunks");
		jfree(doc);
	}
	EXPECT_LT(before, after) TH_LOG("split_bytes 1 MiB, yet no chunks ran");
}

/* -j set: the new and the previous value. */
TEST_F(pelctl, set_json)
{
	struct pel_info info;
	struct jv *doc;

	if (geteuid())
		SKIP(return, "needs root");
	doc = pelctl_json(_metadata, self->r, "-j set idle_us 777");
	ASSERT_NE(NULL, doc);
	EXPECT_STREQ("idle_us", jstr(doc, "name"));
	EXPECT_EQ(777, jnum(doc, "value"));
	EXPECT_EQ(self->info.idle_us, jnum(doc, "previous"));
	jfree(doc);
	ASSERT_EQ(0, pel_test_info(&info));
	EXPECT_EQ(777, info.idle_us);
	/* the object form does the same */
	run_pelctl(self->r, 0, "param set idle_us %u", self->info.idle_us);
	EXPECT_EQ(0, self->r->status) TH_LOG("%s", self->r->err);
	ASSERT_EQ(0, pel_test_info(&info));
	EXPECT_EQ(self->info.idle_us, info.idle_us);
}

TEST_F(pelctl, set_unknown_name)
{
	const char *err;
	struct jv *doc;

	run_pelctl(self->r, 0, "set bogus 1");
	EXPECT_EQ(2, self->r->status);
	EXPECT_NE(NULL, strstr(self->r->err, "bogus")) TH_LOG("%s", self->r->err);
	EXPECT_NE(NULL, strstr(self->r->err, "split_bytes"))
		TH_LOG("the valid names are not listed: %s", self->r->err);
	EXPECT_EQ('\0', self->r->out[0]);

	/* JSON mode: the error is a document on stdout */
	run_pelctl(self->r, 0, "-j set bogus 1");
	EXPECT_EQ(2, self->r->status);
	doc = json_parse(self->r->out, &err, NULL);
	ASSERT_NE(NULL, doc) TH_LOG("%s: %s", err, self->r->out);
	ASSERT_NE(NULL, jstr(doc, "error"));
	EXPECT_NE(NULL, strstr(jstr(doc, "error"), "bogus"));
	jfree(doc);

	run_pelctl(self->r, 0, "set ../../../../proc/sys/kernel/pid_max 1");
	EXPECT_EQ(2, self->r->status);

	/* a parameter given only at load */
	if (!access("/sys/module/pel/parameters/dev_mode", F_OK)) {
		run_pelctl(self->r, 0, "set dev_mode 0");
		EXPECT_EQ(2, self->r->status);
		EXPECT_NE(NULL, strstr(self->r->err, "read-only"))
			TH_LOG("%s", self->r->err);
	}
}

/* Values the module refuses: exit 1, the errno, the value unchanged. */
TEST_F(pelctl, set_refused)
{
	struct pel_info info;

	if (geteuid())
		SKIP(return, "needs root");
	run_pelctl(self->r, 0, "set batch 0");
	EXPECT_EQ(1, self->r->status);
	EXPECT_NE(NULL, strstr(self->r->err, "EINVAL")) TH_LOG("%s", self->r->err);
	EXPECT_NE(NULL, strstr(self->r->err, "batch")) TH_LOG("%s", self->r->err);
	run_pelctl(self->r, 0, "set split_bytes 4096");
	EXPECT_EQ(1, self->r->status);
	run_pelctl(self->r, 0, "set idle_us abc");
	EXPECT_EQ(1, self->r->status);
	run_pelctl(self->r, 0, "set idle_us -5");
	EXPECT_EQ(1, self->r->status) TH_LOG("%s", self->r->err);
	ASSERT_EQ(0, pel_test_info(&info));
	EXPECT_EQ(self->info.batch, info.batch);
	EXPECT_EQ(self->info.split_bytes, info.split_bytes);
	EXPECT_EQ(self->info.idle_us, info.idle_us);
	run_pelctl(self->r, 0, "set batch");
	EXPECT_EQ(2, self->r->status);
}

/*
 * A user who is not root: set is refused with a permission message; status
 * works (the device is world-readable in the VM) and shows none of root's
 * contexts.
 */
TEST_F(pelctl, not_root)
{
	const uid_t nobody = 65534;
	struct pel_info info;
	struct stat sb;
	struct jv *doc;
	const char *err;

	if (geteuid())
		SKIP(return, "needs root to become another user");
	workload(_metadata, &self->ring);
	run_pelctl(self->r, nobody, "set idle_us 123");
	if (self->r->status == 126 || self->r->status == 127)
		SKIP(return, "pelctl cannot be run as uid %u", nobody);
	EXPECT_EQ(1, self->r->status);
	EXPECT_NE(NULL, strstr(self->r->err, "permission")) TH_LOG("%s", self->r->err);
	ASSERT_EQ(0, pel_test_info(&info));
	EXPECT_EQ(self->info.idle_us, info.idle_us);

	/* The module's 0600 keeps nobody out: open the device for this part. */
	ASSERT_EQ(0, stat(PEL_DEVICE_PATH, &sb));
	ASSERT_EQ(0, chmod(PEL_DEVICE_PATH, 0666));
	run_pelctl(self->r, nobody, "status -j");
	ASSERT_EQ(0, chmod(PEL_DEVICE_PATH, sb.st_mode & 07777));
	if (access(PEL_DEVICE_PATH, R_OK) || self->r->status) {
		/* a device closed to others: then the message says so */
		EXPECT_EQ(1, self->r->status);
		EXPECT_NE(NULL, strstr(self->r->out, "permission"));
		return;
	}
	doc = json_parse(self->r->out, &err, NULL);
	ASSERT_NE(NULL, doc) TH_LOG("%s", err);
	EXPECT_EQ(NULL, own_context(_metadata, jget(doc, "contexts")))
		TH_LOG("another user sees our context");
	jfree(doc);
}

/* A device the user may not open (as udev's 0660 makes it): exit 1, why. */
TEST_F(pelctl, no_access)
{
	const uid_t nobody = 65534;
	const char *err;
	struct stat sb;
	struct jv *doc;
	int st_text, st_json;

	if (geteuid())
		SKIP(return, "needs root to become another user");
	ASSERT_EQ(0, stat(PEL_DEVICE_PATH, &sb));
	ASSERT_EQ(0, chmod(PEL_DEVICE_PATH, 0600));
	st_text = run_pelctl(self->r, nobody, "status");
	EXPECT_NE(NULL, strstr(self->r->err, "permission denied opening /dev/pel"))
		TH_LOG("%s", self->r->err);
	st_json = run_pelctl(self->r, nobody, "status -j");
	ASSERT_EQ(0, chmod(PEL_DEVICE_PATH, sb.st_mode & 07777));
	if (st_text == 126 || st_text == 127)
		SKIP(return, "pelctl cannot be run as uid %u", nobody);
	EXPECT_EQ(1, st_text);
	EXPECT_EQ(1, st_json);
	doc = json_parse(self->r->out, &err, NULL);
	ASSERT_NE(NULL, doc) TH_LOG("%s: %s", err, self->r->out);
	EXPECT_NE(NULL, jstr(doc, "error"));
	jfree(doc);
}

/* status -j's "liblpel": {"LPEL_BACKEND": env, "backend": want}, or none. */
static void expect_liblpel_json(struct __test_metadata *_metadata,
				const char *out, const char *env,
				const char *want)
{
	const struct jv *l;
	const char *err;
	struct jv *doc;

	doc = json_parse(out, &err, NULL);
	ASSERT_NE(NULL, doc) TH_LOG("%s: %s", err, out);
	l = jget(doc, "liblpel");
	if (!env) {
		EXPECT_EQ(NULL, l) TH_LOG("a liblpel member without LPEL_BACKEND");
	} else {
		ASSERT_NE(NULL, l) TH_LOG("no liblpel member: %s", out);
		EXPECT_STREQ(env, jstr(l, "LPEL_BACKEND"));
		EXPECT_STREQ(want, jstr(l, "backend"));
	}
	jfree(doc);
}

/*
 * What status says liblpel programs run on: with the module, a line only
 * for LPEL_BACKEND=user; without it (pelctl in a mount namespace with an
 * empty /dev), LPEL_BACKEND=auto's user backend, on stdout beside the
 * error; in JSON, "liblpel" whenever LPEL_BACKEND is set.
 */
TEST_F(pelctl, liblpel_backend)
{
	ASSERT_EQ(0, setenv("LPEL_BACKEND", "user", 1));
	EXPECT_EQ(0, run_pelctl(self->r, 0, "status")) TH_LOG("%s", self->r->err);
	EXPECT_NE(NULL, strstr(self->r->out,
			       "liblpel: programs here run on the user backend (LPEL_BACKEND=user)\n"))
		TH_LOG("%s", self->r->out);
	EXPECT_EQ(0, run_pelctl(self->r, 0, "status -j"));
	expect_liblpel_json(_metadata, self->r->out, "user", "user");

	ASSERT_EQ(0, setenv("LPEL_BACKEND", "auto", 1));
	EXPECT_EQ(0, run_pelctl(self->r, 0, "status"));
	EXPECT_EQ(NULL, strstr(self->r->out, "liblpel:")) TH_LOG("%s", self->r->out);
	EXPECT_EQ(0, run_pelctl(self->r, 0, "status -j"));
	expect_liblpel_json(_metadata, self->r->out, "auto", "kernel");

	ASSERT_EQ(0, unsetenv("LPEL_BACKEND"));
	EXPECT_EQ(0, run_pelctl(self->r, 0, "status"));
	EXPECT_EQ(NULL, strstr(self->r->out, "liblpel:")) TH_LOG("%s", self->r->out);
	EXPECT_EQ(0, run_pelctl(self->r, 0, "status -j"));
	expect_liblpel_json(_metadata, self->r->out, NULL, NULL);

	/* The module out of sight. */
	if (geteuid())
		SKIP(return, "needs root for a mount namespace");
	hide_dev = true;
	ASSERT_EQ(0, setenv("LPEL_BACKEND", "auto", 1));
	run_pelctl(self->r, 0, "status");
	if (self->r->status == 125) {
		hide_dev = false;
		SKIP(return, "no mount namespace with an empty /dev");
	}
	EXPECT_EQ(1, self->r->status);
	EXPECT_NE(NULL, strstr(self->r->err, "not loaded")) TH_LOG("%s", self->r->err);
	EXPECT_NE(NULL, strstr(self->r->out,
			       "liblpel: programs here run on the user backend (LPEL_BACKEND=auto, module absent)\n"))
		TH_LOG("%s", self->r->out);
	EXPECT_EQ(1, run_pelctl(self->r, 0, "status -j"));
	EXPECT_NE(NULL, strstr(self->r->out, "not loaded")) TH_LOG("%s", self->r->out);
	expect_liblpel_json(_metadata, self->r->out, "auto", "user");
	ASSERT_EQ(0, unsetenv("LPEL_BACKEND"));
	EXPECT_EQ(1, run_pelctl(self->r, 0, "status -j"));
	expect_liblpel_json(_metadata, self->r->out, NULL, NULL);
	hide_dev = false;
}

/* watch -n 2: two blocks, then exit 0; in JSON, two documents. */
TEST_F(pelctl, watch)
{
	const char *p, *err;
	unsigned int blocks = 0;
	struct jv *doc;
	size_t used;

	run_pelctl(self->r, 0, "watch -i 0.2 -n 2");
	ASSERT_EQ(0, self->r->status) TH_LOG("%s", self->r->err);
	for (p = self->r->out; (p = strstr(p, "time ")); p++)
		blocks += p == self->r->out || p[-1] == '\n';
	EXPECT_EQ(2, blocks) TH_LOG("%s", self->r->out);
	EXPECT_NE(NULL, strstr(self->r->out, "OPS/s"));
	EXPECT_EQ(NULL, strchr(self->r->out, '\033')) TH_LOG("escape codes without a tty");

	run_pelctl(self->r, 0, "-j watch -i 0.2 -n 2");
	ASSERT_EQ(0, self->r->status) TH_LOG("%s", self->r->err);
	/* one compact document a line */
	blocks = 0;
	for (p = self->r->out; *p; p += used) {
		const struct jv *w, *iv;

		doc = json_parse(p, &err, &used);
		ASSERT_NE(NULL, doc) TH_LOG("document %u: %s", blocks, err);
		EXPECT_EQ('\n', p[used - 1]);
		w = jget(doc, "workers");
		ASSERT_NE(NULL, w);
		ASSERT_EQ(J_ARR, w->t);
		EXPECT_EQ(sysconf(_SC_NPROCESSORS_ONLN), (long)w->n);
		EXPECT_NE(NULL, jget(doc, "ops"));
		EXPECT_NE(NULL, jget(doc, "contexts"));
		EXPECT_NE(NULL, jget(doc, "totals"));
		iv = jget(doc, "interval_s");
		ASSERT_NE(NULL, iv);
		EXPECT_TRUE(iv->t == J_NUM && iv->num > 0.15 && iv->num < 5)
			TH_LOG("interval_s %f", iv->num);
		jfree(doc);
		blocks++;
	}
	EXPECT_EQ(2, blocks);

	run_pelctl(self->r, 0, "watch -i 0");
	EXPECT_EQ(2, self->r->status);
	run_pelctl(self->r, 0, "watch -n x");
	EXPECT_EQ(2, self->r->status);
}

/* ------------------------------------------------------------------------
 * The OpenMetrics text format (status -o openmetrics), checked line by line.
 */
struct om_series {
	char *key;		/* name{labels} as printed */
	char *value;
};

struct om_doc {
	struct om_series *s;
	size_t n;
	unsigned int families;
};

static void om_free(struct om_doc *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->s[i].key);
		free(d->s[i].value);
	}
	free(d->s);
	memset(d, 0, sizeof(*d));
}

static bool om_name_char(char c, bool first)
{
	return isalpha((unsigned char)c) || c == '_' || c == ':' ||
	       (!first && isdigit((unsigned char)c));
}

/* A metric or label name at p: its length, 0 if none. */
static size_t om_name(const char *p)
{
	size_t n = 0;

	while (om_name_char(p[n], !n))
		n++;
	return n;
}

/* A number as the format has them: an integer or a float, or ±Inf, NaN. */
static bool om_number(const char *s)
{
	char *end;

	if (!strcmp(s, "+Inf") || !strcmp(s, "-Inf") || !strcmp(s, "NaN"))
		return true;
	if (!*s || isspace((unsigned char)*s))
		return false;
	strtod(s, &end);
	return !*end;
}

/*
 * Parse and check text: every line a # HELP, # TYPE, or sample line of
 * the grammar; each family's HELP then TYPE once, before its samples, its
 * samples together and named as its type wants (counter: _total;
 * histogram: _bucket, _count, _sum); every series once; # EOF the last
 * line.  Returns NULL, or what is wrong (msg).
 */
static const char *om_parse(const char *text, struct om_doc *d, char *msg,
			    size_t len)
{
	char family[128] = "", type[32] = "", help_of[128] = "";
	char **names = NULL;
	size_t nnames = 0, i;
	const char *line = text, *ret = NULL;
	unsigned int lineno = 0;
	bool eof = false;

	memset(d, 0, sizeof(*d));
	while (*line && !ret) {
		const char *nl = strchr(line, '\n'), *p;
		char buf[4096], key[4096], fam_name[128];
		size_t n = nl ? (size_t)(nl - line) : strlen(line), k;

		lineno++;
		if (!nl) {
			snprintf(msg, len, "line %u: no newline at the end", lineno);
			ret = msg;
			break;
		}
		if (eof) {
			snprintf(msg, len, "line %u: after # EOF", lineno);
			ret = msg;
			break;
		}
		if (n >= sizeof(buf)) {
			snprintf(msg, len, "line %u: too long", lineno);
			ret = msg;
			break;
		}
		memcpy(buf, line, n);
		buf[n] = '\0';
		line = nl + 1;
		if (!strcmp(buf, "# EOF")) {
			eof = true;
			continue;
		}
		if (!strncmp(buf, "# HELP ", 7) || !strncmp(buf, "# TYPE ", 7)) {
			bool is_type = buf[2] == 'T';

			p = buf + 7;
			k = om_name(p);
			if (!k || p[k] != ' ' || !p[k + 1] || k >= sizeof(fam_name)) {
				snprintf(msg, len, "line %u: bad %s line: %s", lineno,
					 is_type ? "TYPE" : "HELP", buf);
				ret = msg;
				break;
			}
			memcpy(fam_name, p, k);
			fam_name[k] = '\0';
			if (!is_type) {
				snprintf(help_of, sizeof(help_of), "%s", fam_name);
				continue;
			}
			if (strcmp(help_of, fam_name)) {
				snprintf(msg, len, "line %u: TYPE of %s without its HELP first",
					 lineno, fam_name);
				ret = msg;
				break;
			}
			p += k + 1;
			if (strcmp(p, "counter") && strcmp(p, "gauge") &&
			    strcmp(p, "histogram")) {
				snprintf(msg, len, "line %u: type '%s'", lineno, p);
				ret = msg;
				break;
			}
			for (i = 0; i < nnames; i++)
				if (!strcmp(names[i], fam_name)) {
					snprintf(msg, len, "line %u: family %s twice",
						 lineno, fam_name);
					ret = msg;
				}
			if (ret)
				break;
			names = realloc(names, (nnames + 1) * sizeof(*names));
			names[nnames++] = strdup(fam_name);
			snprintf(family, sizeof(family), "%s", fam_name);
			snprintf(type, sizeof(type), "%s", p);
			d->families++;
			continue;
		}
		if (buf[0] == '#') {
			snprintf(msg, len, "line %u: unknown comment: %s", lineno, buf);
			ret = msg;
			break;
		}
		/* a sample: name[{labels}] value */
		p = buf;
		k = om_name(p);
		if (!k) {
			snprintf(msg, len, "line %u: no metric name: %s", lineno, buf);
			ret = msg;
			break;
		}
		{
			char sname[128], want[160];
			bool ok = false;

			snprintf(sname, sizeof(sname), "%.*s", (int)k, p);
			if (!strcmp(type, "counter")) {
				snprintf(want, sizeof(want), "%s_total", family);
				ok = !strcmp(sname, want);
			} else if (!strcmp(type, "gauge")) {
				ok = !strcmp(sname, family);
			} else if (!strcmp(type, "histogram")) {
				size_t fl = strlen(family);

				ok = !strncmp(sname, family, fl) &&
				     (!strcmp(sname + fl, "_bucket") ||
				      !strcmp(sname + fl, "_count") ||
				      !strcmp(sname + fl, "_sum"));
			}
			if (!ok) {
				snprintf(msg, len, "line %u: sample %s is not of family %s (%s)",
					 lineno, sname, family, type);
				ret = msg;
				break;
			}
		}
		p += k;
		if (*p == '{') {
			p++;
			for (;;) {
				k = om_name(p);
				if (!k || p[k] != '=' || p[k + 1] != '"') {
					snprintf(msg, len, "line %u: bad label: %s", lineno, buf);
					ret = msg;
					break;
				}
				p += k + 2;
				while (*p && *p != '"') {
					if (*p == '\\') {
						if (p[1] != '\\' && p[1] != '"' && p[1] != 'n')
							break;
						p++;
					}
					p++;
				}
				if (*p != '"') {
					snprintf(msg, len, "line %u: bad label value: %s", lineno, buf);
					ret = msg;
					break;
				}
				p++;
				if (*p == ',') {
					p++;
					continue;
				}
				if (*p == '}') {
					p++;
					break;
				}
				snprintf(msg, len, "line %u: bad labels: %s", lineno, buf);
				ret = msg;
				break;
			}
			if (ret)
				break;
		}
		if (*p != ' ' || !om_number(p + 1)) {
			snprintf(msg, len, "line %u: bad value: %s", lineno, buf);
			ret = msg;
			break;
		}
		snprintf(key, sizeof(key), "%.*s", (int)(p - buf), buf);
		for (i = 0; i < d->n; i++)
			if (!strcmp(d->s[i].key, key)) {
				snprintf(msg, len, "line %u: series %s twice", lineno, key);
				ret = msg;
			}
		if (ret)
			break;
		d->s = realloc(d->s, (d->n + 1) * sizeof(*d->s));
		d->s[d->n].key = strdup(key);
		d->s[d->n].value = strdup(p + 1);
		d->n++;
	}
	if (!ret && !eof) {
		snprintf(msg, len, "no # EOF line at the end");
		ret = msg;
	}
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	return ret;
}

/* The value of series key, or NULL. */
static const char *om_get(const struct om_doc *d, const char *key)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->s[i].key, key))
			return d->s[i].value;
	return NULL;
}

/* The value of series key as a whole number; UINT64_MAX if none. */
static uint64_t om_u64(const struct om_doc *d, const char *key)
{
	const char *v = om_get(d, key);
	char *end;
	uint64_t n;

	if (!v)
		return UINT64_MAX;
	n = strtoull(v, &end, 10);
	return *end ? UINT64_MAX : n;
}

/*
 * status -o openmetrics against the known workload and against status -j:
 * the format's grammar, every series once, # EOF last; our context's
 * counters exact, the per-op counters and the workers as the JSON says.
 */
TEST_F(pelctl, status_openmetrics)
{
	static const char *const errs[] = {
		"EINVAL", "EFAULT", "ECANCELED", "ETIME", "EALREADY", "ENOENT",
		"ESRCH", "other",
	};
	char msg[8192], key[1024], ctx[256];
	const struct jv *jctx, *jop, *hist;
	struct om_doc d;
	struct jv *doc;
	const char *err;
	uint64_t prev;
	size_t i, b;

	workload(_metadata, &self->ring);
	doc = status_settled(_metadata, self->r, "status -j");
	ASSERT_NE(NULL, doc);
	run_pelctl(self->r, 0, "status -o openmetrics");
	ASSERT_EQ(0, self->r->status) TH_LOG("%s", self->r->err);
	EXPECT_EQ('\0', self->r->err[0]) TH_LOG("stderr: %s", self->r->err);
	err = om_parse(self->r->out, &d, msg, sizeof(msg));
	ASSERT_EQ(NULL, err) TH_LOG("%s\n%.3000s", err, self->r->out);
	EXPECT_LE(20, d.families);
	/* the last line */
	EXPECT_EQ(0, strcmp(self->r->out + strlen(self->r->out) - 6, "# EOF\n"));

	snprintf(key, sizeof(key), "pel_module_info{version=\"%s\",abi=\"%u\"}",
		 jstr(jget(doc, "module"), "version"), PEL_ABI_VERSION);
	EXPECT_EQ(1, om_u64(&d, key)) TH_LOG("%s", key);
	EXPECT_EQ(jget(doc, "workers")->n, om_u64(&d, "pel_workers"));
	EXPECT_EQ(self->info.batch, om_u64(&d, "pel_module_param{param=\"batch\"}"));
	EXPECT_EQ(self->info.split_bytes,
		  om_u64(&d, "pel_module_param{param=\"split_bytes\"}"));
	EXPECT_EQ(1, om_u64(&d, "pel_module_feature{feature=\"stats\"}"));
	for (i = 0; i < jget(doc, "workers")->n; i++) {
		const struct jv *w = jget(doc, "workers")->items[i];
		unsigned int states = 0;
		const char *const names[] = { "offline", "sleeping", "polling", "running" };

		for (b = 0; b < 4; b++) {
			snprintf(key, sizeof(key),
				 "pel_worker_state{worker=\"%zu\",cpu=\"%zu\",node=\"%llu\",state=\"%s\"}",
				 i, i, (unsigned long long)jnum(w, "node"), names[b]);
			ASSERT_NE(UINT64_MAX, om_u64(&d, key)) TH_LOG("no %s", key);
			states += om_u64(&d, key);
		}
		EXPECT_EQ(1, states);
		snprintf(key, sizeof(key),
			 "pel_worker_ops_total{worker=\"%zu\",cpu=\"%zu\",node=\"%llu\"}",
			 i, i, (unsigned long long)jnum(w, "node"));
		/* workers run others' ops meanwhile: at least what JSON saw */
		EXPECT_LE(jnum(w, "ops"), om_u64(&d, key)) TH_LOG("%s", key);
	}

	/* our context: exact */
	jctx = own_context(_metadata, jget(doc, "contexts"));
	ASSERT_NE(NULL, jctx);
	snprintf(ctx, sizeof(ctx), "ctx=\"%d:0\",pid=\"%d\",comm=\"%s\",uid=\"%u\"",
		 getpid(), getpid(), self->comm, geteuid());
#define CTX_KEY(name) (snprintf(key, sizeof(key), "%s{%s}", name, ctx), key)
	EXPECT_EQ(18, om_u64(&d, CTX_KEY("pel_context_submitted_total"))) TH_LOG("%s", key);
	EXPECT_EQ(18, om_u64(&d, CTX_KEY("pel_context_completed_total")));
	EXPECT_EQ(5000, om_u64(&d, CTX_KEY("pel_context_bytes_total")));
	EXPECT_EQ(0, om_u64(&d, CTX_KEY("pel_context_inflight")));
	EXPECT_EQ(64, om_u64(&d, CTX_KEY("pel_context_sq_entries")));
	EXPECT_EQ(128, om_u64(&d, CTX_KEY("pel_context_cq_entries")));
	EXPECT_EQ(self->ring.nr_queues, om_u64(&d, CTX_KEY("pel_context_queues")));
	EXPECT_EQ(self->info.max_inflight, om_u64(&d, CTX_KEY("pel_context_max_inflight")));
	EXPECT_EQ(jnum(jctx, "enters"), om_u64(&d, CTX_KEY("pel_context_enters_total")));
	EXPECT_EQ(jnum(jctx, "helped"), om_u64(&d, CTX_KEY("pel_context_helped_total")));
	EXPECT_EQ(jnum(jctx, "slow_batches"),
		  om_u64(&d, CTX_KEY("pel_context_slow_batches_total")));
	EXPECT_EQ(0, om_u64(&d, CTX_KEY("pel_context_registered_files")));
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		snprintf(key, sizeof(key), "pel_context_errors_total{%s,errno=\"%s\"}",
			 ctx, errs[i]);
		EXPECT_EQ(!strcmp(errs[i], "EINVAL") ? 2 : !strcmp(errs[i], "EFAULT"),
			  om_u64(&d, key)) TH_LOG("%s", key);
	}
	snprintf(key, sizeof(key), "pel_context_ops_total{%s,op=\"copy\"}", ctx);
	EXPECT_EQ(6, om_u64(&d, key));
	snprintf(key, sizeof(key), "pel_context_ops_total{%s,op=\"nop\"}", ctx);
	EXPECT_EQ(10, om_u64(&d, key));
	snprintf(key, sizeof(key), "pel_context_info{%s,cgroup=", ctx);
	for (i = 0, b = 0; i < d.n; i++)
		b += !strncmp(d.s[i].key, key, strlen(key));
	EXPECT_EQ(1, b) TH_LOG("%s...", key);
#undef CTX_KEY

	/* the per-op counters: nothing ran between the two looks */
	jop = find_op(jget(doc, "ops"), "copy");
	ASSERT_NE(NULL, jop);
	EXPECT_EQ(jnum(jop, "count"), om_u64(&d, "pel_op_completions_total{op=\"copy\"}"));
	EXPECT_EQ(jnum(jop, "bytes"), om_u64(&d, "pel_op_bytes_total{op=\"copy\"}"));
	EXPECT_EQ(jnum(jop, "errors"), om_u64(&d, "pel_op_errors_total{op=\"copy\"}"));
	EXPECT_EQ(0, om_u64(&d, "pel_op_file_bytes_total{op=\"copy\"}"));
	/*
	 * Its histogram: bucket b is the sum of the JSON's buckets up to b;
	 * +Inf and _count are all of them, the JSON's count.  The module's
	 * last bucket (2^31 ns and more) is in +Inf only: other tests of the
	 * same boot may have left copies that took that long.
	 */
#define COPY_LE "pel_op_latency_seconds_bucket{op=\"copy\",le="
	hist = jget(jop, "latency_buckets");
	ASSERT_NE(NULL, hist);
	ASSERT_EQ(J_ARR, hist->t);
	ASSERT_EQ(PEL_LAT_BUCKETS, hist->n);
	prev = 0;
	for (i = 0, b = 0; i < d.n; i++) {
		if (strncmp(d.s[i].key, COPY_LE, strlen(COPY_LE)) ||
		    !strcmp(d.s[i].key + strlen(COPY_LE), "\"+Inf\"}"))
			continue;
		ASSERT_GT(PEL_LAT_BUCKETS - 1, b) TH_LOG("%s", d.s[i].key);
		prev += hist->items[b]->u;
		EXPECT_EQ(prev, om_u64(&d, d.s[i].key)) TH_LOG("%s", d.s[i].key);
		b++;
	}
	EXPECT_EQ(PEL_LAT_BUCKETS - 1, b);
	prev += hist->items[PEL_LAT_BUCKETS - 1]->u;
	EXPECT_EQ(prev, om_u64(&d, "pel_op_latency_seconds_bucket{op=\"copy\",le=\"+Inf\"}"));
	EXPECT_EQ(prev, om_u64(&d, "pel_op_latency_seconds_count{op=\"copy\"}"));
	EXPECT_EQ(jnum(jop, "count"), prev);
	/* le: 2^(b+1) ns in seconds, the shortest decimal; the last bound 2^31 ns */
	EXPECT_NE(NULL, om_get(&d, "pel_op_latency_seconds_bucket{op=\"copy\",le=\"2e-09\"}"));
	EXPECT_NE(NULL, om_get(&d, "pel_op_latency_seconds_bucket{op=\"copy\",le=\"1.024e-06\"}"));
	EXPECT_NE(NULL, om_get(&d, "pel_op_latency_seconds_bucket{op=\"copy\",le=\"2.147483648\"}"));
	EXPECT_EQ(NULL, om_get(&d, "pel_op_latency_seconds_bucket{op=\"copy\",le=\"4.294967296\"}"));
#undef COPY_LE
	om_free(&d);
	jfree(doc);

	/* --output, the long form; only status takes it; not with -j */
	run_pelctl(self->r, 0, "--output openmetrics status");
	EXPECT_EQ(0, self->r->status);
	err = om_parse(self->r->out, &d, msg, sizeof(msg));
	EXPECT_EQ(NULL, err) TH_LOG("%s", err);
	om_free(&d);
	run_pelctl(self->r, 0, "status --output=openmetrics");
	EXPECT_EQ(0, self->r->status);
	run_pelctl(self->r, 0, "worker show -o openmetrics");
	EXPECT_EQ(2, self->r->status);
	EXPECT_STREQ("pelctl: worker: -o openmetrics is for status only\nTry 'pelctl help'.\n",
		     self->r->err);
	EXPECT_EQ('\0', self->r->out[0]);
	run_pelctl(self->r, 0, "-j -o openmetrics status");
	EXPECT_EQ(2, self->r->status);
	run_pelctl(self->r, 0, "-o yaml status");
	EXPECT_EQ(2, self->r->status);
	EXPECT_STREQ("pelctl: unknown output format 'yaml': text, json or openmetrics\nTry 'pelctl help'.\n",
		     self->r->err);
}

/*
 * dev_mode, a file mode, in octal: "0600" in get's text and, as a string,
 * in JSON (get and status).
 */
TEST_F(pelctl, dev_mode_octal)
{
	char raw[32], want[64];
	const struct jv *v;
	const char *p;
	unsigned long mode;
	struct jv *doc;
	FILE *f;

	f = fopen("/sys/module/pel/parameters/dev_mode", "r");
	if (!f)
		SKIP(return, "no dev_mode parameter");
	ASSERT_NE(NULL, fgets(raw, sizeof(raw), f));
	fclose(f);
	mode = strtoul(raw, NULL, 10);
	run_pelctl(self->r, 0, "get dev_mode");
	ASSERT_EQ(0, self->r->status) TH_LOG("%s", self->r->err);
	snprintf(want, sizeof(want), "dev_mode %04lo\n", mode);
	EXPECT_STREQ(want, self->r->out);
	doc = pelctl_json(_metadata, self->r, "-j get dev_mode");
	ASSERT_NE(NULL, doc);
	snprintf(want, sizeof(want), "%04lo", mode);
	EXPECT_STREQ(want, jstr(doc, "value"));
	jfree(doc);
	doc = pelctl_json(_metadata, self->r, "status -j");
	ASSERT_NE(NULL, doc);
	v = jget(jget(jget(doc, "module"), "params"), "dev_mode");
	ASSERT_NE(NULL, v);
	ASSERT_EQ(J_STR, v->t);
	EXPECT_STREQ(want, v->s);
	jfree(doc);
	run_pelctl(self->r, 0, "status");
	ASSERT_EQ(0, self->r->status);
	p = strstr(self->r->out, "\ndev_mode ");
	ASSERT_NE(NULL, p) TH_LOG("%s", self->r->out);
	p += strlen("\ndev_mode ");
	p += strspn(p, " ");
	snprintf(want, sizeof(want), "%04lo\n", mode);
	EXPECT_EQ(0, strncmp(p, want, strlen(want))) TH_LOG("%.40s", p);
}

/*
 * The help text and set's usage error list every parameter set accepts:
 * each writable file of /sys/module/pel/parameters/.
 */
#define SET_USAGE "pelctl: set: needs NAME VALUE (parameters: idle_us, batch, split_bytes, max_inflight, "

TEST_F(pelctl, help_lists_params)
{
	struct dirent *de;
	char path[512];
	struct stat sb;
	struct run *set;
	DIR *dir;
	unsigned int n = 0;

	set = calloc(1, sizeof(*set));
	ASSERT_NE(NULL, set);
	run_pelctl(self->r, 0, "help");
	ASSERT_EQ(0, self->r->status);
	run_pelctl(set, 0, "set");
	EXPECT_EQ(2, set->status);
	EXPECT_EQ(0, strncmp(set->err, SET_USAGE, strlen(SET_USAGE)))
		TH_LOG("%s", set->err);
	dir = opendir("/sys/module/pel/parameters");
	ASSERT_NE(NULL, dir);
	while ((de = readdir(dir))) {
		char word[300];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/module/pel/parameters/%s", de->d_name);
		ASSERT_EQ(0, stat(path, &sb));
		snprintf(word, sizeof(word), " %s", de->d_name);
		EXPECT_NE(NULL, strstr(self->r->out, word))
			TH_LOG("help does not list %s", de->d_name);
		if (sb.st_mode & 0222) {
			EXPECT_NE(NULL, strstr(set->err, word))
				TH_LOG("set's usage does not list %s: %s", de->d_name, set->err);
		} else {
			snprintf(word, sizeof(word), "Read-only (get): %s", de->d_name);
			EXPECT_NE(NULL, strstr(self->r->out, word)) TH_LOG("%s", self->r->out);
		}
		n++;
	}
	closedir(dir);
	free(set);
	EXPECT_LE(10, n);
}

/* bpftool's grammar: unknown words exit 2, help exits 0, prefixes work. */
TEST_F(pelctl, usage)
{
	const char *err;
	struct jv *doc;

	run_pelctl(self->r, 0, "bogus");
	EXPECT_EQ(2, self->r->status);
	EXPECT_NE(NULL, strstr(self->r->err, "bogus"));
	run_pelctl(self->r, 0, "status extra");
	EXPECT_EQ(2, self->r->status);
	run_pelctl(self->r, 0, "--bogus status");
	EXPECT_EQ(2, self->r->status);
	run_pelctl(self->r, 0, "worker bogus");
	EXPECT_EQ(2, self->r->status);
	run_pelctl(self->r, 0, "-j bogus");
	EXPECT_EQ(2, self->r->status);
	doc = json_parse(self->r->out, &err, NULL);
	ASSERT_NE(NULL, doc) TH_LOG("%s: %s", err, self->r->out);
	EXPECT_NE(NULL, jstr(doc, "error"));
	jfree(doc);
	run_pelctl(self->r, 0, "help");
	EXPECT_EQ(0, self->r->status);
	EXPECT_NE(NULL, strstr(self->r->out, "watch"));
	run_pelctl(self->r, 0, "sta");
	EXPECT_EQ(0, self->r->status);
	run_pelctl(self->r, 0, "%s", "");
	EXPECT_EQ(2, self->r->status);
	doc = pelctl_json(_metadata, self->r, "-j version");
	ASSERT_NE(NULL, doc);
	EXPECT_EQ(PEL_ABI_VERSION, jnum(jget(doc, "module"), "abi"));
	jfree(doc);
	/* getopt_long: long options, their prefixes, letters together */
	doc = pelctl_json(_metadata, self->r, "status --json");
	jfree(doc);
	doc = pelctl_json(_metadata, self->r, "--js worker");
	jfree(doc);
	run_pelctl(self->r, 0, "-jp op");
	EXPECT_EQ(0, self->r->status);
	EXPECT_EQ(0, strncmp(self->r->out, "[\n  {\n", 6)) TH_LOG("%.200s", self->r->out);
	run_pelctl(self->r, 0, "-x status");
	EXPECT_EQ(2, self->r->status);
	EXPECT_STREQ("pelctl: unknown option '-x'\nTry 'pelctl help'.\n", self->r->err);
	run_pelctl(self->r, 0, "--bogus status");
	EXPECT_STREQ("pelctl: unknown option '--bogus'\nTry 'pelctl help'.\n", self->r->err);
	run_pelctl(self->r, 0, "status -i 1");
	EXPECT_EQ(2, self->r->status);
	EXPECT_STREQ("pelctl: status: -i is an option of watch\nTry 'pelctl help'.\n", self->r->err);
	run_pelctl(self->r, 0, "watch -i");
	EXPECT_EQ(2, self->r->status);
	EXPECT_STREQ("pelctl: option '-i' needs an argument\nTry 'pelctl help'.\n", self->r->err);
	/* after "--", words only: -j is watch's (unexpected) argument */
	run_pelctl(self->r, 0, "watch -- -j");
	EXPECT_EQ(2, self->r->status);
	EXPECT_STREQ("pelctl: watch: unexpected argument '-j'\nTry 'pelctl help'.\n", self->r->err);
}

TEST_HARNESS_MAIN
