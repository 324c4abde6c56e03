/*
 * The controller's configuration: parsed from a file (or the embedded
 * default) into a fresh struct, validated with file:line errors, and only then
 * used, so a bad file never half-applies.
 */
#ifndef CTL_CONFIG_H
#define CTL_CONFIG_H

#include <stdio.h>

#include "ctllist.h"
#include "health.h"
#include "names.h"

struct sockaddr;

#define CONFIG_MAX_PODS          999
#define CONFIG_MAX_NODES_PER_POD 4096
#define CONFIG_MAX_ACCELS        64
#define CONFIG_MAX_NETS          32   /* entries of an address list */
#define CONFIG_MAX_QOS           64   /* [qos NAME] sections */
#define CONFIG_MAX_PARTITIONS    64   /* [partition NAME] sections */
#define CONFIG_TAG_MAX           64   /* a QOS or partition name, NUL */
#define CONFIG_LIST_MAX          4096 /* a list value, with its NUL */

/* One entry of an address list: an address and a prefix length. */
struct config_net {
	int af;                 /* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* network byte order; IPv4 in the first 4 */
	int prefix;             /* bits that must match */
};

/* "ADDR[/BITS], ..." as written, and parsed. */
struct config_netlist {
	char text[512];
	struct config_net v[CONFIG_MAX_NETS];
	int n;
};

struct pod_config {
	char name[NAME_MAX_LEN];
	int nodes;                 /* nodes in the pod */
	int groups;                /* leaf groups; nodes split evenly */
	int accels_per_node;       /* expected accelerators per node */
	double power_budget_w;     /* W */
	double cooling_capacity_w; /* heat the CDU loop can carry, W */
};

/* [qos NAME]: a quality of service (controllerd/org.c reads it). */
struct qos_config {
	char name[CONFIG_TAG_MAX];
	int priority;                  /* larger goes first */
	int max_wall_s;                /* longest time limit, s; 0: none */
	int max_jobs_per_user;         /* running at once; 0: none */
	int max_accels_per_user;       /* 0: none */
	int max_jobs_per_account;      /* 0: none */
	int max_accels_per_account;    /* 0: none */
	char preempt[CONFIG_LIST_MAX]; /* "low,scavenger": QOS it requeues */
};

/* [partition NAME]: a named set of nodes with its limits. The node
 * lists are checked against the fabric here and resolved per node by
 * controllerd/org.c; all three empty means every node. */
struct partition_config {
	char name[CONFIG_TAG_MAX];
	char pods[CONFIG_LIST_MAX];     /* "pod01,pod02" */
	char groups[CONFIG_LIST_MAX];   /* "pod01-g01,pod01-g02" */
	char nodes[CONFIG_LIST_MAX];    /* a host list: "pod01-n[001-016]" */
	int is_default;                 /* the partition of jobs naming none */
	int default_time_s;             /* time limit of jobs giving none; 0 */
	int max_time_s;                 /* longest time limit, s; 0: none */
	char accounts[CONFIG_LIST_MAX]; /* allowed; "": every account */
};

struct config {
	char listen[128];    /* "ADDR:PORT" of the REST server */
	char database[4096]; /* SQLite file, or a PostgreSQL URL */
	char web_dir[4096];  /* dashboard files; "" for none */
	char tls_cert[4096]; /* PEM certificate chain; "" plain HTTP */
	char tls_key[4096];  /* PEM private key; set with tls_cert */
	/* [auth] the site secret nodes' credentials derive from; default:
	 * node.secret in the database's folder (controllerd/nodeauth.c) */
	char node_secret_file[4096];
	int heartbeat_timeout_s; /* a node silent this long is down */
	int fence_timeout_s;     /* agents stop unconfirmed jobs after, s */
	int fence_margin_s;      /* more silence before a requeue, s */
	/* PostgreSQL, several controllers (leader.c): the URL the others and
	 * the clients reach this one at; how long a leader acts without
	 * seeing its lock held, and a new one waits before it acts, s */
	char advertise_url[512];
	int leader_lease_s;
	/* every controller of the site, this one included, as clients reach
	 * them ("URL, URL", ctllist.h): what /health names for the
	 * dashboard to find the active one; empty: this one alone */
	char controllers_text[CTLLIST_MAX * CTLLIST_URL_MAX];
	struct ctllist controllers;
	int store_interval_s; /* seconds between stored samples per node */
	/* telemetry kept; unset in the file, the defaults of the database's
	 * engine (config.c, retention_sqlite and retention_pg) */
	int retention_days;      /* days of stored samples kept */
	int retention_1m_days;   /* days of minute rollups kept */
	int retention_1h_days;   /* days of hour rollups kept */
	int acct_retention_days; /* days accounting records are kept */
	/* REST connections and requests (httpcap.c) */
	int http_max_conns;    /* connections in total; 0: from the fd limit */
	int http_max_per_peer; /* connections from one address (IPv6: /64) */
	struct config_netlist http_exempt; /* peers free of the two above and
	                                    * of the write rate */
	int header_timeout_s;    /* request line and headers complete by, s */
	int body_timeout_s;      /* request body complete by, s */
	double write_rate_per_s; /* writes per peer per second; 0 no limit */
	int write_burst;         /* writes a peer may make at once */
	/* back-pressure (selfstat.h) and the sample writer's queue */
	int store_queue_max;   /* samples queued for the writer, at most */
	double bp_queue_share; /* behind: queue over this share of it */
	double bp_lag_ms;      /* behind: loop lag p99 over this, ms */
	double bp_cpu_share; /* behind: loop thread busy over this of a core */
	int report_interval_max_ms; /* the longest report interval asked */
	int report_rate_max;    /* reports/s planned for; more nodes than this
	                           are asked to report less often; 0 no limit */
	int test_loop_stall_ms; /* tests only: each tick blocks the loop */
	/* /metrics has the per-accelerator families (off by default: at a
	 * fabric's size they are most of the page, and agents serve them) */
	int metrics_accelerators;
	int anonymous_read;          /* [auth] reads need no token */
	double coolant_density_kg_l; /* kg/L */
	double coolant_cp_j_kgk;     /* specific heat, J/(kg·K) */
	int sched_policy;            /* enum sched_policy */
	double age_weight_per_h;     /* priority points per hour waited */
	int age_cap_h;               /* waiting counted up to this, h */
	int starve_after_h; /* waited this long: ahead of all (0: never), h */
	int kill_grace_s;   /* SIGTERM to SIGKILL, s */
	int default_time_limit_s; /* when a job gives none, s; 0: a job
	                           * must give one */
	int max_time_limit_s;     /* the longest a job may ask, s */
	int jobs_kept;            /* ended jobs kept in memory for listing */
	int max_array_size;       /* most tasks in one job array */
	/* [priority]: multifactor weights (core/prio.h), points */
	double w_fairshare, w_jobsize, w_qos, w_operator;
	int jobsize_favor_small;     /* 1 small-first, 0 large-first */
	double half_life_h;          /* fair-share usage decay */
	double facility_cap_w;       /* W; 0 none (REST and BMS override) */
	double fallback_cap_w;       /* per node without the controller, W */
	double min_flow_lpm;         /* low-flow alarm threshold, L/min */
	double max_supply_c;         /* supply_high alarm threshold, °C */
	int alarm_dwell_s;           /* threshold alarms hold this to raise */
	int alarm_clear_hold_s;      /* ... and stay safe this to clear */
	double overtemp_margin_c;    /* overtemp clears this under critical */
	double lowflow_margin_lpm;   /* lowflow clears this over min_flow */
	double supply_margin_c;      /* supply_high clears this under max */
	struct health_config health; /* [health]: drain and requeue rules */
	/* [modbus]: the building management system's server (bms.c) */
	char modbus_listen[128];            /* "ADDR:PORT"; "" off */
	struct config_netlist modbus_allow; /* peers that may write */
	int modbus_max_conns;               /* connections in total */
	int modbus_max_per_peer;            /* connections from one address */
	int modbus_reserved;                /* slots only allow_write gets */
	int modbus_idle_timeout_s;          /* silent connections closed, s */
	int modbus_watchdog_s;    /* BMS heartbeat watchdog, s; 0 off */
	int modbus_ramp_s;        /* curtailment deadline, s */
	double modbus_safe_cap_w; /* cap on watchdog expiry, W; 0 */
	struct pod_config *pods;
	int npods;
	/* the site's organisation (controllerd/org.c) */
	struct qos_config *qos; /* at least one: "normal" by default */
	int nqos;
	char default_qos[CONFIG_TAG_MAX];    /* [scheduler] default_qos */
	struct partition_config *partitions; /* at least one: "all" */
	int npartitions;
	int maint_notice_h;   /* [scheduler] maintenance announced ahead, h */
	int accounts_enforce; /* [accounts] enforce: a user needs an
	                       * association to submit */
};

/* Parses `path`, or the embedded default when path is NULL, into a new
 * config. Returns NULL with "file:line: why" in err. Caller frees with
 * config_free(). */
struct config *config_load(const char *path, char *err, size_t errlen);
void config_free(struct config *c);
/* Writes c as a normalized config file (every key, defaults included). */
void config_dump(const struct config *c, FILE *out);
/* Whether the address sa (AF_INET or AF_INET6; IPv4-mapped IPv6 counts
 * as IPv4) is in the list. */
int config_netlist_match(
    const struct config_netlist *nl, const struct sockaddr *sa);
/* The embedded default configuration text. Borrowed. */
const char *config_default_text(void);

#endif
