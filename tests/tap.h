/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The TAP output of the unit tests that do not use the kselftest harness
 * (uops_unit, crc_combine_unit): one "ok N - ..." or "not ok N - ..." line
 * per check, then tap_done()'s plan and the exit status.  One translation
 * unit per program, so the counters live here.
 */
#ifndef PEL_TAP_H
#define PEL_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static unsigned int tap_nr_tests, tap_nr_failed;

static inline __attribute__((format(printf, 2, 3)))
bool check(bool cond, const char *fmt, ...)
{
	va_list ap;

	tap_nr_tests++;
	if (!cond)
		tap_nr_failed++;
	printf("%sok %u - ", cond ? "" : "not ", tap_nr_tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return cond;
}

/* The plan and the failure count; the program's exit status. */
static inline int tap_done(void)
{
	printf("1..%u\n# %u failed\n", tap_nr_tests, tap_nr_failed);
	return tap_nr_failed ? 1 : 0;
}

#endif /* PEL_TAP_H */
