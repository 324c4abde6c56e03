/*
 * A test rig: the controller state the job queue reads (config, fleet with
 * every node up, a temporary store, the envelope, the organisation,
 * fair-share usage, an event base run without blocking), built from a
 * config file and a database path and torn down per case. The queue and
 * job-array unit tests share it.
 */
#ifndef TEST_CTLRIG_H
#define TEST_CTLRIG_H

#include "ctl.h"

/* Builds st from conf_path and the database db. 0, or -1 (said on
 * stdout); ctlrig_close() releases what was built either way. */
int ctlrig_open(struct ctl_state *st, const char *conf_path, const char *db);
void ctlrig_close(struct ctl_state *st);

#endif
