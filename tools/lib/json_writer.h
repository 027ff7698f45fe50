/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A small streaming JSON writer for PEL's tools (pelctl, pelbench), in the
 * shape of bpftool's json_writer: start/end an object or array, name a
 * member, then write its value.  Every value function has a _field form
 * that names the member first (name NULL: no name, for array elements).
 *
 *	struct json_writer jw;
 *
 *	jsonw_init(&jw, stdout, pretty);
 *	jsonw_start_object(&jw);
 *	jsonw_uint_field(&jw, "ops", 42);
 *	jsonw_name(&jw, "cpus");
 *	jsonw_start_array(&jw);
 *	jsonw_uint(&jw, 0);
 *	jsonw_end_array(&jw);
 *	jsonw_end_object(&jw);		// prints "\n" after the outermost value
 *
 * Compact mode writes one line per document ({"ops":42,"cpus":[0]}), pretty
 * mode indents by two spaces ("key": value).  The output is always valid
 * JSON: strings are escaped (", \, control characters and DEL as \u00XX),
 * well-formed UTF-8 passes as it is, and a byte that is not part of any
 * (a comm need not be UTF-8) is U+FFFD, \ufffd; integers are printed exactly (uint64/int64 in full,
 * no double on the way); doubles as the shortest decimal that reads back
 * as the same double (%.17g at most); NaN and infinities, which JSON lacks,
 * as null.  Nesting deeper than JSONW_MAX_DEPTH is a bug of the caller and
 * aborts.  Errors of the stream are the stream's: check ferror(out).
 */
#ifndef PEL_JSON_WRITER_H
#define PEL_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSONW_MAX_DEPTH		32

struct json_writer {
	FILE *out;
	bool pretty;
	bool after_name;		/* a name was written, its value is next */
	unsigned int depth;
	bool first[JSONW_MAX_DEPTH + 1];	/* no value yet at this depth */
};

void jsonw_init(struct json_writer *jw, FILE *out, bool pretty);
void jsonw_pretty(struct json_writer *jw, bool on);

/* The name of the next member of the current object. */
void jsonw_name(struct json_writer *jw, const char *name);

void jsonw_start_object(struct json_writer *jw);
void jsonw_end_object(struct json_writer *jw);
void jsonw_start_array(struct json_writer *jw);
void jsonw_end_array(struct json_writer *jw);

/* A NUL-terminated string. */
void jsonw_string(struct json_writer *jw, const char *s);
/* At most max bytes of s, fewer if it holds a NUL (a char[16] comm). */
void jsonw_string_n(struct json_writer *jw, const char *s, size_t max);
void jsonw_uint(struct json_writer *jw, uint64_t v);
void jsonw_int(struct json_writer *jw, int64_t v);
/* Shortest round-trip decimal; null for NaN and infinities. */
void jsonw_double(struct json_writer *jw, double v);
/*
 * v as jsonw_double() prints it, into buf (40 bytes do); its digits.  For
 * other formats that want the same numbers (OpenMetrics).
 */
int jsonw_fmt_double(char *buf, size_t len, double v);
/* With a printf format of the caller's ("%.3f"); null for NaN and infinities. */
void jsonw_double_fmt(struct json_writer *jw, const char *fmt, double v);
void jsonw_bool(struct json_writer *jw, bool v);
void jsonw_null(struct json_writer *jw);

/* name (NULL: none), then the value. */
void jsonw_object_field(struct json_writer *jw, const char *name);
void jsonw_array_field(struct json_writer *jw, const char *name);
void jsonw_string_field(struct json_writer *jw, const char *name,
			const char *s);
void jsonw_string_n_field(struct json_writer *jw, const char *name,
			  const char *s, size_t max);
void jsonw_uint_field(struct json_writer *jw, const char *name, uint64_t v);
void jsonw_int_field(struct json_writer *jw, const char *name, int64_t v);
void jsonw_double_field(struct json_writer *jw, const char *name, double v);
void jsonw_bool_field(struct json_writer *jw, const char *name, bool v);
void jsonw_null_field(struct json_writer *jw, const char *name);

#endif /* PEL_JSON_WRITER_H */
