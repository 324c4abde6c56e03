/*
 * power/nvml: NVIDIA GPUs through NVML, the library the driver ships
 * (libnvidia-ml.so.1). Each GPU is a device accelN (N its NVML index):
 * power, energy, temperature, SM clock, utilisation and memory in use are
 * read on every sample; application clocks (a frequency cap) and the power
 * management limit are set on request.
 *
 * The library is loaded with dlopen() at init, not linked: the plugin
 * builds and installs on hosts without the driver, and a node without
 * GPUs never loads it. So the few types and calls used are declared here,
 * from NVIDIA's public nvml.h, with the _v2 names the library exports for
 * the calls that have them. A configured nvml plugin whose library cannot
 * be found is a configuration error at start ("is the NVIDIA driver
 * installed?"); a library that loads but finds no GPU, or whose nvmlInit
 * fails (the kernel module not loaded), gives no devices and one line.
 *
 * NVML calls are ioctls on /dev/nvidia*, answered in well under a
 * millisecond by a healthy GPU, so they run on the host's thread. What can
 * go wrong is said once per device, with nvmlErrorString()'s text: a GPU
 * that fell off the bus (NVML_ERROR_GPU_IS_LOST) loses its valid bits
 * while the others keep reading, and a setting refused for want of
 * privilege says what is missing. Energy is the driver's counter
 * (nvmlDeviceGetTotalEnergyConsumption, mJ since the driver loaded) counted
 * from the first read; on a GPU without it, power integrated over time.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pod/plugin.h>
#include <pod/plugin_util.h>

#define NELEM(a)             (sizeof(a) / sizeof((a)[0]))
#define NVML_LIBRARY_DEFAULT "libnvidia-ml.so.1"
#define NVML_CLOCKS_MAX      512 /* supported graphics clocks kept */
#define NVML_NAME_MAX        96  /* NVML_DEVICE_NAME_V2_BUFFER_SIZE */
#define NVML_MIB             (1024.0 * 1024.0)

/* From nvml.h: the return codes the plugin tells apart, the enum values it
 * passes, and the structs it reads. */
typedef int nvmlReturn_t;
#define NVML_SUCCESS                        0
#define NVML_ERROR_NOT_SUPPORTED            3
#define NVML_ERROR_NO_PERMISSION            4
#define NVML_ERROR_DRIVER_NOT_LOADED        9
#define NVML_ERROR_GPU_IS_LOST              15
#define NVML_CLOCK_SM                       1 /* nvmlClockType_t */
#define NVML_CLOCK_MEM                      2
#define NVML_TEMPERATURE_GPU                0 /* nvmlTemperatureSensors_t */
#define NVML_TEMPERATURE_THRESHOLD_SHUTDOWN 0 /* ...Thresholds_t */
#define NVML_TEMPERATURE_THRESHOLD_SLOWDOWN 1

typedef struct nvmlDevice_st *nvmlDevice_t;
typedef struct {
	unsigned long long total; /* bytes */
	unsigned long long free;  /* bytes */
	unsigned long long used;  /* bytes */
} nvmlMemory_t;
typedef struct {
	unsigned int gpu;    /* % of the last period a kernel ran */
	unsigned int memory; /* % of it memory was read or written */
} nvmlUtilization_t;

/* The calls used, filled by dlsym(). */
struct nvml_api {
	nvmlReturn_t (*init)(void);
	nvmlReturn_t (*shutdown)(void);
	const char *(*error_string)(nvmlReturn_t);
	nvmlReturn_t (*count)(unsigned int *);
	nvmlReturn_t (*handle)(unsigned int, nvmlDevice_t *);
	nvmlReturn_t (*name)(nvmlDevice_t, char *, unsigned int);
	nvmlReturn_t (*memory)(nvmlDevice_t, nvmlMemory_t *);
	nvmlReturn_t (*limit_range)(
	    nvmlDevice_t, unsigned int *, unsigned int *);
	nvmlReturn_t (*limit_default)(nvmlDevice_t, unsigned int *);
	nvmlReturn_t (*max_clock)(nvmlDevice_t, int, unsigned int *);
	nvmlReturn_t (*mem_clocks)(
	    nvmlDevice_t, unsigned int *, unsigned int *);
	nvmlReturn_t (*gr_clocks)(
	    nvmlDevice_t, unsigned int, unsigned int *, unsigned int *);
	nvmlReturn_t (*app_clock)(nvmlDevice_t, int, unsigned int *);
	nvmlReturn_t (*threshold)(nvmlDevice_t, int, unsigned int *);
	nvmlReturn_t (*power)(nvmlDevice_t, unsigned int *);
	nvmlReturn_t (*energy)(nvmlDevice_t, unsigned long long *);
	nvmlReturn_t (*temp)(nvmlDevice_t, int, unsigned int *);
	nvmlReturn_t (*clock)(nvmlDevice_t, int, unsigned int *);
	nvmlReturn_t (*util)(nvmlDevice_t, nvmlUtilization_t *);
	nvmlReturn_t (*set_app_clocks)(
	    nvmlDevice_t, unsigned int, unsigned int);
	nvmlReturn_t (*set_limit)(nvmlDevice_t, unsigned int);
};

/*
 * The symbols looked up. name: as the library exports it; off: where the
 * pointer lands in struct nvml_api; optional: 1 when an older driver may
 * lack it (the plugin then does without), 0 when init fails without it.
 */
static const struct nvml_sym {
	const char *name;
	size_t off;
	int optional;
} nvml_syms[] = {
    {"nvmlInit_v2", offsetof(struct nvml_api, init), 0},
    {"nvmlShutdown", offsetof(struct nvml_api, shutdown), 0},
    {"nvmlErrorString", offsetof(struct nvml_api, error_string), 0},
    {"nvmlDeviceGetCount_v2", offsetof(struct nvml_api, count), 0},
    {"nvmlDeviceGetHandleByIndex_v2", offsetof(struct nvml_api, handle), 0},
    {"nvmlDeviceGetName", offsetof(struct nvml_api, name), 0},
    {"nvmlDeviceGetMemoryInfo", offsetof(struct nvml_api, memory), 0},
    {"nvmlDeviceGetPowerManagementLimitConstraints",
        offsetof(struct nvml_api, limit_range), 0},
    {"nvmlDeviceGetPowerManagementDefaultLimit",
        offsetof(struct nvml_api, limit_default), 0},
    {"nvmlDeviceGetMaxClockInfo", offsetof(struct nvml_api, max_clock), 0},
    {"nvmlDeviceGetSupportedMemoryClocks",
        offsetof(struct nvml_api, mem_clocks), 0},
    {"nvmlDeviceGetSupportedGraphicsClocks",
        offsetof(struct nvml_api, gr_clocks), 0},
    {"nvmlDeviceGetApplicationsClock", offsetof(struct nvml_api, app_clock), 0},
    {"nvmlDeviceGetTemperatureThreshold", offsetof(struct nvml_api, threshold),
        0},
    {"nvmlDeviceGetPowerUsage", offsetof(struct nvml_api, power), 0},
    {"nvmlDeviceGetTotalEnergyConsumption", offsetof(struct nvml_api, energy),
        1},
    {"nvmlDeviceGetTemperature", offsetof(struct nvml_api, temp), 0},
    {"nvmlDeviceGetClockInfo", offsetof(struct nvml_api, clock), 0},
    {"nvmlDeviceGetUtilizationRates", offsetof(struct nvml_api, util), 0},
    {"nvmlDeviceSetApplicationsClocks",
        offsetof(struct nvml_api, set_app_clocks), 0},
    {"nvmlDeviceSetPowerManagementLimit", offsetof(struct nvml_api, set_limit),
        0},
};

/* What a refused setting needs, said with the refusal. */
enum nvml_ctl { NVML_CTL_CLOCK, NVML_CTL_LIMIT, NVML_CTL_N };
static const struct nvml_ctl_info {
	const char *call;
	const char *needs; /* on NVML_ERROR_NO_PERMISSION */
} nvml_ctls[NVML_CTL_N] = {
    [NVML_CTL_CLOCK] = {"nvmlDeviceSetApplicationsClocks",
        "setting application clocks needs root or `nvidia-smi -acp "
        "UNRESTRICTED`"},
    [NVML_CTL_LIMIT] = {"nvmlDeviceSetPowerManagementLimit",
        "setting the power limit needs root (CAP_SYS_ADMIN)"},
};

struct nvml_gpu {
	nvmlDevice_t h;
	unsigned int index; /* NVML's */
	struct pod_device dev;
	int have_energy;      /* 1: the driver's energy counter works */
	unsigned int mem_mhz; /* memory clock kept with a clock cap */
	unsigned int gr_mhz[NVML_CLOCKS_MAX]; /* settable, highest first */
	int ngr;
	int started;                          /* 1 after the first read */
	unsigned long long prev_mj;           /* last energy counter, mJ */
	int64_t prev_ms;                      /* last read, monotonic ms */
	double energy_j;                      /* since the first read, J */
	struct pod_said said;                 /* why readings are missing */
	struct pod_said ctl_said[NVML_CTL_N]; /* why a setting failed */
};

struct nvml {
	const struct pod_host *host; /* borrowed, valid until fini */
	char library[PATH_MAX];
	void *dl;   /* dlopen()'s */
	int inited; /* 1: nvmlInit_v2 worked; shut down at fini */
	int perm_said[NVML_CTL_N]; /* 1: its privilege was said, any GPU */
	struct nvml_api api;
	int ngpu;
	struct nvml_gpu gpu[]; /* ngpu of them */
};

#define NVML_LOG(s, lvl, ...) (s)->host->log((s)->host, (lvl), __VA_ARGS__)

static const char *
nvml_err(const struct nvml *s, nvmlReturn_t rc)
{
	const char *t = s->api.error_string(rc);

	return t != NULL ? t : "unknown NVML error";
}

static int
nvml_conf_parse(
    const struct pod_host *host, char *library, size_t size, const char **where)
{
	const struct pod_kv *kv;
	int i;

	snprintf(library, size, "%s", NVML_LIBRARY_DEFAULT);
	*where = NULL;
	for (i = 0; i < host->nconf; i++) {
		kv = &host->conf[i];
		if (strcmp(kv->key, "library") != 0) {
			host->log(host, POD_LOG_ERROR,
			    "%s: %s: unknown key (library)", kv->where,
			    kv->key);
			return -1;
		}
		if (kv->value[0] == '\0' || strlen(kv->value) >= size) {
			host->log(host, POD_LOG_ERROR,
			    "%s: library: want a file name or path", kv->where);
			return -1;
		}
		snprintf(library, size, "%s", kv->value);
		*where = kv->where;
	}
	return 0;
}

/* Loads the library and its calls. 0, or -1 (logged). */
static int
nvml_load(const struct pod_host *host, const char *library, const char *where,
    void **dl, struct nvml_api *api)
{
	/* "file:line: library: " when the key named it */
	const char *pre = where != NULL ? where : "";
	const char *sep = where != NULL ? ": library: " : "";
	void *p;
	size_t i;

	if ((*dl = dlopen(library, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		if (strchr(library, '/') != NULL && access(library, F_OK) == 0)
			host->log(host, POD_LOG_ERROR,
			    "%s%s%s cannot be loaded: %s", pre, sep, library,
			    dlerror());
		else
			host->log(host, POD_LOG_ERROR,
			    "%s%s%s not found: is the NVIDIA driver "
			    "installed? (%s)",
			    pre, sep, library, dlerror());
		return -1;
	}
	memset(api, 0, sizeof(*api));
	for (i = 0; i < NELEM(nvml_syms); i++) {
		p = dlsym(*dl, nvml_syms[i].name);
		if (p == NULL && !nvml_syms[i].optional) {
			host->log(host, POD_LOG_ERROR,
			    "%s%s%s has no %s: the NVIDIA driver is too old",
			    pre, sep, library, nvml_syms[i].name);
			dlclose(*dl);
			*dl = NULL;
			return -1;
		}
		/* POSIX: a function pointer converts from dlsym's void * */
		memcpy((char *)api + nvml_syms[i].off, &p, sizeof(p));
	}
	return 0;
}

static int
nvml_clock_cmp(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return (x < y) - (x > y); /* highest first */
}

/*
 * The memory clock application clocks keep (the one set now, else the
 * highest supported) and the graphics clocks settable with it, into g.
 * NVML_SUCCESS, or the failure (NVML_ERROR_NOT_SUPPORTED for no clocks).
 */
static nvmlReturn_t
nvml_clocks(struct nvml *s, struct nvml_gpu *g)
{
	unsigned int mem[64], n = NELEM(mem), i, m = 0;
	nvmlReturn_t rc;

	rc = s->api.app_clock(g->h, NVML_CLOCK_MEM, &m);
	if (rc == NVML_ERROR_GPU_IS_LOST)
		return rc;
	if (rc != NVML_SUCCESS || m == 0) {
		m = 0;
		if ((rc = s->api.mem_clocks(g->h, &n, mem)) != NVML_SUCCESS)
			return rc;
		for (i = 0; i < n && i < NELEM(mem); i++)
			if (mem[i] > m)
				m = mem[i];
	}
	n = NVML_CLOCKS_MAX;
	if ((rc = s->api.gr_clocks(g->h, m, &n, g->gr_mhz)) != NVML_SUCCESS)
		return rc;
	if (n == 0 || m == 0)
		return NVML_ERROR_NOT_SUPPORTED;
	g->mem_mhz = m;
	g->ngr = (int)(n < NVML_CLOCKS_MAX ? n : NVML_CLOCKS_MAX);
	qsort(g->gr_mhz, (size_t)g->ngr, sizeof(g->gr_mhz[0]), nvml_clock_cmp);
	return NVML_SUCCESS;
}

/* 1 when a reading call answers other than "not supported": a GPU lost
 * now may come back, one without the sensor never will. */
static int
nvml_has(nvmlReturn_t rc)
{
	return rc != NVML_ERROR_NOT_SUPPORTED;
}

/* What GPU g is and can do, into g->dev. */
static void
nvml_probe(struct nvml *s, struct nvml_gpu *g)
{
	struct pod_device *d = &g->dev;
	char name[NVML_NAME_MAX];
	unsigned int lo, hi, v;
	unsigned long long e;
	nvmlMemory_t mem;
	nvmlUtilization_t u;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "accel%u", g->index);
	d->domain = POD_DOMAIN_ACCEL;
	d->index = (int)g->index;
	if (s->api.name(g->h, name, sizeof(name)) == NVML_SUCCESS) {
		name[sizeof(name) - 1] = '\0';
		snprintf(d->model, sizeof(d->model), "%.63s", name);
	} else {
		snprintf(d->model, sizeof(d->model), "NVIDIA GPU");
	}
	if (nvml_has(s->api.power(g->h, &v)))
		d->caps |= POD_F_POWER;
	if (s->api.energy != NULL && nvml_has(s->api.energy(g->h, &e)))
		g->have_energy = 1;
	if (g->have_energy || (d->caps & POD_F_POWER))
		d->caps |= POD_F_ENERGY;
	if (nvml_has(s->api.temp(g->h, NVML_TEMPERATURE_GPU, &v)))
		d->caps |= POD_F_TEMP;
	if (nvml_has(s->api.clock(g->h, NVML_CLOCK_SM, &v)))
		d->caps |= POD_F_CLOCK;
	if (nvml_has(s->api.util(g->h, &u)))
		d->caps |= POD_F_UTIL;
	if (s->api.memory(g->h, &mem) == NVML_SUCCESS) {
		d->caps |= POD_F_MEM;
		d->mem_total_mib = mem.total / NVML_MIB;
	}
	if (s->api.limit_range(g->h, &lo, &hi) == NVML_SUCCESS && hi > 0 &&
	    lo <= hi) {
		d->caps |= POD_CTL_POWER_LIMIT;
		d->power_min_w = lo / 1000.0;
		d->power_max_w = hi / 1000.0;
	}
	if (s->api.limit_default(g->h, &v) == NVML_SUCCESS)
		d->tdp_w = v / 1000.0;
	if (nvml_clocks(s, g) == NVML_SUCCESS) {
		d->caps |= POD_CTL_CLOCK;
		d->clock_max_mhz = g->gr_mhz[0];
		d->clock_min_mhz = g->gr_mhz[g->ngr - 1];
	} else if (s->api.max_clock(g->h, NVML_CLOCK_SM, &v) == NVML_SUCCESS) {
		d->clock_max_mhz = v;
	}
	if (s->api.threshold(g->h, NVML_TEMPERATURE_THRESHOLD_SLOWDOWN, &v) ==
	        NVML_SUCCESS ||
	    s->api.threshold(g->h, NVML_TEMPERATURE_THRESHOLD_SHUTDOWN, &v) ==
	        NVML_SUCCESS)
		d->temp_crit_c = v;
}

/* Finds the GPUs into s (allocated here, *sp replaced). 0, or -1. */
static int
nvml_find(struct nvml **sp)
{
	struct nvml *s = *sp, *t;
	struct nvml_gpu *g;
	nvmlDevice_t h;
	nvmlReturn_t rc;
	unsigned int n = 0, i;

	if ((rc = s->api.init()) != NVML_SUCCESS) {
		NVML_LOG(s, POD_LOG_WARN, "nvmlInit_v2: %s%s: no GPUs",
		    nvml_err(s, rc),
		    rc == NVML_ERROR_DRIVER_NOT_LOADED
		        ? " (is the nvidia kernel module loaded?)"
		        : "");
		return 0;
	}
	s->inited = 1;
	if ((rc = s->api.count(&n)) != NVML_SUCCESS) {
		NVML_LOG(s, POD_LOG_WARN, "nvmlDeviceGetCount_v2: %s: no GPUs",
		    nvml_err(s, rc));
		return 0;
	}
	if (n == 0) {
		NVML_LOG(s, POD_LOG_WARN, "NVML sees no GPU");
		return 0;
	}
	if (n > POD_MAX_DEVICES) {
		NVML_LOG(s, POD_LOG_WARN, "%u GPUs, serving the first %d", n,
		    POD_MAX_DEVICES);
		n = POD_MAX_DEVICES;
	}
	t = realloc(s, sizeof(*s) + n * sizeof(s->gpu[0]));
	if (t == NULL) {
		NVML_LOG(s, POD_LOG_ERROR, "%s: realloc: %s", __func__,
		    strerror(errno));
		return -1;
	}
	*sp = s = t;
	for (i = 0; i < n; i++) {
		if ((rc = s->api.handle(i, &h)) != NVML_SUCCESS) {
			NVML_LOG(s, POD_LOG_WARN,
			    "accel%u: "
			    "nvmlDeviceGetHandleByIndex_v2: %s: left out",
			    i, nvml_err(s, rc));
			continue;
		}
		g = &s->gpu[s->ngpu++];
		memset(g, 0, sizeof(*g));
		g->h = h;
		g->index = i;
		nvml_probe(s, g);
	}
	return 0;
}

static void
nvml_fini(void *ctx)
{
	struct nvml *s = ctx;

	if (s == NULL)
		return;
	if (s->inited)
		s->api.shutdown();
	if (s->dl != NULL)
		dlclose(s->dl);
	free(s);
}

static int
nvml_init(const struct pod_host *host, void **ctx)
{
	struct nvml *s;
	const char *where;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		host->log(host, POD_LOG_ERROR, "%s: calloc: %s", __func__,
		    strerror(errno));
		return -1;
	}
	s->host = host;
	if (nvml_conf_parse(host, s->library, sizeof(s->library), &where) ==
	        -1 ||
	    nvml_load(host, s->library, where, &s->dl, &s->api) == -1 ||
	    nvml_find(&s) == -1)
		goto fail;
	*ctx = s;
	return 0;
fail:
	nvml_fini(s);
	return -1;
}

static int
nvml_devices(void *ctx, struct pod_device *out, int max)
{
	struct nvml *s = ctx;
	int i;

	if (max < s->ngpu) {
		NVML_LOG(s, POD_LOG_ERROR, "%s: %d devices, room for %d",
		    __func__, s->ngpu, max);
		return -1;
	}
	for (i = 0; i < s->ngpu; i++)
		out[i] = s->gpu[i].dev;
	return s->ngpu;
}

/*
 * One read in progress on one GPU: what failed first (said once when it
 * differs from the last read's), and whether the GPU is lost.
 */
struct nvml_try {
	const char *call;
	nvmlReturn_t rc;
	int lost;
};

/* 1 when rc is success; otherwise remembers the first failure. */
static int
nvml_ok(struct nvml_try *t, const char *call, nvmlReturn_t rc)
{
	if (rc == NVML_SUCCESS)
		return 1;
	if (rc == NVML_ERROR_GPU_IS_LOST)
		t->lost = 1;
	if (t->call == NULL) {
		t->call = call;
		t->rc = rc;
	}
	return 0;
}

/* Says what this read of g found wrong, once, or that it is over. */
static void
nvml_said(struct nvml *s, struct nvml_gpu *g, const struct nvml_try *t)
{
	char why[sizeof(g->said.why)];

	if (t->call == NULL) {
		if (pod_said_clear(&g->said))
			NVML_LOG(
			    s, POD_LOG_INFO, "%s: reads again", g->dev.name);
		return;
	}
	if (t->lost)
		snprintf(why, sizeof(why),
		    "%s: %s: the GPU fell off the bus or hung; its values are "
		    "invalid until it is reset",
		    t->call, nvml_err(s, NVML_ERROR_GPU_IS_LOST));
	else
		snprintf(
		    why, sizeof(why), "%s: %s", t->call, nvml_err(s, t->rc));
	if (pod_said_new(&g->said, why))
		NVML_LOG(s, POD_LOG_WARN, "%s: %s", g->dev.name, why);
}

/* Energy since the first read, J: the driver's counter, or power times
 * time where there is none. */
static void
nvml_energy(struct nvml *s, struct nvml_gpu *g, int64_t now_ms,
    struct nvml_try *t, struct pod_sample *o)
{
	unsigned long long mj;

	if (g->have_energy) {
		if (!nvml_ok(t, "nvmlDeviceGetTotalEnergyConsumption",
		        s->api.energy(g->h, &mj)))
			return;
		/* a counter that went back: the driver was reloaded */
		if (g->started && mj >= g->prev_mj)
			g->energy_j += (mj - g->prev_mj) / 1000.0;
		g->prev_mj = mj;
	} else if (o->valid & POD_F_POWER) {
		if (g->started && now_ms > g->prev_ms)
			g->energy_j += o->power_w * (now_ms - g->prev_ms) / 1e3;
	} else {
		return;
	}
	g->started = 1;
	g->prev_ms = now_ms;
	o->energy_j = g->energy_j;
	o->valid |= POD_F_ENERGY;
}

static void
nvml_read_gpu(struct nvml *s, struct nvml_gpu *g, int64_t now_ms,
    int64_t wall_ms, struct pod_sample *o)
{
	struct nvml_try t = {NULL, NVML_SUCCESS, 0};
	uint32_t caps = g->dev.caps;
	nvmlUtilization_t u;
	nvmlMemory_t mem;
	unsigned int v;

	memset(o, 0, sizeof(*o));
	o->t_ms = wall_ms;
	if ((caps & POD_F_POWER) &&
	    nvml_ok(&t, "nvmlDeviceGetPowerUsage", s->api.power(g->h, &v))) {
		o->power_w = v / 1000.0;
		o->valid |= POD_F_POWER;
	}
	if (!t.lost && (caps & POD_F_ENERGY))
		nvml_energy(s, g, now_ms, &t, o);
	if (!t.lost && (caps & POD_F_TEMP) &&
	    nvml_ok(&t, "nvmlDeviceGetTemperature",
	        s->api.temp(g->h, NVML_TEMPERATURE_GPU, &v))) {
		o->temp_c = v;
		o->valid |= POD_F_TEMP;
	}
	if (!t.lost && (caps & POD_F_CLOCK) &&
	    nvml_ok(&t, "nvmlDeviceGetClockInfo",
	        s->api.clock(g->h, NVML_CLOCK_SM, &v))) {
		o->clock_mhz = v;
		o->valid |= POD_F_CLOCK;
	}
	if (!t.lost && (caps & POD_F_UTIL) &&
	    nvml_ok(
	        &t, "nvmlDeviceGetUtilizationRates", s->api.util(g->h, &u))) {
		o->util_pct = u.gpu;
		o->valid |= POD_F_UTIL;
	}
	if (!t.lost && (caps & POD_F_MEM) &&
	    nvml_ok(&t, "nvmlDeviceGetMemoryInfo", s->api.memory(g->h, &mem))) {
		o->mem_used_mib = mem.used / NVML_MIB;
		o->valid |= POD_F_MEM;
	}
	if (t.lost)
		o->valid = 0;
	nvml_said(s, g, &t);
}

static int
nvml_read(void *ctx, int64_t now_ms, struct pod_sample *out, int n)
{
	struct nvml *s = ctx;
	int64_t wall_ms = pod_clock_ms(CLOCK_REALTIME);
	int i, good = 0;

	for (i = s->ngpu; i < n; i++)
		memset(&out[i], 0, sizeof(out[i]));
	for (i = 0; i < s->ngpu && i < n; i++) {
		nvml_read_gpu(s, &s->gpu[i], now_ms, wall_ms, &out[i]);
		if (out[i].valid != 0)
			good++;
	}
	/* each GPU's trouble was said, once */
	return s->ngpu > 0 && good == 0 ? -1 : 0;
}

/*
 * Says once why setting `which` on g failed; -1 for the caller. A missing
 * privilege is true of every GPU, so it is said once for all of them.
 */
static int
nvml_ctl_failed(
    struct nvml *s, struct nvml_gpu *g, enum nvml_ctl which, nvmlReturn_t rc)
{
	char why[sizeof(g->said.why)];
	int perm = rc == NVML_ERROR_NO_PERMISSION;

	snprintf(why, sizeof(why), "%s: %s%s%s", nvml_ctls[which].call,
	    nvml_err(s, rc), perm ? ": " : "",
	    perm ? nvml_ctls[which].needs : "");
	if (!pod_said_new(&g->ctl_said[which], why) ||
	    (perm && s->perm_said[which]))
		return -1;
	s->perm_said[which] |= perm;
	NVML_LOG(s, POD_LOG_ERROR, "%s: %s", g->dev.name, why);
	return -1;
}

/* A frequency cap: the highest settable graphics clock not above it (the
 * lowest when all are), with the memory clock kept. */
static int
nvml_set_clock(struct nvml *s, struct nvml_gpu *g, double cap_mhz)
{
	unsigned int mhz;
	nvmlReturn_t rc;
	int i;

	if ((rc = nvml_clocks(s, g)) != NVML_SUCCESS)
		return nvml_ctl_failed(s, g, NVML_CTL_CLOCK, rc);
	mhz = g->gr_mhz[g->ngr - 1];
	for (i = 0; i < g->ngr; i++)
		if (g->gr_mhz[i] <= cap_mhz) {
			mhz = g->gr_mhz[i];
			break;
		}
	rc = s->api.set_app_clocks(g->h, g->mem_mhz, mhz);
	if (rc != NVML_SUCCESS)
		return nvml_ctl_failed(s, g, NVML_CTL_CLOCK, rc);
	(void)pod_said_clear(&g->ctl_said[NVML_CTL_CLOCK]);
	s->perm_said[NVML_CTL_CLOCK] = 0;
	return 0;
}

/* A power limit, clamped into the GPU's range, in mW. */
static int
nvml_set_limit(struct nvml *s, struct nvml_gpu *g, double limit_w)
{
	const struct pod_device *d = &g->dev;
	nvmlReturn_t rc;
	double w;

	w = limit_w < d->power_min_w
	        ? d->power_min_w
	        : (limit_w > d->power_max_w ? d->power_max_w : limit_w);
	rc = s->api.set_limit(g->h, (unsigned int)llround(w * 1000.0));
	if (rc != NVML_SUCCESS)
		return nvml_ctl_failed(s, g, NVML_CTL_LIMIT, rc);
	(void)pod_said_clear(&g->ctl_said[NVML_CTL_LIMIT]);
	s->perm_said[NVML_CTL_LIMIT] = 0;
	return 0;
}

/* What a GPU takes, by its POD_CTL_* bits shifted down. */
static const char *const nvml_takes[] = {
    "no control",
    "a clock cap above 0 MHz",
    "a power limit above 0 W",
    "a clock cap above 0 MHz and a power limit above 0 W",
};

/*
 * Applies a clock cap and/or a power limit to GPU dev. Values outside the
 * device's range are brought into it (a cap under the lowest clock sets
 * the lowest; a limit over power_max_w sets the top, which is no limit);
 * one that is not a number, or not above 0, is refused.
 */
static int
nvml_control(void *ctx, int dev, const struct pod_control *c)
{
	struct nvml *s = ctx;
	struct nvml_gpu *g;
	const uint32_t known = POD_CTL_CLOCK | POD_CTL_POWER_LIMIT;
	int rc = 0;

	if (dev < 0 || dev >= s->ngpu) {
		NVML_LOG(s, POD_LOG_ERROR, "no device %d", dev);
		return -1;
	}
	g = &s->gpu[dev];
	if ((c->set & ~known) != 0 || (c->set & ~g->dev.caps) != 0 ||
	    ((c->set & POD_CTL_CLOCK) &&
	        !(isfinite(c->clock_max_mhz) && c->clock_max_mhz > 0)) ||
	    ((c->set & POD_CTL_POWER_LIMIT) &&
	        !(isfinite(c->power_limit_w) && c->power_limit_w > 0))) {
		NVML_LOG(s, POD_LOG_ERROR,
		    "%s: control refused (set %#x, clock %g MHz, "
		    "limit %g W): it takes %s",
		    g->dev.name, c->set, c->clock_max_mhz, c->power_limit_w,
		    nvml_takes[(g->dev.caps & known) >> 24]);
		return -1;
	}
	if ((c->set & POD_CTL_CLOCK) &&
	    nvml_set_clock(s, g, c->clock_max_mhz) == -1)
		rc = -1;
	if ((c->set & POD_CTL_POWER_LIMIT) &&
	    nvml_set_limit(s, g, c->power_limit_w) == -1)
		rc = -1;
	return rc;
}

static const struct pod_plugin_ops nvml_ops = {
    .devices = nvml_devices,
    .read = nvml_read,
    .control = nvml_control,
    .environ = NULL,
};

/* The descriptor the loader looks up; see include/pod/plugin.h. */
const struct pod_plugin pod_plugin = {
    .abi = POD_PLUGIN_ABI,
    .kind = "power",
    .name = "nvml",
    .description = "NVIDIA GPUs through NVML (libnvidia-ml.so.1, dlopen'd)",
    .init = nvml_init,
    .fini = nvml_fini,
    .ops = &nvml_ops,
};
