/* SPDX-License-Identifier: ISC */
/*
 * A tiny unit-test harness in the manner of OpenSSH's test_helper: typed
 * assertions that print file:line and both values, one function per test,
 * and a closing line "N passed, N failed" (docs/testing.md).
 *
 * A failed assertion ends the current test (it returns from the test
 * function) and the run continues with the next one.
 */
#ifndef STICA_TEST_HARNESS_H
#define STICA_TEST_HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int th_passed, th_failed, th_cur_failed;
static const char *th_cur;

#define TH_UNUSED __attribute__((unused))

TH_UNUSED static void
th_fail_hdr(const char *file, int line)
{
	if (!th_cur_failed)
		fprintf(stderr, "FAIL %s\n", th_cur);
	th_cur_failed = 1;
	fprintf(stderr, "  %s:%d: ", file, line);
}

TH_UNUSED static void
th_hexdump(const char *label, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	fprintf(stderr, "    %s (%zu):", label, n);
	for (i = 0; i < n && i < 96; i++)
		fprintf(stderr, "%02x", b[i]);
	fprintf(stderr, "%s\n", n > 96 ? "..." : "");
}

#define ASSERT_TRUE(x) do { \
	if (!(x)) { \
		th_fail_hdr(__FILE__, __LINE__); \
		fprintf(stderr, "expected true: %s\n", #x); \
		return; \
	} \
} while (0)

#define ASSERT_FALSE(x) ASSERT_TRUE(!(x))

#define ASSERT_INT_EQ(a, b) do { \
	long long th_a = (long long)(a), th_b = (long long)(b); \
	if (th_a != th_b) { \
		th_fail_hdr(__FILE__, __LINE__); \
		fprintf(stderr, "%s == %s: %lld != %lld\n", #a, #b, th_a, \
		    th_b); \
		return; \
	} \
} while (0)

#define ASSERT_INT_NE(a, b) do { \
	long long th_a = (long long)(a), th_b = (long long)(b); \
	if (th_a == th_b) { \
		th_fail_hdr(__FILE__, __LINE__); \
		fprintf(stderr, "%s != %s: both %lld\n", #a, #b, th_a); \
		return; \
	} \
} while (0)

#define ASSERT_U64_EQ(a, b) do { \
	uint64_t th_a = (uint64_t)(a), th_b = (uint64_t)(b); \
	if (th_a != th_b) { \
		th_fail_hdr(__FILE__, __LINE__); \
		fprintf(stderr, "%s == %s: %" PRIu64 " != %" PRIu64 "\n", \
		    #a, #b, th_a, th_b); \
		return; \
	} \
} while (0)

#define ASSERT_STR_EQ(a, b) do { \
	const char *th_a = (a), *th_b = (b); \
	if (th_a == NULL || th_b == NULL || strcmp(th_a, th_b) != 0) { \
		th_fail_hdr(__FILE__, __LINE__); \
		fprintf(stderr, "%s == %s: \"%s\" != \"%s\"\n", #a, #b, \
		    th_a ? th_a : "(null)", th_b ? th_b : "(null)"); \
		return; \
	} \
} while (0)

/* a contains b as a substring */
#define ASSERT_STR_CONTAINS(a, b) do { \
	const char *th_a = (a), *th_b = (b); \
	if (th_a == NULL || th_b == NULL || strstr(th_a, th_b) == NULL) { \
		th_fail_hdr(__FILE__, __LINE__); \
		fprintf(stderr, "%s contains %s: \"%s\" lacks \"%s\"\n", #a, \
		    #b, th_a ? th_a : "(null)", th_b ? th_b : "(null)"); \
		return; \
	} \
} while (0)

#define ASSERT_MEM_EQ(a, alen, b, blen) do { \
	size_t th_al = (size_t)(alen), th_bl = (size_t)(blen); \
	if (th_al != th_bl || memcmp((a), (b), th_al) != 0) { \
		th_fail_hdr(__FILE__, __LINE__); \
		fprintf(stderr, "%s == %s\n", #a, #b); \
		th_hexdump("got     ", (a), th_al); \
		th_hexdump("expected", (b), th_bl); \
		return; \
	} \
} while (0)

#define ASSERT_PTR_NE(a, b) do { \
	if ((const void *)(a) == (const void *)(b)) { \
		th_fail_hdr(__FILE__, __LINE__); \
		fprintf(stderr, "%s != %s\n", #a, #b); \
		return; \
	} \
} while (0)

#define ASSERT_NONNULL(a) ASSERT_PTR_NE(a, NULL)

/* Run one test function. */
#define RUN(fn) th_run(#fn, fn)

TH_UNUSED static void
th_run(const char *name, void (*fn)(void))
{
	th_cur = name;
	th_cur_failed = 0;
	fn();
	if (th_cur_failed)
		th_failed++;
	else {
		th_passed++;
		if (getenv("TH_VERBOSE") != NULL)
			fprintf(stderr, "ok   %s\n", name);
	}
}

/* Print the closing line; returns the process exit status. */
TH_UNUSED static int
th_done(const char *suite)
{
	printf("%s: %d passed, %d failed\n", suite, th_passed, th_failed);
	return th_failed == 0 ? 0 : 1;
}

#endif /* STICA_TEST_HARNESS_H */
