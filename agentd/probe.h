/*
 * pod-agentd --probe: what each configured plugin finds on this host and
 * what it can control, before the agent is trusted with the node. Every
 * plugin of the configuration ([power], each [power NAME], [cooling]) is
 * started as the agent would start it, its devices listed with what they
 * report and what they accept (clock and power-limit ranges), and read
 * until every device has a reading or the wait is over, so a plugin that
 * polls a BMC on a thread of its own has had its first answer. Nothing is
 * controlled, no job is touched and the controller is not contacted.
 */
#ifndef AGENT_PROBE_H
#define AGENT_PROBE_H

#include <stdio.h>

#include "agentconf.h"
#include "plugin.h"

#define PROBE_WAIT_MS 5000 /* longest wait for first readings, ms */

/* Probes the plugins of ac: power[i] loaded for [power] (i = 0) and each
 * [power NAME] (NULL: it failed to load), cooling (NULL: none or failed;
 * ac->cooling_plugin says which). Writes a table, or JSON when json is 1,
 * to out. Returns 0 when every configured plugin loaded, started and found
 * at least one device, 1 otherwise (what went wrong is in the output). */
int probe_run(const struct agent_conf *ac, struct plugin *const *power,
    struct plugin *cooling, int json, FILE *out);

#endif
