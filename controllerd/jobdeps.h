/*
 * Job dependencies as sbatch writes them ("afterok:12:13,afterany:14",
 * "afternotok:9", "singleton"): checked at submit, and asked on every
 * scheduling pass whether a job may go.
 */
#ifndef CTL_JOBDEPS_H
#define CTL_JOBDEPS_H

#include <stddef.h>

struct ctl_state;
struct job;

/* Checks and normalises j->dependency at submit: its syntax, that every
 * job it names exists, that it makes no cycle. 0, or -1 with err and
 * *status (400). */
int jobdeps_admit(
    struct ctl_state *st, struct job *j, char *err, size_t errlen, int *status);
/* Why j waits for other jobs: "Dependency" or "DependencyNeverSatisfied"
 * (static text), or NULL when it need not. */
const char *jobdeps_hold(struct ctl_state *st, const struct job *j);

#endif
