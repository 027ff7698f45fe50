// SPDX-License-Identifier: GPL-2.0
/*
 * The tools' JSON writer (tools/lib/json_writer.c, compiled in here): the
 * exact bytes it writes, compact and pretty; strings escaped (quotes,
 * backslashes, control characters and DEL as \u00XX; well-formed UTF-8 as
 * it is, any other byte as \ufffd; a char array cut at its size); 64-bit
 * integers in full; doubles as the shortest
 * decimal that reads back as the same double; NaN and infinities as null.
 * Runs on the host (tests/host-tests.list).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/lib/json_writer.c"
#include "kselftest_harness.h"

/* What the writer printed into a memory stream. */
struct out {
	char *buf;
	size_t len;
	FILE *f;
};

static void out_open(struct out *o)
{
	o->buf = NULL;
	o->len = 0;
	o->f = open_memstream(&o->buf, &o->len);
}

static const char *out_close(struct out *o)
{
	fclose(o->f);
	return o->buf;
}

static void doc(struct json_writer *jw)
{
	jsonw_start_object(jw);
	jsonw_uint_field(jw, "u", UINT64_MAX);
	jsonw_int_field(jw, "i", INT64_MIN);
	jsonw_string_field(jw, "s", "a\"b\\c\n\t\x01\x7f\xc3\xa9\xff\xc3(\xe2\x82\xac\xed\xa0\x80");
	jsonw_bool_field(jw, "t", true);
	jsonw_null_field(jw, "n");
	jsonw_array_field(jw, "a");
	jsonw_uint(jw, 1);
	jsonw_start_object(jw);
	jsonw_end_object(jw);
	jsonw_start_array(jw);
	jsonw_end_array(jw);
	jsonw_end_array(jw);
	jsonw_end_object(jw);
}

TEST(compact)
{
	struct json_writer jw;
	struct out o;

	out_open(&o);
	ASSERT_NE(NULL, o.f);
	jsonw_init(&jw, o.f, false);
	doc(&jw);
	EXPECT_STREQ("{\"u\":18446744073709551615,\"i\":-9223372036854775808,"
		     "\"s\":\"a\\\"b\\\\c\\n\\t\\u0001\\u007f\xc3\xa9\\ufffd\\ufffd(\xe2\x82\xac\\ufffd\\ufffd\\ufffd\","
		     "\"t\":true,\"n\":null,\"a\":[1,{},[]]}\n", out_close(&o));
	free(o.buf);
}

TEST(pretty)
{
	struct json_writer jw;
	struct out o;

	out_open(&o);
	ASSERT_NE(NULL, o.f);
	jsonw_init(&jw, o.f, true);
	doc(&jw);
	EXPECT_STREQ("{\n"
		     "  \"u\": 18446744073709551615,\n"
		     "  \"i\": -9223372036854775808,\n"
		     "  \"s\": \"a\\\"b\\\\c\\n\\t\\u0001\\u007f\xc3\xa9\\ufffd\\ufffd(\xe2\x82\xac\\ufffd\\ufffd\\ufffd\",\n"
		     "  \"t\": true,\n"
		     "  \"n\": null,\n"
		     "  \"a\": [\n"
		     "    1,\n"
		     "    {},\n"
		     "    []\n"
		     "  ]\n"
		     "}\n", out_close(&o));
	free(o.buf);
}

/* A char array without its NUL (a comm of 16 bytes) stops at its size. */
TEST(string_n)
{
	const char comm[4] = { 'a', 'b', 'c', 'd' };
	struct json_writer jw;
	struct out o;

	out_open(&o);
	jsonw_init(&jw, o.f, false);
	jsonw_start_array(&jw);
	jsonw_string_n(&jw, comm, sizeof(comm));
	jsonw_string_n_field(&jw, NULL, "xy\0z", 4);
	jsonw_end_array(&jw);
	EXPECT_STREQ("[\"abcd\",\"xy\"]\n", out_close(&o));
	free(o.buf);
}

/* Each double reads back as itself, in the fewest digits. */
TEST(doubles)
{
	static const struct {
		double v;
		const char *text;
	} cases[] = {
		{ 0.0, "0" }, { -0.0, "-0" }, { 1.0, "1" }, { 0.1, "0.1" },
		{ 1.0 / 3, "0.3333333333333333" }, { 100.0, "100" },
		{ 12345.678, "12345.678" }, { 1e300, "1e+300" },
		{ 5e-324, "5e-324" }, { DBL_MAX, "1.7976931348623157e+308" },
		{ 2e-9, "2e-09" }, { 1.5, "1.5" }, { 1e16, "10000000000000000" },
		{ 1e17, "1e+17" }, { 123456789012.5, "123456789012.5" },
		{ 0.1 + 0.2, "0.30000000000000004" }, { -2.5e-5, "-2.5e-05" },
	};
	struct json_writer jw;
	struct out o;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[64];

		out_open(&o);
		jsonw_init(&jw, o.f, false);
		jsonw_double(&jw, cases[i].v);
		snprintf(want, sizeof(want), "%s\n", cases[i].text);
		EXPECT_STREQ(want, out_close(&o));
		EXPECT_EQ(cases[i].v, strtod(o.buf, NULL)) TH_LOG("%s", o.buf);
		free(o.buf);
	}
	out_open(&o);
	jsonw_init(&jw, o.f, false);
	jsonw_start_array(&jw);
	jsonw_double(&jw, NAN);
	jsonw_double(&jw, INFINITY);
	jsonw_double_field(&jw, NULL, -INFINITY);
	jsonw_double_fmt(&jw, "%.3f", 2.0 / 3);
	jsonw_double_fmt(&jw, "%.3f", NAN);
	jsonw_end_array(&jw);
	EXPECT_STREQ("[null,null,null,0.667,null]\n", out_close(&o));
	free(o.buf);
}

/* A value at the top is a document of its own, on its line. */
TEST(top_level_scalar)
{
	struct json_writer jw;
	struct out o;

	out_open(&o);
	jsonw_init(&jw, o.f, true);
	jsonw_null(&jw);
	jsonw_uint(&jw, 7);
	jsonw_string(&jw, "x");
	EXPECT_STREQ("null\n7\n\"x\"\n", out_close(&o));
	free(o.buf);
}

TEST_HARNESS_MAIN
