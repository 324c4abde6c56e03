/*
 * power/redfish: the node as its BMC sees it, over Redfish (redfish.h):
 * one POD_DOMAIN_NODE device "node" with the chassis' power, energy and
 * hottest temperature, and its power limit when the BMC lets it be set.
 *
 * Where the readings come from: the chassis' EnvironmentMetrics
 * (PowerWatts, EnergykWh, TemperatureCelsius, PowerLimitWatts) when the BMC
 * has the 2020+ model, else, or for what EnvironmentMetrics lacks, the
 * legacy Power (PowerControl[0]) and Thermal (the highest of
 * Temperatures[].ReadingCelsius) resources. PowerSubsystem gives the
 * chassis' capacity (tdp_w).
 *
 * Shape: a BMC answers in hundreds of milliseconds on a good day and not at
 * all on a bad one, so every request runs on the plugin's I/O thread
 * (worker.h), every poll_ms; a poll either reads everything it needs and
 * publishes it with the time it was read, or publishes nothing, and read()
 * reports values younger than stale_ms only. control() only records the
 * limit wanted; the thread PATCHes it before its next poll, and says a
 * refusal once. What the device can do (the power limit and its range) is
 * learnt from the first poll, which init() waits for (a bounded wait): the
 * ABI fixes a device's capabilities for the life of the instance.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include <pod/plugin.h>
#include <pod/plugin_util.h>

#include "bmcmap.h"
#include "redfish.h"
#include "worker.h"

#define NELEM(a)      (sizeof(a) / sizeof((a)[0]))
#define BMC_ID_MAX    128
#define BMC_CHASSIS   "/redfish/v1/Chassis"
#define BMC_J_PER_KWH 3.6e6

struct bmc_conf {
	struct redfish_conf rf;
	char chassis[BMC_ID_MAX]; /* "": the first chassis */
	int poll_ms;              /* between polls, ms */
	int stale_ms;             /* readings older than this are unknown */
};

struct bmc {
	const struct pod_host *host; /* borrowed */
	struct bmc_conf conf;
	struct worker *w;   /* the host's handle */
	struct worker *tw;  /* the same, for the thread (set by it) */
	struct redfish *rf; /* the thread's */
	char chassis[REDFISH_PATH_MAX];
	struct bmc_layout lay; /* the thread's */
	struct pod_said said;  /* the thread's: polls */
	struct pod_said said_ctl;

	/* Under worker_lock. */
	struct bmc_reading pub;
	struct bmc_layout pub_lay;
	int want_pending; /* 1: want_w is to be PATCHed */
	double want_w;    /* W */

	/* The host thread's. */
	int fresh;       /* 1 last read had values, 0 not, -1 none yet */
	int have_energy; /* 1: e0_kwh holds the first counter */
	double e0_kwh, elast_kwh, eoff_j;
	struct pod_device dev;
};

/*
 * The plugin's own keys (the connection keys are redfish.h's). name: the
 * key; min, max: accepted range; off: the int in struct bmc_conf, or 0 for
 * `chassis`.
 */
static const struct bmc_key {
	const char *name;
	long min, max;
	size_t off;
} bmc_keys[] = {
    {"chassis", 0, 0, 0},
    {"poll_ms", 100, 3600000, offsetof(struct bmc_conf, poll_ms)},
    {"stale_ms", 200, 86400000, offsetof(struct bmc_conf, stale_ms)},
};

static int
bmc_conf_parse(const struct pod_host *host, struct bmc_conf *cf)
{
	const struct pod_kv *kv;
	const char *stale_where = NULL;
	size_t j;
	long l;
	int i, rc;

	memset(cf, 0, sizeof(*cf));
	redfish_conf_default(&cf->rf, 3000);
	cf->poll_ms = 5000;
	cf->stale_ms = 15000;
	for (i = 0; i < host->nconf; i++) {
		kv = &host->conf[i];
		if ((rc = redfish_conf_key(host, kv, &cf->rf)) == -1)
			return -1;
		if (rc == 1)
			continue;
		for (j = 0; j < NELEM(bmc_keys); j++)
			if (strcmp(kv->key, bmc_keys[j].name) == 0)
				break;
		if (j == NELEM(bmc_keys)) {
			host->log(host, POD_LOG_ERROR,
			    "%s: %s: unknown key (want " REDFISH_KEYS
			    ", chassis, poll_ms, stale_ms)",
			    kv->where, kv->key);
			return -1;
		}
		if (bmc_keys[j].off == 0) {
			if (kv->value[0] == '\0' || strchr(kv->value, '/') ||
			    strlen(kv->value) >= sizeof(cf->chassis)) {
				host->log(host, POD_LOG_ERROR,
				    "%s: chassis: '%s': want a chassis Id",
				    kv->where, kv->value);
				return -1;
			}
			snprintf(
			    cf->chassis, sizeof(cf->chassis), "%s", kv->value);
			continue;
		}
		if (pod_parse_long(kv->value, bmc_keys[j].min, bmc_keys[j].max,
		        &l) == -1) {
			host->log(host, POD_LOG_ERROR,
			    "%s: %s: '%s': want an integer %ld..%ld", kv->where,
			    kv->key, kv->value, bmc_keys[j].min,
			    bmc_keys[j].max);
			return -1;
		}
		*(int *)((char *)cf + bmc_keys[j].off) = (int)l;
		if (strcmp(kv->key, "stale_ms") == 0)
			stale_where = kv->where;
	}
	if (cf->stale_ms <= cf->poll_ms) {
		host->log(host, POD_LOG_ERROR,
		    "%s%sstale_ms (%d) must exceed poll_ms (%d)",
		    stale_where ? stale_where : "", stale_where ? ": " : "",
		    cf->stale_ms, cf->poll_ms);
		return -1;
	}
	return redfish_conf_check(host, &cf->rf, "power");
}

static void
bmc_copy_path(char *dst, const char *src)
{
	snprintf(dst, REDFISH_PATH_MAX, "%s", src ? src : "");
}

/* Learns the chassis' resources. 0, or -1 with the error said. */
static int
bmc_discover(struct bmc *b)
{
	struct bmc_layout *lay = &b->lay;
	json_t *coll = NULL, *ch = NULL, *ps = NULL, *env = NULL, *pw = NULL;
	const char *p;
	int rc = -1;

	memset(lay, 0, sizeof(*lay));
	if (b->conf.chassis[0] != '\0') {
		snprintf(b->chassis, sizeof(b->chassis), "%s/%s", BMC_CHASSIS,
		    b->conf.chassis);
	} else {
		if (redfish_get(b->rf, BMC_CHASSIS, &coll) == -1)
			goto fail;
		if ((p = redfish_member(coll, 0)) == NULL) {
			worker_trouble(
			    b->tw, &b->said, "GET %s: no chassis", BMC_CHASSIS);
			goto out;
		}
		bmc_copy_path(b->chassis, p);
	}
	if (redfish_get(b->rf, b->chassis, &ch) == -1)
		goto fail;
	bmcmap_chassis(ch, lay);
	if ((p = redfish_link(ch, "PowerSubsystem")) != NULL) {
		if (redfish_get(b->rf, p, &ps) == -1)
			goto fail;
		bmcmap_capacity(ps, lay);
	}
	if (lay->env[0] != '\0') {
		if (redfish_get(b->rf, lay->env, &env) == -1)
			goto fail;
		bmcmap_env_limit(env, lay);
	}
	if (lay->limit == BMC_LIMIT_NONE && lay->power[0] != '\0') {
		if (redfish_get(b->rf, lay->power, &pw) == -1)
			goto fail;
		bmcmap_legacy_limit(pw, lay);
	}
	lay->known = 1;
	rc = 0;
	goto out;
fail:
	redfish_say(b->rf, b->tw, &b->said);
out:
	json_decref(coll);
	json_decref(ch);
	json_decref(ps);
	json_decref(env);
	json_decref(pw);
	return rc;
}

/* Reads the chassis into *rd. 0, or -1 with the error said. */
static int
bmc_measure(struct bmc *b, struct bmc_reading *rd)
{
	const struct bmc_layout *lay = &b->lay;
	json_t *env = NULL, *pw = NULL, *th = NULL;
	int rc = -1;

	memset(rd, 0, sizeof(*rd));
	if (lay->env[0] != '\0') {
		if (redfish_get(b->rf, lay->env, &env) == -1)
			goto fail;
		bmcmap_env(env, rd);
	}
	if (!(rd->valid & POD_F_POWER) && lay->power[0] != '\0') {
		if (redfish_get(b->rf, lay->power, &pw) == -1)
			goto fail;
		bmcmap_power(pw, rd);
	}
	if (!(rd->valid & POD_F_TEMP) && lay->thermal[0] != '\0') {
		if (redfish_get(b->rf, lay->thermal, &th) == -1)
			goto fail;
		bmcmap_thermal(th, rd);
	}
	rd->mono_ms = pod_clock_ms(CLOCK_MONOTONIC);
	rd->wall_ms = pod_clock_ms(CLOCK_REALTIME);
	rc = 0;
	goto out;
fail:
	redfish_say(b->rf, b->tw, &b->said);
out:
	json_decref(env);
	json_decref(pw);
	json_decref(th);
	return rc;
}

/*
 * PATCHes the limit control() asked for, if any; says a refusal once. A
 * limit that got no answer, or a 5xx, is tried again at the next poll
 * (unless control() asked for another since); one the BMC refused (4xx)
 * only at the next control(), since asking again would be refused again.
 */
static void
bmc_apply(struct bmc *b)
{
	json_t *body = NULL;
	const char *path;
	long status;
	double w;
	int pending;

	if (b->lay.limit == BMC_LIMIT_NONE)
		return;
	worker_lock(b->tw);
	pending = b->want_pending;
	w = b->want_w;
	b->want_pending = 0;
	worker_unlock(b->tw);
	if (!pending)
		return;
	if (b->lay.limit == BMC_LIMIT_ENV) {
		path = b->lay.env;
		body = json_pack("{s:{s:f}}", "PowerLimitWatts", "SetPoint", w);
	} else {
		path = b->lay.power;
		body = json_pack("{s:[{s:{s:f}}]}", "PowerControl",
		    "PowerLimit", "LimitInWatts", w);
	}
	if (body == NULL)
		return;
	if (redfish_patch(b->rf, path, body) == -1) {
		redfish_say(b->rf, b->tw, &b->said_ctl);
		status = redfish_status(b->rf);
		if (status == 0 || status >= 500) {
			worker_lock(b->tw);
			if (!b->want_pending) {
				b->want_pending = 1;
				b->want_w = w;
			}
			worker_unlock(b->tw);
		}
	} else {
		worker_fine(b->tw, &b->said_ctl,
		    "power limit: %s accepts it again", b->conf.rf.url);
		worker_log(b->tw, POD_LOG_INFO, "power limit set to %.0f W", w);
	}
	json_decref(body);
}

/* One poll, on the worker's thread. */
static void
bmc_poll(struct worker *w, void *arg)
{
	struct bmc *b = arg;
	struct bmc_reading rd;
	int ok = 0;

	b->tw = w;
	if (b->rf == NULL && (b->rf = redfish_new(&b->conf.rf, w)) == NULL) {
		worker_trouble(w, &b->said, "%s: out of memory", __func__);
		goto done;
	}
	if (!b->lay.known && bmc_discover(b) == -1)
		goto done;
	bmc_apply(b);
	if (bmc_measure(b, &rd) == -1)
		goto done;
	ok = 1;
	worker_fine(
	    b->tw, &b->said, "BMC at %s answering again", b->conf.rf.url);
done:
	worker_lock(b->tw);
	if (ok) {
		b->pub = rd;
		b->pub_lay = b->lay;
	}
	worker_unlock(b->tw);
}

/* The node device from what the first poll learnt (or did not). */
static void
bmc_device(struct bmc *b, const struct bmc_layout *lay)
{
	struct pod_device *d = &b->dev;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "node");
	snprintf(d->model, sizeof(d->model), "%s",
	    lay->known ? lay->model : BMC_MODEL);
	d->domain = POD_DOMAIN_NODE;
	/* Energy comes only from EnvironmentMetrics: a legacy BMC never
	 * reports it. Unknown at start: what it may report. */
	d->caps = POD_F_POWER | POD_F_TEMP;
	if (!lay->known || lay->env[0] != '\0')
		d->caps |= POD_F_ENERGY;
	d->tdp_w = lay->capacity_w;
	if (lay->known && lay->limit != BMC_LIMIT_NONE) {
		d->caps |= POD_CTL_POWER_LIMIT;
		d->power_min_w = lay->limit_min_w;
		d->power_max_w = lay->limit_max_w;
	}
}

static void
bmc_free(struct bmc *b)
{
	if (b == NULL)
		return;
	worker_free(b->w, b->host);
	redfish_free(b->rf);
	memset(&b->conf.rf.password, 0, sizeof(b->conf.rf.password));
	free(b);
	curl_global_cleanup();
}

static int
bmc_init(const struct pod_host *host, void **ctx)
{
	struct bmc *b;

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		host->log(host, POD_LOG_ERROR, "%s: calloc: %s", __func__,
		    strerror(errno));
		return -1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	b->host = host;
	b->fresh = -1;
	if (bmc_conf_parse(host, &b->conf) == -1)
		goto fail;
	if ((b->w = worker_new(b->conf.poll_ms, bmc_poll, b)) == NULL) {
		host->log(host, POD_LOG_ERROR, "%s: cannot start a thread: %s",
		    __func__, strerror(errno));
		goto fail;
	}
	/* What the node can be told comes from the BMC: wait for the first
	 * poll, a few requests' worth at most. A BMC that does not answer
	 * in time is not a configuration error. */
	(void)worker_wait_first(b->w, 3 * b->conf.rf.timeout_ms);
	worker_flush(b->w, host);
	worker_lock(b->w);
	bmc_device(b, &b->pub_lay);
	worker_unlock(b->w);
	if (!(b->dev.caps & POD_CTL_POWER_LIMIT))
		host->log(host, POD_LOG_INFO, "BMC at %s: %s", b->conf.rf.url,
		    b->pub_lay.known ? "no settable power limit"
		                     : "not answering yet; the power limit "
		                       "is not offered until a restart");
	host->log(host, POD_LOG_INFO,
	    "BMC at %s, %s, poll %d ms, stale after %d ms", b->conf.rf.url,
	    b->conf.chassis[0] ? b->conf.chassis : "first chassis",
	    b->conf.poll_ms, b->conf.stale_ms);
	*ctx = b;
	return 0;
fail:
	bmc_free(b);
	return -1;
}

static void
bmc_fini(void *ctx)
{
	bmc_free(ctx);
}

static int
bmc_devices(void *ctx, struct pod_device *out, int max)
{
	struct bmc *b = ctx;

	if (max < 1) {
		b->host->log(b->host, POD_LOG_ERROR, "%s: no room for the node",
		    __func__);
		return -1;
	}
	out[0] = b->dev;
	return 1;
}

/* The energy counter since start, in J, from the BMC's kWh counter: a
 * counter that goes back (a BMC reset) continues from where it was. */
static double
bmc_energy_j(struct bmc *b, double kwh)
{
	if (!b->have_energy) {
		b->have_energy = 1;
		b->e0_kwh = b->elast_kwh = kwh;
	}
	if (kwh < b->elast_kwh) {
		b->eoff_j += (b->elast_kwh - b->e0_kwh) * BMC_J_PER_KWH;
		b->e0_kwh = kwh;
	}
	b->elast_kwh = kwh;
	return b->eoff_j + (kwh - b->e0_kwh) * BMC_J_PER_KWH;
}

/*
 * The last reading, if younger than stale_ms on the plugin's own
 * monotonic clock (the one the thread stamps readings with; the host may
 * run virtual time).
 */
static int
bmc_read(void *ctx, int64_t now_ms, struct pod_sample *out, int n)
{
	struct bmc *b = ctx;
	struct bmc_reading rd;

	if (n < 1)
		return -1;
	worker_flush(b->w, b->host);
	worker_lock(b->w);
	rd = b->pub;
	worker_unlock(b->w);
	memset(out, 0, sizeof(*out));
	if (rd.mono_ms != 0 &&
	    pod_clock_ms(CLOCK_MONOTONIC) - rd.mono_ms <= b->conf.stale_ms) {
		out->valid = rd.valid & b->dev.caps;
		out->t_ms = rd.wall_ms;
		out->power_w = rd.power_w;
		out->temp_c = rd.temp_c;
		if (rd.valid & POD_F_ENERGY)
			out->energy_j = bmc_energy_j(b, rd.energy_kwh);
		/* a counter near a double's range would overflow in J */
		if (!isfinite(out->energy_j)) {
			out->energy_j = 0;
			out->valid &= ~POD_F_ENERGY;
		}
	}
	if (b->fresh == 1 && out->valid == 0)
		b->host->log(b->host, POD_LOG_WARN,
		    "no reading from the BMC for over %d ms: reporting the "
		    "node's power as unknown",
		    b->conf.stale_ms);
	else if (b->fresh == 0 && out->valid != 0)
		b->host->log(
		    b->host, POD_LOG_INFO, "readings from the BMC again");
	if (out->valid != 0)
		b->fresh = 1;
	else if (b->fresh == 1)
		b->fresh = 0;
	(void)now_ms;
	return 0;
}

/* Records the limit wanted; the thread PATCHes it. Never waits. */
static int
bmc_control(void *ctx, int dev, const struct pod_control *c)
{
	struct bmc *b = ctx;
	double w;

	if (dev != 0 || !(c->set & POD_CTL_POWER_LIMIT) ||
	    !(b->dev.caps & POD_CTL_POWER_LIMIT)) {
		b->host->log(b->host, POD_LOG_WARN,
		    "%s: the BMC at %s offers no such control", __func__,
		    b->conf.rf.url);
		return -1;
	}
	w = c->power_limit_w;
	if (!isfinite(w))
		return -1;
	if (w < b->dev.power_min_w)
		w = b->dev.power_min_w;
	if (w > b->dev.power_max_w)
		w = b->dev.power_max_w;
	worker_lock(b->w);
	b->want_w = w;
	b->want_pending = 1;
	worker_unlock(b->w);
	return 0;
}

static const struct pod_plugin_ops bmc_ops = {
    .devices = bmc_devices,
    .read = bmc_read,
    .control = bmc_control,
    .environ = NULL,
};

/* The descriptor the loader looks up; see include/pod/plugin.h. */
const struct pod_plugin pod_plugin = {
    .abi = POD_PLUGIN_ABI,
    .kind = "power",
    .name = "redfish",
    .description = "the node's power, energy, temperature and power limit "
                   "from its BMC over Redfish",
    .init = bmc_init,
    .fini = bmc_fini,
    .ops = &bmc_ops,
};
