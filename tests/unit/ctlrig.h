/*
 * A test rig: the controller state the job queue reads (config, fleet with
 * every node up, a temporary store, the envelope, the organisation,
 * fair-share usage, an event base run without blocking), built from a
 * config file and a database path and torn down per case. The queue and
 * job-array unit tests share it.
 */
#ifndef TEST_CTLRIG_H
#define TEST_CTLRIG_H

#include <stddef.h>

#include "ctl.h"

/*
 * Files of a test run: a temporary folder made from the template dir
 * ("/tmp/NAME-XXXXXX", changed in place) holding the config text as
 * t.conf, whose path goes into conf_path (size bytes). 0 or -1.
 */
int ctlrig_files(
    char *dir, const char *conf_text, char *conf_path, size_t size);
/* The database of case i, DIR/PREFIXi.db, into db (size bytes). */
void ctlrig_db(
    char *db, size_t size, const char *dir, const char *prefix, size_t i);
/* Removes the n cases' databases and the config, then dir, unless
 * POD_KEEP_TMP is set. */
void ctlrig_clean(const char *dir, const char *prefix, size_t n);

/* Builds st from conf_path and the database db. 0, or -1 (said on
 * stdout); ctlrig_close() releases what was built either way. */
int ctlrig_open(struct ctl_state *st, const char *conf_path, const char *db);
void ctlrig_close(struct ctl_state *st);

#endif
