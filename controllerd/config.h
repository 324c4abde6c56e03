/*
 * The controller's configuration: parsed from a file (or the embedded
 * default) into a fresh struct, validated with file:line errors, and only then
 * used, so a bad file never half-applies.
 */
#ifndef CTL_CONFIG_H
#define CTL_CONFIG_H

#include <stdio.h>

#include "names.h"

#define CONFIG_MAX_PODS          999
#define CONFIG_MAX_NODES_PER_POD 4096
#define CONFIG_MAX_ACCELS        64

struct pod_config {
	char name[NAME_MAX_LEN];
	int nodes;                 /* nodes in the pod */
	int groups;                /* leaf groups; nodes split evenly */
	int accels_per_node;       /* expected accelerators per node */
	double power_budget_w;     /* W */
	double cooling_capacity_w; /* heat the CDU loop can carry, W */
};

struct config {
	char listen[128];        /* "ADDR:PORT" of the REST server */
	char database[4096];     /* SQLite file */
	char web_dir[4096];      /* dashboard files; "" for none */
	int heartbeat_timeout_s; /* a node silent this long is down */
	int store_interval_s;    /* seconds between stored samples per node */
	int retention_days;      /* days of stored samples kept */
	double coolant_density_kg_l; /* kg/L */
	double coolant_cp_j_kgk;     /* specific heat, J/(kg·K) */
	int sched_policy;            /* enum sched_policy */
	double age_weight_per_h;     /* priority points per hour waited */
	int age_cap_h;               /* waiting counted up to this, h */
	int kill_grace_s;            /* SIGTERM to SIGKILL, s */
	int default_time_limit_s;    /* when a job gives none, s */
	int jobs_kept;               /* ended jobs kept in memory for listing */
	double facility_cap_w;	     /* W; 0 none (REST and BMS override) */
	double fallback_cap_w;	     /* per node without the controller, W */
	double min_flow_lpm;	     /* low-flow alarm threshold, L/min */
	struct pod_config *pods;
	int npods;
};

/* Parses `path`, or the embedded default when path is NULL, into a new
 * config. Returns NULL with "file:line: why" in err. Caller frees with
 * config_free(). */
struct config *config_load(const char *path, char *err, size_t errlen);
void config_free(struct config *c);
/* Writes c as a normalized config file (every key, defaults included). */
void config_dump(const struct config *c, FILE *out);
/* The embedded default configuration text. Borrowed. */
const char *config_default_text(void);

#endif
