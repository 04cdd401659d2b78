/*
 * mono.h - the monotonic clock in milliseconds, for the deadlines and
 * timeouts of AVEC's programs (never a time of day: it does not move
 * when the clock is set).
 */
#ifndef AVEC_MONO_H
#define AVEC_MONO_H

#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC, from an unspecified start. */
int64_t avec_mono_ms(void);

#endif
