/*
 * check.h: the one harness of the unit tests. A test program includes it
 * once (it defines its counters as statics of that file), checks with
 * CHECK, stops a case with REQUIRE, runs its table of case functions with
 * RUN_CASE, and ends main with `return check_summary("name");`, which
 * prints the line CI reads, "name: N passed, M failed", and fails the
 * program on any failed check or when no check ran at all.
 *
 * CHECK(cond, fmt, ...) records one check: a failure prints
 * "FILE:LINE: cond: message" on stdout and the test goes on, so one run
 * shows every broken case of a table. The message is optional; it says
 * which row of a table failed and what was got. CHECK is an expression
 * with the value 1 or 0, for the rare check that decides what follows.
 *
 * REQUIRE(cond, fmt, ...) is CHECK that jumps to the function's `fail:`
 * label when it fails: for a check whose failure would make the next lines
 * meaningless or unsafe (a NULL handle), and the label releases what the
 * case holds.
 */
#ifndef POD_TEST_CHECK_H
#define POD_TEST_CHECK_H

#include <stdarg.h>
#include <stdio.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int check_passed, check_failed; /* checks of this program */
static int check_case_failed;          /* check_failed when a case began */

/* Records one check and prints it when it failed; returns ok. */
static inline int __attribute__((format(printf, 5, 6))) check_at(
    const char *file, int line, int ok, const char *expr, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		check_passed++;
		return 1;
	}
	check_failed++;
	printf("FAIL %s:%d: %s:", file, line, expr);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return 0;
}

/* The leading " " keeps the format non-empty when no message is given. */
#define CHECK(cond, ...)                                                       \
	check_at(__FILE__, __LINE__, (cond) ? 1 : 0, #cond, " " __VA_ARGS__)

#define REQUIRE(cond, ...)                                                     \
	do {                                                                   \
		if (!CHECK(cond, __VA_ARGS__))                                 \
			goto fail;                                             \
	} while (0)

/* Marks the start of a case; see RUN_CASE. */
static inline void
check_case_begin(void)
{
	check_case_failed = check_failed;
}

/*
 * Ends the case `name` that returned rc (0 passed, -1 failed): a case that
 * failed without a failed check counts as one, and a failed case is named.
 */
static inline int
check_case_end(const char *name, int rc)
{
	if (rc != 0 && check_failed == check_case_failed) {
		check_failed++;
		printf("FAIL case: %s: returned %d without a failed check\n",
		    name, rc);
	} else if (check_failed != check_case_failed) {
		printf("FAIL case: %s\n", name);
	}
	return rc;
}

/* Runs one case of a table: RUN_CASE(cases[i].name, cases[i].fn(arg)). */
#define RUN_CASE(name, call)                                                   \
	(check_case_begin(), check_case_end((name), (call)))

/*
 * Prints "prog: N passed, M failed" and returns the exit status: 0 when
 * checks ran and none failed, 1 otherwise.
 */
static inline int
check_summary(const char *prog)
{
	printf("%s: %d passed, %d failed\n", prog, check_passed, check_failed);
	if (check_passed + check_failed == 0)
		printf("%s: no check ran\n", prog);
	return check_failed != 0 || check_passed == 0;
}

#endif
