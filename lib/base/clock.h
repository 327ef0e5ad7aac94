/* clock.h -- the monotonic clock in the units programs count in */
/* SPDX-License-Identifier: ISC */
#ifndef CLOCK_H
#define CLOCK_H

/* Milliseconds on CLOCK_MONOTONIC (not wall time; for intervals). */
long long clock_ms(void);

/* Microseconds on CLOCK_MONOTONIC. */
long long clock_us(void);

/* Microseconds since the epoch (wall time; for timestamps, not intervals). */
long long clock_wall_us(void);

#endif
