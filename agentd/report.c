/*
 * The report wire format: see report.h and docs/agent-protocol.md. Numbers
 * are rounded to what the sensors can tell (a tenth of a watt or degree, a
 * whole MHz or MiB) before Jansson prints them with 15 significant digits,
 * so a body says 61.3 and not 61.299999237060547. A field that was not read
 * is null rather than absent, so a reader sees what the agent did not know.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "log.h"
#include "report.h"

#define REPORT_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* Sets obj[key] from a sample field, null unless `bit` is in `valid`. */
static void
set_field(json_t *obj, const char *key, uint32_t valid, uint32_t bit, double v,
    int decimals)
{
	jsonx_set_real(obj, key, (valid & bit) ? v : NAN, decimals);
}

static json_t *
device_json(const struct pod_device *d, int index)
{
	json_t *o;

	if ((o = json_object()) == NULL)
		return NULL;
	json_object_set_new(o, "index", json_integer(index));
	json_object_set_new(o, "model", json_string(d->model));
	jsonx_set_real(o, "clock_min_mhz", d->clock_min_mhz, 0);
	jsonx_set_real(o, "clock_max_mhz", d->clock_max_mhz, 0);
	jsonx_set_real(o, "power_max_w", d->power_max_w, 1);
	jsonx_set_real(o, "tdp_w", d->tdp_w, 1);
	jsonx_set_real(o, "temp_crit_c", d->temp_crit_c, 1);
	jsonx_set_real(o, "mem_total_mib", d->mem_total_mib, 0);
	return o;
}

json_t *
report_inventory(const char *power_plugin, const char *cooling_plugin,
    const struct pod_device *accels, int naccel)
{
	json_t *inv, *arr, *d;
	int i;

	if ((inv = json_object()) == NULL || (arr = json_array()) == NULL) {
		log_warnx("%s: out of memory", __func__);
		json_decref(inv);
		return NULL;
	}
	json_object_set_new(inv, "power_plugin",
	    power_plugin ? json_string(power_plugin) : json_null());
	json_object_set_new(inv, "cooling_plugin",
	    cooling_plugin ? json_string(cooling_plugin) : json_null());
	json_object_set_new(inv, "accelerators", arr);
	for (i = 0; i < naccel; i++) {
		if ((d = device_json(&accels[i], i)) == NULL ||
		    json_array_append_new(arr, d) == -1) {
			log_warnx("%s: out of memory", __func__);
			json_decref(inv);
			return NULL;
		}
	}
	return inv;
}

static json_t *
accel_json(const struct sample_accel *a)
{
	json_t *o;

	if (a->valid == 0)
		return json_null();
	if ((o = json_object()) == NULL)
		return NULL;
	set_field(o, "power_w", a->valid, POD_F_POWER, a->power_w, 1);
	set_field(o, "energy_j", a->valid, POD_F_ENERGY, a->energy_j, 1);
	set_field(o, "temp_c", a->valid, POD_F_TEMP, a->temp_c, 1);
	set_field(o, "clock_mhz", a->valid, POD_F_CLOCK, a->clock_mhz, 0);
	set_field(o, "util_pct", a->valid, POD_F_UTIL, a->util_pct, 1);
	set_field(o, "mem_used_mib", a->valid, POD_F_MEM, a->mem_used_mib, 0);
	return o;
}

static json_t *
loop_json(const struct sample *s)
{
	const struct sample_loop *l = &s->loop;
	json_t *o;

	if (!s->has_loop)
		return json_null();
	if ((o = json_object()) == NULL)
		return NULL;
	set_field(o, "supply_c", l->valid, POD_F_SUPPLY, l->supply_c, 2);
	set_field(o, "return_c", l->valid, POD_F_RETURN, l->return_c, 2);
	set_field(o, "flow_lpm", l->valid, POD_F_FLOW, l->flow_lpm, 2);
	set_field(
	    o, "pressure_kpa", l->valid, POD_F_PRESSURE, l->pressure_kpa, 1);
	if (l->valid & POD_F_PUMP)
		set_field(o, "pump_pct", l->valid, POD_F_PUMP, l->pump_pct, 1);
	if (l->valid & POD_F_CAPACITY)
		set_field(o, "capacity_w", l->valid, POD_F_CAPACITY,
		    l->capacity_w, 0);
	json_object_set_new(o, "leak",
	    (l->valid & POD_F_LEAK) ? json_boolean(l->leak) : json_null());
	return o;
}

static json_t *
sample_json(const struct sample *s)
{
	json_t *o, *arr, *a;
	int i;

	if ((o = json_object()) == NULL)
		return NULL;
	json_object_set_new(o, "seq", json_integer((json_int_t)s->seq));
	json_object_set_new(o, "t_ms", json_integer(s->t_ms));
	jsonx_set_real(o, "power_w", s->power_w, 1);
	if ((arr = json_array()) == NULL)
		goto fail;
	json_object_set_new(o, "accels", arr);
	for (i = 0; i < s->naccel; i++)
		if ((a = accel_json(&s->accels[i])) == NULL ||
		    json_array_append_new(arr, a) == -1)
			goto fail;
	if ((a = loop_json(s)) == NULL)
		goto fail;
	json_object_set_new(o, "loop", a);
	return o;
fail:
	json_decref(o);
	return NULL;
}

char *
report_build(
    const struct report_head *h, const struct ring *r, size_t n, size_t *len)
{
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
	json_object_set(
	    root, "inventory", h->inventory ? h->inventory : json_null());
	json_object_set_new(
	    root, "jobs", h->jobs ? json_incref(h->jobs) : json_array());
	if (h->power != NULL)
		json_object_set(root, "power", h->power);
	json_object_set_new(root, "samples", arr);
	for (i = 0; i < n && i < ring_len(r); i++)
		if ((s = sample_json(ring_at(r, i))) == NULL ||
		    json_array_append_new(arr, s) == -1)
			goto fail;
	if ((text = json_dumps(root, REPORT_JSON_FLAGS)) == NULL)
		goto fail;
	*len = strlen(text);
	json_decref(root);
	return text;
fail:
	log_warnx("%s: out of memory", __func__);
	json_decref(root);
	return NULL;
}

int
report_parse_reply(const char *body, size_t len, struct report_reply *out,
    char *err, size_t errlen)
{
	json_t *root, *desired;
	long long ack, version;
	char e[256];

	memset(out, 0, sizeof(*out));
	if ((root = jsonx_parse(body, len, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "reply is not JSON: %s", e);
		return -1;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "reply is not a JSON object");
		goto fail;
	}
	if (jsonx_integer(root, "ack_seq", &ack, e, sizeof(e)) != 1 ||
	    ack < 0) {
		snprintf(err, errlen, "reply lacks a non-negative ack_seq");
		goto fail;
	}
	out->ack_seq = (uint64_t)ack;
	desired = json_object_get(root, "desired");
	if (desired != NULL && !json_is_null(desired)) {
		if (!json_is_object(desired) ||
		    jsonx_integer(desired, "version", &version, e, sizeof(e)) !=
		        1 ||
		    version < 0) {
			snprintf(err, errlen,
			    "reply's desired needs a "
			    "non-negative integer version");
			goto fail;
		}
		out->has_desired = 1;
		out->desired_version = version;
		out->desired = json_incref(desired);
	}
	json_decref(root);
	return 0;
fail:
	json_decref(root);
	return -1;
}

void
report_reply_clear(struct report_reply *rep)
{
	json_decref(rep->desired);
	memset(rep, 0, sizeof(*rep));
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
