/*
 * cooling/redfish: a coolant distribution unit as DMTF's Redfish models it
 * (2023 and later: ThermalEquipment/CDUs/{id}, a CoolingUnit), one
 * POD_DOMAIN_LOOP device "loop".
 *
 * What it reads, every poll_ms, on the plugin's I/O thread (worker.h,
 * requests through redfish.h): the CoolingUnit (CoolingCapacityWatts); the
 * first CoolantConnector (or the one `connector` names) of the side that
 * feeds the node, secondary by default (SupplyTemperatureCelsius,
 * ReturnTemperatureCelsius, FlowLitersPerMinute, DeltaPressurekPa, each a
 * sensor excerpt's Reading); the Pumps (the mean of PumpSpeedPercent); and
 * LeakDetection, whose detectors' DetectorState (OK, Warning, Critical)
 * says wet or dry, from LeakDetectorGroups[].Detectors[] when the CDU
 * lists them there, else from each member of LeakDetectors.
 *
 * A leak is what the agent's guard acts on, so it is never presented as
 * known when it is not: a poll reads everything or publishes nothing; the
 * leak is known when a detector says wet, or when every detector read says
 * OK; and read() reports nothing older than stale_ms. A CDU that stops
 * answering therefore turns the leak bit invalid, not dry.
 */
#include <errno.h>
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

#include "redfish.h"
#include "rfmap.h"
#include "worker.h"

#define NELEM(a)        (sizeof(a) / sizeof((a)[0]))
#define RFCDU_ID_MAX    128
#define RFCDU_CDUS      "/redfish/v1/ThermalEquipment/CDUs"
#define RFCDU_MODEL     "Redfish CDU"
#define RFCDU_PUMPS_MAX 16 /* pumps read per poll */
#define RFCDU_LEAKS_MAX 32 /* leak detectors read per poll */

struct rfcdu_conf {
	struct redfish_conf rf;
	char cdu[RFCDU_ID_MAX];       /* "": the first CDU */
	char connector[RFCDU_ID_MAX]; /* "": the side's first connector */
	int primary;                  /* 1: the primary side feeds the node */
	int poll_ms;                  /* between polls, ms */
	int stale_ms;                 /* readings older are unknown, ms */
};

struct rfcdu {
	const struct pod_host *host; /* borrowed */
	struct rfcdu_conf conf;
	struct worker *w;     /* the host's handle */
	struct worker *tw;    /* the same, for the thread (set by it) */
	struct redfish *rf;   /* the thread's */
	struct pod_said said; /* the thread's */
	char model[64];       /* the thread's: the CDU's Model */

	/* Under worker_lock. */
	struct rfcdu_reading pub;
	char pub_model[64];

	/* The host thread's. */
	int fresh; /* 1 last read had values, 0 not, -1 none yet */
};

/*
 * The plugin's own keys (the connection keys are redfish.h's). name: the
 * key; type: how it parses; min, max: range of integers; off: the field of
 * struct rfcdu_conf.
 */
enum rfcdu_ktype { RFCDU_K_ID, RFCDU_K_SIDE, RFCDU_K_INT };
static const struct rfcdu_key {
	const char *name;
	enum rfcdu_ktype type;
	long min, max;
	size_t off;
} rfcdu_keys[] = {
    {"cdu", RFCDU_K_ID, 0, 0, offsetof(struct rfcdu_conf, cdu)},
    {"connector", RFCDU_K_ID, 0, 0, offsetof(struct rfcdu_conf, connector)},
    {"side", RFCDU_K_SIDE, 0, 0, offsetof(struct rfcdu_conf, primary)},
    {"poll_ms", RFCDU_K_INT, 100, 3600000,
        offsetof(struct rfcdu_conf, poll_ms)},
    {"stale_ms", RFCDU_K_INT, 200, 86400000,
        offsetof(struct rfcdu_conf, stale_ms)},
};

static int
rfcdu_conf_key(
    const struct pod_host *host, const struct pod_kv *kv, struct rfcdu_conf *cf)
{
	const struct rfcdu_key *k = NULL;
	char *field;
	size_t j;
	long l;

	for (j = 0; j < NELEM(rfcdu_keys); j++)
		if (strcmp(kv->key, rfcdu_keys[j].name) == 0)
			k = &rfcdu_keys[j];
	if (k == NULL) {
		host->log(host, POD_LOG_ERROR,
		    "%s: %s: unknown key (want " REDFISH_KEYS
		    ", cdu, side, connector, poll_ms, stale_ms)",
		    kv->where, kv->key);
		return -1;
	}
	field = (char *)cf + k->off;
	switch (k->type) {
	case RFCDU_K_ID:
		if (kv->value[0] != '\0' && strchr(kv->value, '/') == NULL &&
		    strlen(kv->value) < RFCDU_ID_MAX) {
			snprintf(field, RFCDU_ID_MAX, "%s", kv->value);
			return 0;
		}
		host->log(host, POD_LOG_ERROR, "%s: %s: '%s': want an Id",
		    kv->where, kv->key, kv->value);
		return -1;
	case RFCDU_K_SIDE:
		if (strcmp(kv->value, "primary") == 0 ||
		    strcmp(kv->value, "secondary") == 0) {
			*(int *)field = kv->value[0] == 'p';
			return 0;
		}
		host->log(host, POD_LOG_ERROR,
		    "%s: side: '%s': want primary or secondary", kv->where,
		    kv->value);
		return -1;
	case RFCDU_K_INT:
		if (pod_parse_long(kv->value, k->min, k->max, &l) == 0) {
			*(int *)field = (int)l;
			return 0;
		}
		host->log(host, POD_LOG_ERROR,
		    "%s: %s: '%s': want an integer %ld..%ld", kv->where,
		    kv->key, kv->value, k->min, k->max);
		return -1;
	}
	return -1;
}

static int
rfcdu_conf_parse(const struct pod_host *host, struct rfcdu_conf *cf)
{
	const char *stale_where = NULL;
	int i, rc;

	memset(cf, 0, sizeof(*cf));
	redfish_conf_default(&cf->rf, 2000);
	cf->poll_ms = 2000;
	cf->stale_ms = 10000;
	for (i = 0; i < host->nconf; i++) {
		if ((rc = redfish_conf_key(host, &host->conf[i], &cf->rf)) ==
		    -1)
			return -1;
		if (rc == 1)
			continue;
		if (rfcdu_conf_key(host, &host->conf[i], cf) == -1)
			return -1;
		if (strcmp(host->conf[i].key, "stale_ms") == 0)
			stale_where = host->conf[i].where;
	}
	if (cf->stale_ms <= cf->poll_ms) {
		host->log(host, POD_LOG_ERROR,
		    "%s%sstale_ms (%d) must exceed poll_ms (%d)",
		    stale_where ? stale_where : "", stale_where ? ": " : "",
		    cf->stale_ms, cf->poll_ms);
		return -1;
	}
	return redfish_conf_check(host, &cf->rf, "cooling");
}

/* GETs a collection and the path of its member `id` ("": the first) into
 * out. 0, or -1 (said). */
static int
rfcdu_pick(struct rfcdu *c, const char *coll_path, const char *id, char *out,
    const char *what)
{
	json_t *coll = NULL;
	const char *p;
	int rc = -1;

	if (redfish_get(c->rf, coll_path, &coll) == -1) {
		redfish_say(c->rf, c->tw, &c->said);
		return -1;
	}
	if ((p = rfmap_member(coll, id)) != NULL) {
		snprintf(out, REDFISH_PATH_MAX, "%s", p);
		rc = 0;
	} else
		worker_trouble(c->tw, &c->said, "GET %s: no %s%s%s", coll_path,
		    what, id[0] ? " " : "", id);
	json_decref(coll);
	return rc;
}

/* The CDU's pumps' PumpSpeedPercent into t. 0, or -1 (said). */
static int
rfcdu_pumps(struct rfcdu *c, const char *path, struct rfmap_tally *t)
{
	json_t *coll = NULL, *pump;
	const char *p;
	size_t i, n;

	if (redfish_get(c->rf, path, &coll) == -1)
		goto fail;
	n = redfish_nmembers(coll);
	for (i = 0; i < n && i < RFCDU_PUMPS_MAX; i++) {
		if ((p = redfish_member(coll, i)) == NULL)
			continue;
		if (redfish_get(c->rf, p, &pump) == -1)
			goto fail;
		rfmap_pump(pump, t);
		json_decref(pump);
	}
	json_decref(coll);
	return 0;
fail:
	json_decref(coll);
	redfish_say(c->rf, c->tw, &c->said);
	return -1;
}

/* The leak detectors of LeakDetection at path into t. 0, or -1 (said). */
static int
rfcdu_leak(struct rfcdu *c, const char *path, struct rfmap_tally *t)
{
	json_t *ld = NULL, *coll = NULL, *det;
	const char *p;
	size_t i, n;

	if (redfish_get(c->rf, path, &ld) == -1)
		goto fail;
	rfmap_leak_groups(ld, t);
	if (t->seen == 0 && (p = redfish_link(ld, "LeakDetectors")) != NULL) {
		if (redfish_get(c->rf, p, &coll) == -1)
			goto fail;
		n = redfish_nmembers(coll);
		for (i = 0; i < n && i < RFCDU_LEAKS_MAX; i++) {
			if ((p = redfish_member(coll, i)) == NULL)
				continue;
			if (redfish_get(c->rf, p, &det) == -1)
				goto fail;
			rfmap_detector(det, t);
			json_decref(det);
		}
	}
	json_decref(coll);
	json_decref(ld);
	return 0;
fail:
	json_decref(coll);
	json_decref(ld);
	redfish_say(c->rf, c->tw, &c->said);
	return -1;
}

/* Reads the CDU into *rd. 0, or -1 (said). */
static int
rfcdu_measure(struct rfcdu *c, struct rfcdu_reading *rd)
{
	char cdu[REDFISH_PATH_MAX], conn[REDFISH_PATH_MAX];
	json_t *unit = NULL, *cc = NULL;
	struct rfmap_tally t;
	const char *side, *p;
	int rc = -1;

	memset(rd, 0, sizeof(*rd));
	memset(&t, 0, sizeof(t));
	if (c->conf.cdu[0] != '\0')
		snprintf(cdu, sizeof(cdu), "%s/%s", RFCDU_CDUS, c->conf.cdu);
	else if (rfcdu_pick(c, RFCDU_CDUS, "", cdu, "CDU") == -1)
		return -1;
	if (redfish_get(c->rf, cdu, &unit) == -1)
		goto fail;
	rfmap_unit(unit, rd, c->model, sizeof(c->model));
	side = c->conf.primary ? "PrimaryCoolantConnectors"
	                       : "SecondaryCoolantConnectors";
	if ((p = redfish_link(unit, side)) != NULL) {
		if (rfcdu_pick(c, p, c->conf.connector, conn, "connector") ==
		    -1)
			goto out;
		if (redfish_get(c->rf, conn, &cc) == -1)
			goto fail;
		rfmap_connector(cc, rd);
	}
	if ((p = redfish_link(unit, "Pumps")) != NULL &&
	    rfcdu_pumps(c, p, &t) == -1)
		goto out;
	if ((p = redfish_link(unit, "LeakDetection")) != NULL &&
	    rfcdu_leak(c, p, &t) == -1)
		goto out;
	rfmap_done(&t, rd);
	rd->mono_ms = pod_clock_ms(CLOCK_MONOTONIC);
	rd->wall_ms = pod_clock_ms(CLOCK_REALTIME);
	rc = 0;
	goto out;
fail:
	redfish_say(c->rf, c->tw, &c->said);
out:
	json_decref(cc);
	json_decref(unit);
	return rc;
}

/* One poll, on the worker's thread. */
static void
rfcdu_poll(struct worker *w, void *arg)
{
	struct rfcdu *c = arg;
	struct rfcdu_reading rd;
	int ok = 0;

	c->tw = w;
	if (c->rf == NULL && (c->rf = redfish_new(&c->conf.rf, w)) == NULL) {
		worker_trouble(w, &c->said, "%s: out of memory", __func__);
		goto done;
	}
	if (rfcdu_measure(c, &rd) == 0) {
		ok = 1;
		worker_fine(
		    w, &c->said, "CDU at %s answering again", c->conf.rf.url);
	}
done:
	worker_lock(w);
	if (ok) {
		c->pub = rd;
		memcpy(c->pub_model, c->model, sizeof(c->pub_model));
	}
	worker_unlock(w);
}

static void
rfcdu_free(struct rfcdu *c)
{
	if (c == NULL)
		return;
	worker_free(c->w, c->host);
	redfish_free(c->rf);
	memset(c->conf.rf.password, 0, sizeof(c->conf.rf.password));
	free(c);
	curl_global_cleanup();
}

/* Waits for the first poll, a few requests' worth at most, so that the
 * device has the CDU's model and the first sample its readings. A CDU that
 * does not answer in time is not a configuration error. */
static void
rfcdu_first_poll(struct rfcdu *c)
{
	(void)worker_wait_first(c->w, 3 * c->conf.rf.timeout_ms);
	worker_flush(c->w, c->host);
}

static int
rfcdu_init(const struct pod_host *host, void **ctx)
{
	struct rfcdu *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		host->log(host, POD_LOG_ERROR, "%s: calloc: %s", __func__,
		    strerror(errno));
		return -1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c->host = host;
	c->fresh = -1;
	snprintf(c->model, sizeof(c->model), "%s", RFCDU_MODEL);
	snprintf(c->pub_model, sizeof(c->pub_model), "%s", RFCDU_MODEL);
	if (rfcdu_conf_parse(host, &c->conf) == -1)
		goto fail;
	if ((c->w = worker_new(c->conf.poll_ms, rfcdu_poll, c)) == NULL) {
		host->log(host, POD_LOG_ERROR, "%s: cannot start a thread: %s",
		    __func__, strerror(errno));
		goto fail;
	}
	rfcdu_first_poll(c);
	host->log(host, POD_LOG_INFO,
	    "CDU at %s (%s, %s side), poll %d ms, stale after %d ms",
	    c->conf.rf.url, c->conf.cdu[0] ? c->conf.cdu : "first CDU",
	    c->conf.primary ? "primary" : "secondary", c->conf.poll_ms,
	    c->conf.stale_ms);
	*ctx = c;
	return 0;
fail:
	rfcdu_free(c);
	return -1;
}

static void
rfcdu_fini(void *ctx)
{
	rfcdu_free(ctx);
}

static int
rfcdu_devices(void *ctx, struct pod_device *out, int max)
{
	struct rfcdu *c = ctx;

	if (max < 1) {
		c->host->log(c->host, POD_LOG_ERROR, "%s: no room for the loop",
		    __func__);
		return -1;
	}
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "loop");
	worker_lock(c->w);
	snprintf(out->model, sizeof(out->model), "%s", c->pub_model);
	worker_unlock(c->w);
	out->domain = POD_DOMAIN_LOOP;
	out->caps = POD_F_SUPPLY | POD_F_RETURN | POD_F_FLOW | POD_F_PRESSURE |
	            POD_F_PUMP | POD_F_LEAK | POD_F_CAPACITY;
	return 1;
}

/*
 * The last reading, if younger than stale_ms on the plugin's own
 * monotonic clock; else nothing, the leak included.
 */
static int
rfcdu_read(void *ctx, int64_t now_ms, struct pod_sample *out, int n)
{
	struct rfcdu *c = ctx;
	struct rfcdu_reading rd;

	if (n < 1)
		return -1;
	worker_flush(c->w, c->host);
	worker_lock(c->w);
	rd = c->pub;
	worker_unlock(c->w);
	memset(out, 0, sizeof(*out));
	if (rd.mono_ms != 0 &&
	    pod_clock_ms(CLOCK_MONOTONIC) - rd.mono_ms <= c->conf.stale_ms) {
		out->valid = rd.valid;
		out->t_ms = rd.wall_ms;
		out->supply_c = rd.supply_c;
		out->return_c = rd.return_c;
		out->flow_lpm = rd.flow_lpm;
		out->pressure_kpa = rd.pressure_kpa;
		out->pump_pct = rd.pump_pct;
		out->capacity_w = rd.capacity_w;
		out->leak = rd.leak;
	}
	if (c->fresh == 1 && out->valid == 0)
		c->host->log(c->host, POD_LOG_WARN,
		    "no reading from the CDU for over %d ms: reporting the "
		    "loop as unknown",
		    c->conf.stale_ms);
	else if (c->fresh == 0 && out->valid != 0)
		c->host->log(
		    c->host, POD_LOG_INFO, "readings from the CDU again");
	if (out->valid != 0)
		c->fresh = 1;
	else if (c->fresh == 1)
		c->fresh = 0;
	(void)now_ms;
	return 0;
}

static const struct pod_plugin_ops rfcdu_ops = {
    .devices = rfcdu_devices,
    .read = rfcdu_read,
    .control = NULL,
    .environ = NULL,
};

/* The descriptor the loader looks up; see include/pod/plugin.h. */
const struct pod_plugin pod_plugin = {
    .abi = POD_PLUGIN_ABI,
    .kind = "cooling",
    .name = "redfish",
    .description = "a CDU over Redfish (CoolingUnit, coolant connectors, "
                   "pumps, leak detection)",
    .init = rfcdu_init,
    .fini = rfcdu_fini,
    .ops = &rfcdu_ops,
};
