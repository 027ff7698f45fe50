// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The JSON writer of PEL's tools: json_writer.h says what it writes.  It
 * keeps, per nesting level, whether a value was written there yet (for the
 * commas), and whether a member's name was just written (its value then
 * follows on the same line).
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"

void jsonw_init(struct json_writer *jw, FILE *out, bool pretty)
{
	memset(jw, 0, sizeof(*jw));
	jw->out = out;
	jw->pretty = pretty;
}

void jsonw_pretty(struct json_writer *jw, bool on)
{
	jw->pretty = on;
}

static void jsonw_newline(struct json_writer *jw)
{
	unsigned int i;

	if (!jw->pretty)
		return;
	fputc('\n', jw->out);
	for (i = 0; i < jw->depth; i++)
		fputs("  ", jw->out);
}

/* Before any value or name: the comma and, pretty, the line break. */
static void jsonw_sep(struct json_writer *jw)
{
	if (jw->after_name) {
		jw->after_name = false;
		return;
	}
	if (!jw->depth)
		return;
	if (!jw->first[jw->depth])
		fputc(',', jw->out);
	jw->first[jw->depth] = false;
	jsonw_newline(jw);
}

/*
 * The length of the well-formed UTF-8 sequence at s[0, max) (RFC 3629: no
 * overlong forms, no surrogates, nothing past U+10FFFF), or 0.
 */
static size_t jsonw_utf8_len(const unsigned char *s, size_t max)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n > max)
		return 0;
	for (i = 1; i < n; i++) {
		if (s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	return n;
}

/*
 * A JSON string: quotes, backslashes and control characters escaped;
 * well-formed UTF-8 as it is; any other byte (a comm or a path need not be
 * UTF-8) as U+FFFD, so that the document is always valid UTF-8.
 */
static void jsonw_quoted(struct json_writer *jw, const char *s, size_t max)
{
	size_t i, n;

	fputc('"', jw->out);
	for (i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80) {
			n = jsonw_utf8_len((const unsigned char *)s + i,
					   strnlen(s + i, max - i));
			if (!n) {
				fputs("\\ufffd", jw->out);
				continue;
			}
			fwrite(s + i, 1, n, jw->out);
			i += n - 1;
			continue;
		}

		switch (c) {
		case '"':
			fputs("\\\"", jw->out);
			break;
		case '\\':
			fputs("\\\\", jw->out);
			break;
		case '\n':
			fputs("\\n", jw->out);
			break;
		case '\t':
			fputs("\\t", jw->out);
			break;
		case '\r':
			fputs("\\r", jw->out);
			break;
		case '\b':
			fputs("\\b", jw->out);
			break;
		case '\f':
			fputs("\\f", jw->out);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(jw->out, "\\u%04x", c);
			else
				fputc(c, jw->out);
		}
	}
	fputc('"', jw->out);
}

void jsonw_name(struct json_writer *jw, const char *name)
{
	jsonw_sep(jw);
	jsonw_quoted(jw, name, SIZE_MAX);
	fputs(jw->pretty ? ": " : ":", jw->out);
	jw->after_name = true;
}

static void jsonw_open(struct json_writer *jw, char c)
{
	jsonw_sep(jw);
	if (jw->depth == JSONW_MAX_DEPTH) {
		fprintf(stderr, "json_writer: nesting deeper than %d\n",
			JSONW_MAX_DEPTH);
		abort();
	}
	fputc(c, jw->out);
	jw->depth++;
	jw->first[jw->depth] = true;
}

static void jsonw_close(struct json_writer *jw, char c)
{
	bool empty = jw->first[jw->depth];

	if (jw->depth)
		jw->depth--;
	if (!empty)
		jsonw_newline(jw);
	fputc(c, jw->out);
	if (!jw->depth)
		fputc('\n', jw->out);
}

void jsonw_start_object(struct json_writer *jw)
{
	jsonw_open(jw, '{');
}

void jsonw_end_object(struct json_writer *jw)
{
	jsonw_close(jw, '}');
}

void jsonw_start_array(struct json_writer *jw)
{
	jsonw_open(jw, '[');
}

void jsonw_end_array(struct json_writer *jw)
{
	jsonw_close(jw, ']');
}

/* A scalar at depth 0 is a document of its own: it ends its line. */
static void jsonw_scalar_end(struct json_writer *jw)
{
	if (!jw->depth)
		fputc('\n', jw->out);
}

void jsonw_string_n(struct json_writer *jw, const char *s, size_t max)
{
	jsonw_sep(jw);
	jsonw_quoted(jw, s, max);
	jsonw_scalar_end(jw);
}

void jsonw_string(struct json_writer *jw, const char *s)
{
	jsonw_string_n(jw, s, SIZE_MAX);
}

void jsonw_uint(struct json_writer *jw, uint64_t v)
{
	jsonw_sep(jw);
	fprintf(jw->out, "%" PRIu64, v);
	jsonw_scalar_end(jw);
}

void jsonw_int(struct json_writer *jw, int64_t v)
{
	jsonw_sep(jw);
	fprintf(jw->out, "%" PRId64, v);
	jsonw_scalar_end(jw);
}

/*
 * The fewest significant digits that read back as v (17 always do); and
 * at least its integer digits below 1e17, so that 100 is "100", not the
 * "1e+02" %g would make of one digit.
 */
int jsonw_fmt_double(char *buf, size_t len, double v)
{
	double a = v < 0 ? -v : v, p;
	int prec, min = 1;

	for (p = 10; a < 1e17 && a >= p; p *= 10)
		min++;
	for (prec = min; prec < 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return prec;
	}
	snprintf(buf, len, "%.17g", v);
	return 17;
}

void jsonw_double(struct json_writer *jw, double v)
{
	char buf[40];

	jsonw_sep(jw);
	if (!isfinite(v)) {
		fputs("null", jw->out);
	} else {
		jsonw_fmt_double(buf, sizeof(buf), v);
		fputs(buf, jw->out);
	}
	jsonw_scalar_end(jw);
}

void jsonw_double_fmt(struct json_writer *jw, const char *fmt, double v)
{
	jsonw_sep(jw);
	if (!isfinite(v))
		fputs("null", jw->out);
	else
		fprintf(jw->out, fmt, v);
	jsonw_scalar_end(jw);
}

void jsonw_bool(struct json_writer *jw, bool v)
{
	jsonw_sep(jw);
	fputs(v ? "true" : "false", jw->out);
	jsonw_scalar_end(jw);
}

void jsonw_null(struct json_writer *jw)
{
	jsonw_sep(jw);
	fputs("null", jw->out);
	jsonw_scalar_end(jw);
}

static void jsonw_maybe_name(struct json_writer *jw, const char *name)
{
	if (name)
		jsonw_name(jw, name);
}

void jsonw_object_field(struct json_writer *jw, const char *name)
{
	jsonw_maybe_name(jw, name);
	jsonw_start_object(jw);
}

void jsonw_array_field(struct json_writer *jw, const char *name)
{
	jsonw_maybe_name(jw, name);
	jsonw_start_array(jw);
}

void jsonw_string_field(struct json_writer *jw, const char *name,
			const char *s)
{
	jsonw_maybe_name(jw, name);
	jsonw_string(jw, s);
}

void jsonw_string_n_field(struct json_writer *jw, const char *name,
			  const char *s, size_t max)
{
	jsonw_maybe_name(jw, name);
	jsonw_string_n(jw, s, max);
}

void jsonw_uint_field(struct json_writer *jw, const char *name, uint64_t v)
{
	jsonw_maybe_name(jw, name);
	jsonw_uint(jw, v);
}

void jsonw_int_field(struct json_writer *jw, const char *name, int64_t v)
{
	jsonw_maybe_name(jw, name);
	jsonw_int(jw, v);
}

void jsonw_double_field(struct json_writer *jw, const char *name, double v)
{
	jsonw_maybe_name(jw, name);
	jsonw_double(jw, v);
}

void jsonw_bool_field(struct json_writer *jw, const char *name, bool v)
{
	jsonw_maybe_name(jw, name);
	jsonw_bool(jw, v);
}

void jsonw_null_field(struct json_writer *jw, const char *name)
{
	jsonw_maybe_name(jw, name);
	jsonw_null(jw);
}
