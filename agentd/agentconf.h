/*
 * pod-agentd's configuration: the [agent] section and the [power] and
 * [cooling] plugin sections, parsed from common/conf.h entries into a plain
 * struct that the agent core copies what it needs from. A plugin section's
 * `plugin` key names the plugin; every other key in it belongs to the
 * plugin, which validates it in its init(), so here they are only carried
 * along with their file:line. A real node often needs more than one power
 * plugin (RAPL for its CPUs, NVML for its GPUs, Redfish for its BMC), so
 * besides [power] there may be [power NAME] sections, each one more
 * plugin instance.
 */
#ifndef AGENT_AGENTCONF_H
#define AGENT_AGENTCONF_H

#include <stddef.h>
#include <stdint.h>

#include <pod/plugin.h>

#include "conf.h"
#include "ctllist.h"
#include "names.h"
#include "nodecred.h"

#define AGENT_URL_MAX             CTLLIST_URL_MAX /* longest server URL, NUL */
#define AGENT_MAX_SERVERS         CTLLIST_MAX     /* controllers in `server` */
#define AGENT_PATH_MAX            1024 /* longest directory name, with its NUL */
#define AGENT_KV_MAX              64   /* plugin keys per section */
#define AGENT_DEFAULT_SERVER      "http://127.0.0.1:8470"
#define AGENT_DEFAULT_STATE_DIR   "/var/lib/pod-agent"
#define AGENT_DEFAULT_INTERVAL_MS 1000
#define AGENT_DEFAULT_BUFFER      3600
#define AGENT_MIN_INTERVAL_MS     100
#define AGENT_MAX_INTERVAL_MS     3600000
#define AGENT_DEFAULT_MIN_FLOW    2.0  /* guard: L/min */
#define AGENT_DEFAULT_CLEAR_S     10.0 /* guard: s dry before a leak clears */
#define AGENT_MAX_MIN_FLOW        1000.0
#define AGENT_MAX_CLEAR_S         86400.0
#define AGENT_DEFAULT_FENCE_S     30 /* jobs unconfirmed this long stop */
#define AGENT_MAX_FENCE_S         86400
#define AGENT_MAX_EXTRA_POWER     3     /* [power NAME] beside [power] */
#define AGENT_DEFAULT_STALE_MS    10000 /* a reading older is not used */
#define AGENT_MAX_STALE_MS        3600000

/* How the agent runs jobs (runner.h); chosen by the program, not by a key:
 * pod-agentd runs processes recorded in state_dir, pod-fleetsim simulates
 * them with timers and keeps its records in memory. */
enum agent_job_runner {
	AGENT_JOBS_PROCESSES = 0,
	AGENT_JOBS_SIMULATED,
};

/* A plugin's own keys; the strings are owned by the list. */
struct agent_kvlist {
	struct pod_kv *v;
	int n;
};

/* A [power NAME] section: one more power plugin on the node. */
struct agent_extra_power {
	char label[NAME_MAX_LEN];  /* NAME */
	char plugin[NAME_MAX_LEN]; /* its `plugin` */
	struct agent_kvlist kv;    /* its keys but `plugin` */
	char where[64];            /* file:line of its first key */
};

struct agent_conf {
	/* the controllers, tried in this order: "http://host:port", no
	 * final / (one, or an active/standby pair or more) */
	struct ctllist servers;
	char name[NAME_MAX_LEN];           /* node name; "" until known */
	char state_dir[AGENT_PATH_MAX];    /* the agent's own files */
	char plugin_dir[AGENT_PATH_MAX];   /* "": plugin_default_dir() */
	int64_t interval_ms;               /* sampling interval, ms */
	size_t buffer_samples;             /* unacknowledged samples kept */
	int seed_set;                      /* 1: `seed` given */
	uint64_t seed;                     /* plugins' seed when seed_set */
	char power_plugin[NAME_MAX_LEN];   /* "": none */
	char cooling_plugin[NAME_MAX_LEN]; /* "": none */
	struct agent_kvlist power_kv;      /* [power] keys but `plugin` */
	struct agent_kvlist cooling_kv;    /* [cooling] keys but `plugin` */
	struct agent_extra_power extra_power[AGENT_MAX_EXTRA_POWER];
	int nextra_power;
	int64_t stale_ms;     /* a reading measured longer ago is unknown, ms */
	int node_power_limit; /* 1: the node cap also goes to the node
	                       * device's power limit (a BMC's) */
	int desired_poll;     /* 1: hold a long poll of the desired state beside
	                       * the reports (default) */
	enum agent_job_runner job_runner; /* default: processes */
	double guard_min_flow_lpm;        /* guard: flow threshold, L/min */
	double guard_clear_s;             /* guard: leak clearing time, s */
	int fence_timeout_s; /* jobs unconfirmed this long are stopped, s */
	char metrics_listen[128];     /* "ADDR:PORT" of /metrics; "" off */
	char ca_file[AGENT_PATH_MAX]; /* CAs an https server is verified
	                               * with; "": the system's */
	int jobs_allow_root; /* [jobs] allow_root: jobs may run as uid 0 */
	/* the node's credential, read from credential_file when the
	 * configuration is (docs/security.md); "" none */
	char credential_file[AGENT_PATH_MAX];
	char credential[NODECRED_BUF];
};

/* Loopback: a node's metrics are for a scraper on the node or a proxy
 * there; another address is a choice made in the config. */
#define AGENT_DEFAULT_METRICS "127.0.0.1:9471"

/* Sets the defaults (empty name, no plugins). Release with agentconf_free(). */
void agentconf_init(struct agent_conf *ac);
void agentconf_free(struct agent_conf *ac);
/* Applies the entries of c over what ac holds. Returns 0, or -1 with
 * "file:line: key: why" in err (ac then holds a partial result, still to be
 * freed). */
int agentconf_parse(
    const struct conf *c, struct agent_conf *ac, char *err, size_t errlen);
/* Reads the node's credential from the file at path (mode 0600 or
 * stricter, 64 hex digits) into ac. 0, or -1 with why in err. */
int agentconf_set_credential(
    struct agent_conf *ac, const char *path, char *err, size_t errlen);
/* Sets ac->servers from `text`, one http:// or https:// URL or several
 * separated by commas ("http://ctl-a:8470,http://ctl-b:8470"), each with
 * a final '/' dropped. Returns 0, or -1 with why in err (which address,
 * what is wrong with it); ac->servers is then unchanged. */
int agentconf_set_server(
    struct agent_conf *ac, const char *text, char *err, size_t errlen);
/* Appends a copy of key, value and where; at most AGENT_KV_MAX. 0 or -1. */
int agentconf_kv_add(struct agent_kvlist *l, const char *key, const char *value,
    const char *where);
/* Makes dst a deep copy of src (dst's old entries are freed). 0 or -1. */
int agentconf_kv_copy(struct agent_kvlist *dst, const struct agent_kvlist *src);
void agentconf_kv_clear(struct agent_kvlist *l);
/* A stable 64-bit seed from a node name (FNV-1a), so a node's simulation
 * is the same from one start to the next. */
uint64_t agentconf_name_seed(const char *name);

#endif
