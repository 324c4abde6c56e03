/*
 * pod-agentd --probe (probe.h): one probe_plugin per configured section,
 * filled by starting the plugin and reading it, then written as a table
 * or as JSON. A plugin's log lines go to the log as the agent's would, and
 * the last warning of each is kept, so the output says why a plugin that
 * refused to start or found nothing did so.
 */
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "log.h"
#include "probe.h"
#include "timeutil.h"

#define PROBE_STEP_MS 100 /* between reads while waiting, ms */

struct probe_plugin {
	char section[NAME_MAX_LEN + 16]; /* "power", "power cpu", "cooling" */
	const char *kind;
	const char *name;        /* the configured plugin */
	const struct plugin *pl; /* NULL: did not load */
	const char *node;        /* host.node */
	char why[512];           /* last warning it logged; "" none */
	int started;             /* init() succeeded */
	struct pod_device dev[POD_MAX_DEVICES];
	int ndev;
	struct pod_sample got[POD_MAX_DEVICES]; /* latest with any value */
	struct pod_load load[POD_MAX_DEVICES];  /* idle */
};

/* What a device reports, in the order of pod/plugin.h: the bit, the word
 * shown, the JSON member, and where its value is in a sample. */
static const struct {
	uint32_t bit;
	const char *word;
	const char *json;
	const char *unit;
	size_t off;
} probe_fields[] = {
    {POD_F_POWER, "power", "power_w", "W",
        offsetof(struct pod_sample, power_w)},
    {POD_F_ENERGY, "energy", "energy_j", "J",
        offsetof(struct pod_sample, energy_j)},
    {POD_F_TEMP, "temp", "temp_c", "°C", offsetof(struct pod_sample, temp_c)},
    {POD_F_CLOCK, "clock", "clock_mhz", "MHz",
        offsetof(struct pod_sample, clock_mhz)},
    {POD_F_UTIL, "util", "util_pct", "%",
        offsetof(struct pod_sample, util_pct)},
    {POD_F_MEM, "mem", "mem_used_mib", "MiB",
        offsetof(struct pod_sample, mem_used_mib)},
    {POD_F_SUPPLY, "supply", "supply_c", "°C",
        offsetof(struct pod_sample, supply_c)},
    {POD_F_RETURN, "return", "return_c", "°C",
        offsetof(struct pod_sample, return_c)},
    {POD_F_FLOW, "flow", "flow_lpm", "L/min",
        offsetof(struct pod_sample, flow_lpm)},
    {POD_F_PRESSURE, "pressure", "pressure_kpa", "kPa",
        offsetof(struct pod_sample, pressure_kpa)},
    {POD_F_PUMP, "pump", "pump_pct", "%",
        offsetof(struct pod_sample, pump_pct)},
    {POD_F_CAPACITY, "capacity", "capacity_w", "W",
        offsetof(struct pod_sample, capacity_w)},
};
#define NFIELDS (sizeof(probe_fields) / sizeof(probe_fields[0]))

static const char *const probe_domains[] = {
    "?", "accel", "cpu", "node", "loop", "mem"};

static const char *
probe_domain(enum pod_domain d)
{
	if ((unsigned)d >= sizeof(probe_domains) / sizeof(probe_domains[0]))
		return "?";
	return probe_domains[d];
}

static double
probe_value(const struct pod_sample *s, size_t f)
{
	return *(const double *)((const char *)s + probe_fields[f].off);
}

static void
probe_log(
    const struct pod_host *host, enum pod_log_level level, const char *fmt, ...)
{
	struct probe_plugin *pp = host->opaque;
	char line[512];
	va_list va;

	va_start(va, fmt);
	vsnprintf(line, sizeof(line), fmt, va);
	va_end(va);
	if (level <= POD_LOG_WARN) {
		snprintf(pp->why, sizeof(pp->why), "%s", line);
		log_warnx(
		    "%s: %s/%s: %s", host->node, pp->kind, pp->name, line);
	} else if (level == POD_LOG_INFO)
		log_info("%s: %s/%s: %s", host->node, pp->kind, pp->name, line);
	else
		log_debug(
		    "%s: %s/%s: %s", host->node, pp->kind, pp->name, line);
}

/* 1 when every device that promises readings has one. */
static int
probe_complete(const struct probe_plugin *pp)
{
	int i;

	for (i = 0; i < pp->ndev; i++)
		if ((pp->dev[i].caps & ((1u << 24) - 1)) != 0 &&
		    pp->got[i].valid == 0)
			return 0;
	return 1;
}

/* Starts pp's plugin with its section's keys, lists its devices and reads
 * them until each has a reading or PROBE_WAIT_MS passed; stops it. */
static void
probe_one(struct probe_plugin *pp, const struct agent_kvlist *kv,
    const struct agent_conf *ac)
{
	const struct pod_plugin *d = pp->pl->desc;
	struct pod_host host;
	struct pod_sample s[POD_MAX_DEVICES];
	struct pod_env env;
	struct timespec ts = {0, PROBE_STEP_MS * 1000000L};
	int64_t start = time_mono_ms(), now;
	void *ctx = NULL;
	int i, n;

	memset(&host, 0, sizeof(host));
	host.node = pp->node;
	host.conf = kv->v;
	host.nconf = kv->n;
	host.seed = ac->seed_set ? ac->seed : agentconf_name_seed(pp->node);
	host.log = probe_log;
	host.opaque = pp;
	if (d->init(&host, &ctx) == -1) {
		if (pp->why[0] == '\0')
			snprintf(pp->why, sizeof(pp->why), "refused to start");
		return;
	}
	pp->started = 1;
	n = d->ops->devices(ctx, pp->dev, POD_MAX_DEVICES);
	if (n < 0 || n > POD_MAX_DEVICES) {
		snprintf(pp->why, sizeof(pp->why), "cannot list its devices");
		goto done;
	}
	pp->ndev = n;
	env.coolant_c = NAN;
	env.heat_w = NAN;
	env.load = pp->load;
	env.nload = n;
	for (now = start; n > 0; now = time_mono_ms()) {
		if (d->ops->environ != NULL)
			d->ops->environ(ctx, &env);
		memset(s, 0, sizeof(s));
		if (d->ops->read(ctx, now, s, n) == 0)
			for (i = 0; i < n; i++)
				if (s[i].valid != 0)
					pp->got[i] = s[i];
		if (probe_complete(pp) || now - start >= PROBE_WAIT_MS)
			break;
		nanosleep(&ts, NULL);
	}
done:
	d->fini(ctx);
}

/* "power energy temp" for the bits of caps; buf always terminated. */
static void
probe_reads(uint32_t caps, char *buf, size_t size)
{
	size_t f, used = 0;

	buf[0] = '\0';
	for (f = 0; f < NFIELDS && used < size; f++)
		if (caps & probe_fields[f].bit)
			used += snprintf(buf + used, size - used, "%s%s",
			    used ? " " : "", probe_fields[f].word);
	if (caps & POD_F_LEAK && used < size)
		snprintf(buf + used, size - used, "%sleak", used ? " " : "");
}

static void
probe_controls(const struct pod_device *dv, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	if (dv->caps & POD_CTL_CLOCK)
		used += snprintf(buf, size, "clock %.0f-%.0f MHz",
		    dv->clock_min_mhz, dv->clock_max_mhz);
	if (dv->caps & POD_CTL_POWER_LIMIT && used < size)
		snprintf(buf + used, size - used, "%spower limit %.0f-%.0f W",
		    used ? ", " : "", dv->power_min_w, dv->power_max_w);
	if (buf[0] == '\0')
		snprintf(buf, size, "-");
}

static void
probe_now(const struct pod_sample *s, char *buf, size_t size)
{
	size_t f, used = 0;

	buf[0] = '\0';
	if (s->valid == 0) {
		snprintf(buf, size, "no reading");
		return;
	}
	for (f = 0; f < NFIELDS && used < size; f++)
		if ((s->valid & probe_fields[f].bit) &&
		    probe_fields[f].bit != POD_F_ENERGY)
			used += snprintf(buf + used, size - used, "%s%.1f %s",
			    used ? ", " : "", probe_value(s, f),
			    probe_fields[f].unit);
	if ((s->valid & POD_F_LEAK) && used < size)
		snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
		    s->leak ? "LEAK" : "no leak");
}

static void
probe_table(const struct probe_plugin *pp, int n, FILE *out)
{
	const struct pod_device *dv;
	char reads[128], ctl[96], now[256];
	int k, i;

	for (k = 0; k < n; k++, pp++) {
		fprintf(out, "%s/%s [%s]: ", pp->kind, pp->name, pp->section);
		if (pp->pl == NULL || !pp->started) {
			fprintf(out, "FAILED: %s\n\n",
			    pp->why[0] ? pp->why : "did not load");
			continue;
		}
		if (pp->ndev == 0) {
			fprintf(out, "no device found%s%s\n\n",
			    pp->why[0] ? ": " : "", pp->why);
			continue;
		}
		fprintf(out, "%d device%s (%s)\n", pp->ndev,
		    pp->ndev == 1 ? "" : "s", pp->pl->desc->description);
		fprintf(out, "  %-10s %-6s %-20s %-34s %-42s %s\n", "DEVICE",
		    "DOMAIN", "MODEL", "REPORTS", "CONTROLS", "NOW");
		for (i = 0; i < pp->ndev; i++) {
			dv = &pp->dev[i];
			probe_reads(dv->caps, reads, sizeof(reads));
			probe_controls(dv, ctl, sizeof(ctl));
			probe_now(&pp->got[i], now, sizeof(now));
			fprintf(out, "  %-10s %-6s %-20.20s %-34s %-42s %s\n",
			    dv->name, probe_domain(dv->domain),
			    dv->model[0] ? dv->model : "-",
			    reads[0] ? reads : "-", ctl, now);
		}
		if (pp->why[0] != '\0')
			fprintf(out, "  said: %s\n", pp->why);
		fprintf(out, "\n");
	}
}

static json_t *
probe_range(double lo, double hi)
{
	return json_pack("[f, f]", lo, hi);
}

static json_t *
probe_device_json(const struct pod_device *dv, const struct pod_sample *s)
{
	json_t *o, *reads, *ctl, *now;
	size_t f;

	reads = json_array();
	for (f = 0; f < NFIELDS; f++)
		if (dv->caps & probe_fields[f].bit)
			json_array_append_new(
			    reads, json_string(probe_fields[f].json));
	if (dv->caps & POD_F_LEAK)
		json_array_append_new(reads, json_string("leak"));
	ctl = json_object();
	if (dv->caps & POD_CTL_CLOCK)
		json_object_set_new(ctl, "clock_mhz",
		    probe_range(dv->clock_min_mhz, dv->clock_max_mhz));
	if (dv->caps & POD_CTL_POWER_LIMIT)
		json_object_set_new(ctl, "power_limit_w",
		    probe_range(dv->power_min_w, dv->power_max_w));
	now = json_null();
	if (s->valid != 0) {
		now = json_object();
		for (f = 0; f < NFIELDS; f++)
			if (s->valid & probe_fields[f].bit)
				json_object_set_new(now, probe_fields[f].json,
				    json_real(probe_value(s, f)));
		if (s->valid & POD_F_LEAK)
			json_object_set_new(now, "leak", json_boolean(s->leak));
	}
	o = json_pack("{s:s, s:s, s:s, s:i, s:o, s:o, s:o}", "name", dv->name,
	    "domain", probe_domain(dv->domain), "model", dv->model, "index",
	    dv->index, "reports", reads, "controls", ctl, "reading", now);
	return o;
}

static int
probe_json(const struct probe_plugin *pp, int n, FILE *out)
{
	json_t *root = json_object(), *arr = json_array(), *o, *devs;
	int k, i, rc;

	for (k = 0; k < n; k++, pp++) {
		devs = json_array();
		for (i = 0; i < pp->ndev; i++)
			json_array_append_new(
			    devs, probe_device_json(&pp->dev[i], &pp->got[i]));
		o = json_pack("{s:s, s:s, s:s, s:b, s:o, s:o}", "section",
		    pp->section, "kind", pp->kind, "plugin", pp->name,
		    "started", pp->started, "devices", devs, "said",
		    pp->why[0] ? json_string(pp->why) : json_null());
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "plugins", arr);
	rc = json_dumpf(root, out, JSON_INDENT(2));
	fputc('\n', out);
	json_decref(root);
	return rc;
}

int
probe_run(const struct agent_conf *ac, struct plugin *const *power,
    struct plugin *cooling, int json, FILE *out)
{
	struct probe_plugin pp[AGENT_MAX_EXTRA_POWER + 2];
	const struct agent_kvlist *kv[AGENT_MAX_EXTRA_POWER + 2];
	int n = 0, i, rc = 0;

	memset(pp, 0, sizeof(pp));
	snprintf(pp[n].section, sizeof(pp[n].section), "power");
	pp[n].name = ac->power_plugin;
	pp[n].pl = power[0];
	kv[n++] = &ac->power_kv;
	for (i = 0; i < ac->nextra_power; i++) {
		snprintf(pp[n].section, sizeof(pp[n].section), "power %s",
		    ac->extra_power[i].label);
		pp[n].name = ac->extra_power[i].plugin;
		pp[n].pl = power[1 + i];
		kv[n++] = &ac->extra_power[i].kv;
	}
	if (ac->cooling_plugin[0] != '\0') {
		snprintf(pp[n].section, sizeof(pp[n].section), "cooling");
		pp[n].name = ac->cooling_plugin;
		pp[n].pl = cooling;
		kv[n++] = &ac->cooling_kv;
	}
	for (i = 0; i < n; i++) {
		pp[i].kind = i == n - 1 && ac->cooling_plugin[0] != '\0'
		                 ? "cooling"
		                 : "power";
		pp[i].node = ac->name;
		if (pp[i].pl != NULL)
			probe_one(&pp[i], kv[i], ac);
		if (pp[i].pl == NULL || !pp[i].started || pp[i].ndev == 0)
			rc = 1;
	}
	if (json)
		probe_json(pp, n, out);
	else
		probe_table(pp, n, out);
	return rc;
}
