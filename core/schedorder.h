/*
 * The order of a scheduling pass's queue (internal to sched.c): highest
 * effective priority first (sched_priority()), then the earlier submit
 * time, then the lower id, then the input's order, as the stable merge
 * sort of that comparison always gave.
 *
 * Ten thousand jobs are ranked by their priorities' bits with a radix
 * sort, and only jobs of equal priority are merge sorted by the whole
 * comparison: the merge sort of every job was a sixth of an EASY pass.
 * Pure, like sched.c: it allocates its scratch and frees it.
 */
#ifndef CTL_SCHEDORDER_H
#define CTL_SCHEDORDER_H

#include "sched.h"

/* Fills order (room for in->npending) with the pending jobs' indices,
 * first to go first. 0, or -1 on allocation failure. */
int so_order(const struct sched_input *in, int *order);

#endif
