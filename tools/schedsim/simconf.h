/*
 * pod-schedsim's reading of the controller's configuration file: the
 * scheduling policy and aging ([scheduler]), the multifactor weights
 * ([priority]), the QOS ([qos NAME]) and the partitions ([partition NAME]),
 * with the controller's key names, defaults and ranges, so that one file
 * describes both the site and its simulation. Sections that only the
 * controller uses ([controller], [fabric], [modbus], …) and keys of
 * [scheduler] the simulation has no use for are skipped; a key the
 * simulation reads is checked as the controller checks it, with
 * "file:line: key: why".
 *
 * Partitions name pods, groups and nodes ("pod01", "pod01-g02",
 * "pod01-n[001-016]"); simconf_partition_nodes() resolves them against the
 * simulated fabric, named as the controller names its own.
 */
#ifndef SIMCONF_H
#define SIMCONF_H

#include <stddef.h>
#include <stdint.h>

#include "prio.h"

#define SIMCONF_NAME_MAX 64   /* QOS and partition names, with the NUL */
#define SIMCONF_LIST_MAX 1024 /* a partition's pods/groups/nodes text */
#define SIMCONF_MAX_QOS  32
#define SIMCONF_MAX_PART 32

struct simconf_qos {
	char name[SIMCONF_NAME_MAX];
	int64_t priority;
	int64_t max_wall_s;        /* 0: none */
	int64_t max_jobs_per_user; /* running at once; 0: none */
	int64_t max_accels_per_user;
	int64_t max_jobs_per_account;
	int64_t max_accels_per_account;
	char preempt[SIMCONF_LIST_MAX]; /* checked, not used: a replay does
	                                   not requeue */
	char where[128]; /* "file:line" of its section, for messages */
};

struct simconf_part {
	char name[SIMCONF_NAME_MAX];
	char pods[SIMCONF_LIST_MAX];     /* host list of pods; "" none */
	char groups[SIMCONF_LIST_MAX];   /* host list of groups */
	char nodes[SIMCONF_LIST_MAX];    /* host list of nodes */
	char accounts[SIMCONF_LIST_MAX]; /* "a,b"; "" every account */
	int is_default;
	int64_t default_time_s; /* 0: none */
	int64_t max_time_s;     /* 0: none */
	char where[128];        /* "file:line" of its section, for messages */
};

struct simconf {
	int policy; /* enum sched_policy */
	double age_weight_per_h;
	int64_t age_cap_h;
	int64_t starve_after_h; /* [scheduler] starve_after_h */
	struct prio_weights w;  /* age_per_h and age_cap_h as above */
	struct simconf_qos qos[SIMCONF_MAX_QOS];
	int nqos;
	int default_qos; /* index into qos */
	struct simconf_part part[SIMCONF_MAX_PART];
	int npart; /* 0: one partition of every node */
	int default_part;
};

/*
 * Reads path into *c: the controller's defaults, overridden by the file.
 * Without a [qos] section there is one QOS, "normal", with no limits; the
 * default QOS is [scheduler] default_qos, else "normal", else the first.
 * 0, or -1 with "file:line: why" in err.
 */
int simconf_load(struct simconf *c, const char *path, char *err, size_t errlen);
/* The QOS or partition named name: its index, or -1. */
int simconf_qos_find(const struct simconf *c, const char *name);
int simconf_part_find(const struct simconf *c, const char *name);
/*
 * Marks in member[0..npods * nodes_per_pod - 1] (zeroed by the caller)
 * the nodes of partition p on a fabric of npods pods of nodes_per_pod
 * nodes in groups_per_pod groups, named as the controller names them.
 * Returns the number of member nodes, or -1 with why in err (a malformed
 * list, a name the fabric does not have).
 */
int simconf_partition_nodes(const struct simconf_part *p, int npods,
    int nodes_per_pod, int groups_per_pod, unsigned char *member, char *err,
    size_t errlen);
/* 1 if the partition lets account name run, else 0. */
int simconf_part_allows(const struct simconf_part *p, const char *account);

#endif
