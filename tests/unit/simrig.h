/*
 * A test rig: one simulated node (the sim power and cooling plugins, loaded
 * as the agent loads them) under the agent's power code (agentd/power.c),
 * stepped one simulated second at a time. The DVFS and guard unit tests and
 * the DVFS benchmark share it.
 */
#ifndef TEST_SIMRIG_H
#define TEST_SIMRIG_H

#include <stdint.h>

#include <pod/plugin.h>

#include "dvfs.h"
#include "plugin.h"
#include "power.h"
#include "ring.h"

#define T0_MS 5000000 /* first read on the monotonic clock, ms */

struct plugins {
	struct plugin *power;
	struct plugin *cooling;
};

/* One simulated node under the agent's power code. */
struct rig {
	const struct plugins *pl;
	struct pod_host ph, ch;
	void *pctx, *cctx;
	struct pod_device dev[POD_MAX_DEVICES];
	int ndev, naccel, inode;
	struct pod_load load[POD_MAX_DEVICES];
	struct pod_sample ps[POD_MAX_DEVICES]; /* last power read */
	struct pod_sample cs;                  /* last loop read */
	struct sample s;                       /* as the agent keeps it */
	struct sample_accel sacc[DVFS_MAX_ACCELS];
	struct power pw;
	double applied[DVFS_MAX_ACCELS]; /* caps in force, MHz */
	double membound[DVFS_MAX_ACCELS];
	double silent_s; /* the controller's silence, s */
	int controls;    /* control() calls */
	int nsteps;
	int64_t now_ms;
};

/* A node with the given plugin keys, idle, under `performance`. 0 or -1;
 * close it with rig_close(). */
int rig_open(struct rig *r, const struct plugins *pl, uint64_t seed,
    const struct pod_kv *pconf, int npconf, const struct pod_kv *cconf,
    int ncconf);
void rig_close(struct rig *r);
/* Accelerators [from, to) run work of util and membound. */
void rig_load(struct rig *r, int from, int to, double util, double membound);
/* Applies a desired-state power object given as JSON (aborts if bad). */
void rig_policy(struct rig *r, const char *json);
/* Sends the caps that changed to the plugin. */
void rig_apply(struct rig *r);
/* One agent tick, one simulated second after the last. 0 or -1. */
int rig_step(struct rig *r);
/* `seconds` ticks. 0 or -1. */
int rig_run(struct rig *r, int seconds);
/* The node's electrical power at the last tick, W. */
double rig_node_w(const struct rig *r);

#endif
