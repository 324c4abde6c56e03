/*
 * The plugin ABI: how pod-agentd talks to power and cooling hardware.
 *
 * A plugin is a shared object that exports one descriptor, `pod_plugin`.
 * The agent loads it with dlopen(), checks `abi` (same major, minor not
 * newer than the host's), calls init() once per node it serves (pod-fleetsim
 * serves many nodes from one loaded plugin, so all state lives in the
 * context, never in globals), and then, on every sample tick:
 *
 * - environ() tells the plugin what the host knows (coolant temperature,
 *   heat, the load asked of each device); real hardware ignores it,
 *   simulations model physics with it;
 * - read() takes one sample per device;
 * - control() applies a frequency cap or power limit, when the policy
 *   changes.
 *
 * <pod/plugin_util.h> has the small helpers most plugins need. Built
 * outside the tree: cc $(pkg-config --cflags pod-plugin) -shared -fPIC.
 *
 * Every device belongs to a domain (an accelerator, a CPU package, the whole
 * node, a coolant loop) and says what it can report and control as a bitmask
 * of POD_F_* and POD_CTL_* capabilities; each sample says which of its fields
 * are valid with the same bits. A plugin never blocks for long: one that talks
 * to a slow device over the network serves the last value it has, with the time
 * it was measured in `t_ms`, and the host judges staleness.
 *
 * Versioning: the major number changes when a struct or function below
 * changes shape; the minor number when fields, ops or enum values are
 * appended. A host reads appended fields only from plugins whose minor
 * number says they exist, and passes over a domain it does not know.
 * 1.1 added POD_DOMAIN_MEM.
 */
#ifndef POD_PLUGIN_H
#define POD_PLUGIN_H

#include <stdint.h>

#define POD_PLUGIN_ABI_MAJOR         1
#define POD_PLUGIN_ABI_MINOR         1
#define POD_PLUGIN_ABI               ((POD_PLUGIN_ABI_MAJOR << 16) | POD_PLUGIN_ABI_MINOR)
#define POD_PLUGIN_ABI_MAJOR_OF(abi) ((uint32_t)(abi) >> 16)
#define POD_PLUGIN_ABI_MINOR_OF(abi) ((uint32_t)(abi)&0xffffu)

/* Most devices one plugin instance may expose on one node, all domains
 * counted (a node device included). */
#define POD_MAX_DEVICES 64

enum pod_domain {
	POD_DOMAIN_ACCEL = 1, /* one accelerator */
	POD_DOMAIN_CPU = 2,   /* one CPU package */
	POD_DOMAIN_NODE = 3,  /* the whole node or chassis */
	POD_DOMAIN_LOOP = 4,  /* the node's coolant loop (cooling plugins) */
	POD_DOMAIN_MEM = 5,   /* memory of one CPU package (RAPL DRAM); 1.1 */
};

/* What a device reports: capability bits in pod_device.caps and validity
 * bits in pod_sample.valid. */
#define POD_F_POWER    (1u << 0)  /* power_w */
#define POD_F_ENERGY   (1u << 1)  /* energy_j */
#define POD_F_TEMP     (1u << 2)  /* temp_c */
#define POD_F_CLOCK    (1u << 3)  /* clock_mhz */
#define POD_F_UTIL     (1u << 4)  /* util_pct */
#define POD_F_MEM      (1u << 5)  /* mem_used_mib */
#define POD_F_SUPPLY   (1u << 6)  /* supply_c */
#define POD_F_RETURN   (1u << 7)  /* return_c */
#define POD_F_FLOW     (1u << 8)  /* flow_lpm */
#define POD_F_PRESSURE (1u << 9)  /* pressure_kpa */
#define POD_F_PUMP     (1u << 10) /* pump_pct */
#define POD_F_LEAK     (1u << 11) /* leak */
#define POD_F_CAPACITY (1u << 12) /* capacity_w */

/* What a device can be told: capability bits in pod_device.caps and the
 * `set` bits of pod_control. */
#define POD_CTL_CLOCK       (1u << 24) /* clock_max_mhz */
#define POD_CTL_POWER_LIMIT (1u << 25) /* power_limit_w */

/* Log levels for pod_host.log. */
enum pod_log_level {
	POD_LOG_ERROR = 0,
	POD_LOG_WARN = 1,
	POD_LOG_INFO = 2,
	POD_LOG_DEBUG = 3,
};

/* One device as enumerated by devices(). Unknown numbers are 0. */
struct pod_device {
	char name[32];  /* unique on the node, e.g. "accel0", "loop" */
	char model[64]; /* vendor model string */
	enum pod_domain domain;
	int index;            /* index within its domain on the node */
	uint32_t caps;        /* POD_F_* and POD_CTL_* bits */
	double clock_min_mhz; /* lowest settable core clock, MHz */
	double clock_max_mhz; /* highest core clock, MHz */
	double power_min_w;   /* lowest settable power limit, W */
	double power_max_w;   /* highest settable power limit, W */
	double tdp_w;         /* thermal design power, W */
	double temp_crit_c;   /* critical temperature, °C */
	double mem_total_mib; /* device memory, MiB */
};

/* One reading of one device; a field counts only when its POD_F_* bit is
 * set in `valid`. */
struct pod_sample {
	uint32_t valid;      /* POD_F_* bits */
	int64_t t_ms;        /* when measured, ms since the Unix epoch (not
	                        the monotonic now_ms); 0: now */
	double power_w;      /* electrical power, W */
	double energy_j;     /* energy counter since plugin start, J */
	double temp_c;       /* hottest sensor, °C */
	double clock_mhz;    /* current core clock, MHz */
	double util_pct;     /* busy fraction, 0–100 % */
	double mem_used_mib; /* memory in use, MiB */
	double supply_c;     /* coolant in, °C */
	double return_c;     /* coolant out, °C */
	double flow_lpm;     /* coolant flow, L/min */
	double pressure_kpa; /* loop differential pressure, kPa */
	double pump_pct;     /* pump speed, % */
	double capacity_w;   /* heat the loop can remove now, W */
	int leak;            /* 1: leak detected on this loop */
};

/* A control to apply; only fields whose POD_CTL_* bit is in `set` count. */
struct pod_control {
	uint32_t set;         /* POD_CTL_* bits */
	double clock_max_mhz; /* frequency cap, MHz (clock_max_mhz: no cap) */
	double power_limit_w; /* power limit, W (power_max_w: no limit) */
};

/* The load the host asks of one device: what a simulated device runs. */
struct pod_load {
	double util;     /* busy fraction, 0–1 */
	double membound; /* how memory-bound the work is, 0–1 */
};

/* What the host knows about the device's surroundings. NaN: unknown. */
struct pod_env {
	double coolant_c; /* mean coolant temperature at the cold plates, °C */
	double heat_w;    /* heat the node puts into its loop, W */
	const struct pod_load
	    *load; /* per device in devices() order, or NULL */
	int nload; /* entries in load */
};

/* A plugin's own configuration key, with where it came from. */
struct pod_kv {
	const char *key;
	const char *value;
	const char *where; /* "file:line", for error messages */
};

/* What the host gives a plugin instance; valid until fini(). */
struct pod_host {
	const char *node;          /* node name, e.g. "pod01-n001" */
	const struct pod_kv *conf; /* the plugin's own keys */
	int nconf;
	uint64_t seed; /* for simulations: per-node seed */
	void (*log)(const struct pod_host *host, enum pod_log_level level,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
	void *opaque; /* the host's */
};

struct pod_plugin_ops {
	/* Enumerates up to `max` devices into `out`; returns how many, -1 on
	 * error (logged). The set is fixed for the life of the instance. */
	int (*devices)(void *ctx, struct pod_device *out, int max);
	/* Reads one sample per device into out[0..n-1], in devices() order;
	 * n is the count devices() returned.
	 * `now_ms` is a monotonic clock. Returns 0, or -1 when nothing could
	 * be read (logged). */
	int (*read)(void *ctx, int64_t now_ms, struct pod_sample *out, int n);
	/* Applies a control to device `dev`; 0 or -1 (logged). NULL when the
	 * plugin controls nothing. */
	int (*control)(void *ctx, int dev, const struct pod_control *c);
	/* Tells the plugin about its surroundings before read(). May be NULL.
	 */
	void (*environ)(void *ctx, const struct pod_env *env);
};

struct pod_plugin {
	uint32_t abi;            /* POD_PLUGIN_ABI at build time */
	const char *kind;        /* "power" or "cooling" */
	const char *name;        /* e.g. "sim" */
	const char *description; /* one line */
	/* Creates an instance: validates host->conf (an unknown key or bad
	 * value is an error naming its `where`) and stores the context in
	 * *ctx. Returns 0, or -1 (logged; nothing to free). */
	int (*init)(const struct pod_host *host, void **ctx);
	/* Frees an instance. */
	void (*fini)(void *ctx);
	const struct pod_plugin_ops *ops;
};

/* Every plugin exports exactly this symbol, visible even when the plugin is
 * built with -fvisibility=hidden. */
extern __attribute__((visibility("default")))
const struct pod_plugin pod_plugin;

#endif /* POD_PLUGIN_H */
