/*
 * The agent's side of the report (see report.h and docs/agent-protocol.md):
 * the ring's samples and the inventory become the wire records of
 * pod/wire.h, which the shared codec (common/wire.c) prints, so the agent
 * writes exactly what the controller's decoder reads. Jansson prints the
 * rounded numbers with 15 significant digits, so a body says 61.3 and not
 * 61.299999237060547.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "log.h"
#include "report.h"
#include "wire.h"

#define REPORT_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* A sample field as the wire record holds it: NaN unless `bit` is in
 * `valid`. */
static double
field(uint32_t valid, uint32_t bit, double v)
{
	return (valid & bit) ? v : NAN;
}

json_t *
report_inventory(const char *power_plugin, const char *cooling_plugin,
    const struct pod_device *accels, int naccel)
{
	struct report_device *d;
	json_t *inv = NULL;
	int i;

	if ((d = calloc(naccel + 1, sizeof(*d))) != NULL) {
		for (i = 0; i < naccel; i++) {
			d[i].index = i;
			snprintf(d[i].model, sizeof(d[i].model), "%s",
			    accels[i].model);
			d[i].clock_min_mhz = accels[i].clock_min_mhz;
			d[i].clock_max_mhz = accels[i].clock_max_mhz;
			d[i].power_max_w = accels[i].power_max_w;
			d[i].tdp_w = accels[i].tdp_w;
			d[i].temp_crit_c = accels[i].temp_crit_c;
			d[i].mem_total_mib = accels[i].mem_total_mib;
		}
		inv = wire_inventory_json(power_plugin ? power_plugin : "",
		    cooling_plugin ? cooling_plugin : "", d, naccel);
		free(d);
	}
	if (inv == NULL)
		log_warnx("%s: out of memory", __func__);
	return inv;
}

/* The wire record of a ring sample; a reading whose bit is not set, and
 * an accelerator of which nothing was read, become NaN. */
static void
sample_wire(const struct sample *s, struct report_sample *w)
{
	const struct sample_loop *l = &s->loop;
	int i;

	w->seq = (int64_t)s->seq;
	w->t_ms = s->t_ms;
	w->power_w = s->power_w;
	w->naccels =
	    s->naccel < REPORT_MAX_ACCELS ? s->naccel : REPORT_MAX_ACCELS;
	for (i = 0; i < w->naccels; i++) {
		const struct sample_accel *a = &s->accels[i];
		struct report_accel *ra = &w->accels[i];

		ra->power_w = field(a->valid, POD_F_POWER, a->power_w);
		ra->energy_j = field(a->valid, POD_F_ENERGY, a->energy_j);
		ra->temp_c = field(a->valid, POD_F_TEMP, a->temp_c);
		ra->clock_mhz = field(a->valid, POD_F_CLOCK, a->clock_mhz);
		ra->util_pct = field(a->valid, POD_F_UTIL, a->util_pct);
		ra->mem_used_mib = field(a->valid, POD_F_MEM, a->mem_used_mib);
	}
	w->has_loop = s->has_loop;
	w->supply_c = field(l->valid, POD_F_SUPPLY, l->supply_c);
	w->return_c = field(l->valid, POD_F_RETURN, l->return_c);
	w->flow_lpm = field(l->valid, POD_F_FLOW, l->flow_lpm);
	w->pressure_kpa = field(l->valid, POD_F_PRESSURE, l->pressure_kpa);
	w->pump_pct = field(l->valid, POD_F_PUMP, l->pump_pct);
	w->capacity_w = field(l->valid, POD_F_CAPACITY, l->capacity_w);
	w->leak = (l->valid & POD_F_LEAK) ? (l->leak != 0) : -1;
}

char *
report_build(
    const struct report_head *h, const struct ring *r, size_t n, size_t *len)
{
	struct report_sample *w = NULL;
	json_t *root = NULL, *arr, *s;
	char *text = NULL;
	size_t i;

	if ((root = json_object()) == NULL || (arr = json_array()) == NULL)
		goto fail;
	json_object_set_new(root, "boot_id", json_string(h->boot_id));
	json_object_set_new(root, "agent_version", json_string(POD_VERSION));
	json_object_set_new(root, "interval_ms", json_integer(h->interval_ms));
	json_object_set_new(
	    root, "desired_version", json_integer(h->desired_version));
	json_object_set_new(root, "dropped_samples",
	    json_integer((json_int_t)h->dropped_samples));
	if (h->inventory != NULL)
		json_object_set(root, "inventory", h->inventory);
	json_object_set_new(
	    root, "jobs", h->jobs ? json_incref(h->jobs) : json_array());
	if (h->power != NULL)
		json_object_set(root, "power", h->power);
	json_object_set_new(root, "samples", arr);
	if ((w = malloc(sizeof(*w))) == NULL)
		goto fail;
	for (i = 0; i < n && i < ring_len(r); i++) {
		sample_wire(ring_at(r, i), w);
		if ((s = wire_sample_json(w)) == NULL ||
		    json_array_append_new(arr, s) == -1)
			goto fail;
	}
	if ((text = json_dumps(root, REPORT_JSON_FLAGS)) == NULL)
		goto fail;
	*len = strlen(text);
	json_decref(root);
	free(w);
	return text;
fail:
	log_warnx("%s: out of memory", __func__);
	json_decref(root);
	free(w);
	return NULL;
}

int
report_parse_reply(
    const char *body, size_t len, struct reply *out, char *err, size_t errlen)
{
	json_t *root;
	char e[256];
	int rc;

	memset(out, 0, sizeof(*out));
	out->desired.njobs = -1;
	if ((root = jsonx_parse(body, len, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "reply is not JSON: %s", e);
		return -1;
	}
	rc = wire_reply_decode(root, out, err, errlen);
	json_decref(root);
	return rc;
}

void
report_error_text(const char *body, size_t len, char *out, size_t size)
{
	json_t *root, *err;
	const char *code = NULL, *msg = NULL;
	char e[64];
	size_t i, n = 0;

	if (size == 0)
		return;
	out[0] = '\0';
	if ((root = jsonx_parse(body, len, e, sizeof(e))) != NULL) {
		err = json_object_get(root, "error");
		if (json_is_object(err)) {
			jsonx_string(err, "code", &code, e, sizeof(e));
			jsonx_string(err, "message", &msg, e, sizeof(e));
		}
		if (code != NULL || msg != NULL) {
			snprintf(out, size, "%s: %s", code ? code : "error",
			    msg ? msg : "");
			json_decref(root);
			return;
		}
		json_decref(root);
	}
	/* Not the API's shape (a proxy's page, say): a printable excerpt. */
	for (i = 0; i < len && n + 1 < size && n < 120; i++)
		out[n++] = isprint((unsigned char)body[i]) ? body[i] : ' ';
	out[n] = '\0';
}
