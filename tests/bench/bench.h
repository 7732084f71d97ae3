/* SPDX-License-Identifier: ISC */
/* What every benchmark of tests/bench needs: a monotonic clock. */
#ifndef STICA_BENCH_H
#define STICA_BENCH_H

#include <time.h>

/* Seconds on CLOCK_MONOTONIC, for intervals. */
static inline double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif /* STICA_BENCH_H */
