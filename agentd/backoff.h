/*
 * Retry delays after a failed report: exponential from 1 s, doubling to a
 * cap of 30 s, each spread by ±20 % so that a pod of agents that lost the
 * controller together does not come back in lock-step. Pure: the caller
 * brings the random number, so tests can pin it.
 */
#ifndef AGENT_BACKOFF_H
#define AGENT_BACKOFF_H

#include <stdint.h>

#define BACKOFF_BASE_MS 1000  /* delay after the first failure */
#define BACKOFF_MAX_MS  30000 /* longest delay before jitter */
#define BACKOFF_JITTER  0.2   /* ± fraction of the delay */

/* The delay before retry number `failures` + 1, failures counting from 0:
 * min(BACKOFF_BASE_MS * 2^failures, BACKOFF_MAX_MS) scaled by a factor in
 * [1 - BACKOFF_JITTER, 1 + BACKOFF_JITTER) chosen by u in [0, 1). */
int64_t backoff_delay_ms(unsigned failures, double u);
/* The longest delay (BACKOFF_MAX_MS), with the same jitter. */
int64_t backoff_max_ms(double u);
/* A delay the server asked for (Retry-After, ms), spread over
 * [asked_ms, asked_ms * (1 + BACKOFF_JITTER)) by u in [0, 1): never
 * sooner, so that a pod of agents told together does not come back in
 * one instant. */
int64_t backoff_after_ms(int64_t asked_ms, double u);

#endif
