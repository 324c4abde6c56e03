/*
 * cmdconf: the power/command plugin's keys (cmdconf.h). The plain keys are
 * one table; field.M, column.M and scale.M are per metric, the metrics
 * being cmdmap's. Control commands are split and their placeholders
 * checked here, so that a typo stops the agent at start rather than
 * failing on the first cap.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <pod/plugin_util.h>

#include "cmdconf.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Controls: key: its command; what: said in messages; flag: POD_CTL_*. */
const struct cmdconf_ctl_info cmdconf_ctls[CMDCONF_NCTL] = {
    [CMDCONF_CLOCK] = {"set_clock", "clock cap", POD_CTL_CLOCK},
    [CMDCONF_POWER] = {"set_power_limit", "power limit", POD_CTL_POWER_LIMIT},
};

/* The placeholders of control commands: name in braces; ctl: the control
 * that may use it (-1: both). */
static const struct cmdconf_placeholder {
	const char *name;
	int ctl;
} cmdconf_placeholders[] = {
    {"{index}", -1},
    {"{mhz}", CMDCONF_CLOCK},
    {"{watts}", CMDCONF_POWER},
    {"{milliwatts}", CMDCONF_POWER},
};

/*
 * The plain configuration keys (field., column. and scale. are by
 * metric, below). name: the key; type: how its value parses; min, max:
 * the range of numbers (for CMDCONF_K_SET, min is the control); off, size:
 * where it goes in struct cmdconf, and its room for strings.
 */
enum cmdconf_ktype {
	CMDCONF_K_COMMAND,
	CMDCONF_K_MODE,
	CMDCONF_K_FORMAT,
	CMDCONF_K_INT,
	CMDCONF_K_LONG,
	CMDCONF_K_REAL,
	CMDCONF_K_YESNO,
	CMDCONF_K_STR,
	CMDCONF_K_SET,
};
static const struct cmdconf_key {
	const char *name;
	enum cmdconf_ktype type;
	double min, max;
	size_t off;
	size_t size;
} cmdconf_keys[] = {
    {"command", CMDCONF_K_COMMAND, 0, 0, 0, 0},
    {"mode", CMDCONF_K_MODE, 0, 0, 0, 0},
    {"format", CMDCONF_K_FORMAT, 0, 0, 0, 0},
    {"period_ms", CMDCONF_K_INT, 100, 3600000,
        offsetof(struct cmdconf, period_ms), 0},
    {"timeout_ms", CMDCONF_K_INT, 50, 600000,
        offsetof(struct cmdconf, timeout_ms), 0},
    {"stale_ms", CMDCONF_K_INT, 200, 86400000,
        offsetof(struct cmdconf, stale_ms), 0},
    {"max_output_bytes", CMDCONF_K_LONG, 256, 16777216,
        offsetof(struct cmdconf, max_output), 0},
    {"accels", CMDCONF_K_INT, 1, POD_MAX_DEVICES,
        offsetof(struct cmdconf, accels), 0},
    {"model", CMDCONF_K_STR, 0, 0, offsetof(struct cmdconf, model),
        sizeof(((struct cmdconf *)0)->model)},
    {"path", CMDCONF_K_STR, 0, 0, offsetof(struct cmdconf, path),
        CMDCONF_PATH_MAX},
    {"json_devices", CMDCONF_K_STR, 0, 0,
        offsetof(struct cmdconf, map) + offsetof(struct cmdmap, devices),
        CMDMAP_NAME_MAX},
    {"csv_header", CMDCONF_K_YESNO, 0, 0,
        offsetof(struct cmdconf, map) + offsetof(struct cmdmap, header), 0},
    {"set_clock", CMDCONF_K_SET, CMDCONF_CLOCK, 0, 0, 0},
    {"set_power_limit", CMDCONF_K_SET, CMDCONF_POWER, 0, 0, 0},
    {"clock_min_mhz", CMDCONF_K_REAL, 1, 100000,
        offsetof(struct cmdconf, clock_min_mhz), 0},
    {"clock_max_mhz", CMDCONF_K_REAL, 1, 100000,
        offsetof(struct cmdconf, clock_max_mhz), 0},
    {"power_min_w", CMDCONF_K_REAL, 1, 100000,
        offsetof(struct cmdconf, power_min_w), 0},
    {"power_max_w", CMDCONF_K_REAL, 1, 100000,
        offsetof(struct cmdconf, power_max_w), 0},
    {"tdp_w", CMDCONF_K_REAL, 1, 100000, offsetof(struct cmdconf, tdp_w), 0},
};

/* The keys by metric: field.M (JSON), column.M (CSV), scale.M. */
enum cmdconf_mkey {
	CMDCONF_M_FIELD,
	CMDCONF_M_COLUMN,
	CMDCONF_M_SCALE,
	CMDCONF_NMKEY
};
static const char *const cmdconf_mkeys[CMDCONF_NMKEY] = {
    [CMDCONF_M_FIELD] = "field.",
    [CMDCONF_M_COLUMN] = "column.",
    [CMDCONF_M_SCALE] = "scale.",
};

static const struct pod_kv *
cmdconf_find(const struct pod_host *host, const char *key)
{
	int i;

	for (i = host->nconf - 1; i >= 0; i--)
		if (strcmp(host->conf[i].key, key) == 0)
			return &host->conf[i];
	return NULL;
}

const char *
cmdconf_where(
    const struct pod_host *host, const char *key, char *buf, size_t len)
{
	const struct pod_kv *kv = cmdconf_find(host, key);

	if (kv == NULL || kv->where == NULL) {
		buf[0] = '\0';
		return buf;
	}
	snprintf(buf, len, "%s: ", kv->where);
	return buf;
}

/* A control command: splits, and checks every {placeholder}. */
static int
cmdconf_check_set(int ctl, const char *v, char *err, size_t errlen)
{
	struct cmdproc_argv a;
	const char *p, *q;
	size_t i, n;
	int value = 0, known;

	if (cmdproc_split(v, &a, err, errlen) == -1)
		return -1;
	for (p = v; (p = strchr(p, '{')) != NULL; p = q + 1) {
		if ((q = strchr(p, '}')) == NULL) {
			snprintf(err, errlen, "a '{' is not closed");
			return -1;
		}
		n = (size_t)(q - p + 1);
		known = 0;
		for (i = 0; i < NELEM(cmdconf_placeholders); i++)
			if (strlen(cmdconf_placeholders[i].name) == n &&
			    strncmp(p, cmdconf_placeholders[i].name, n) == 0 &&
			    (cmdconf_placeholders[i].ctl == -1 ||
			        cmdconf_placeholders[i].ctl == ctl)) {
				known = 1;
				value |= cmdconf_placeholders[i].ctl == ctl;
			}
		if (!known) {
			snprintf(err, errlen,
			    "%.*s: unknown placeholder (want {index}, %s)",
			    (int)n, p,
			    ctl == CMDCONF_CLOCK ? "{mhz}"
			                         : "{watts} or {milliwatts}");
			return -1;
		}
	}
	if (!value) {
		snprintf(err, errlen, "no %s in the command",
		    ctl == CMDCONF_CLOCK ? "{mhz}" : "{watts} or {milliwatts}");
		return -1;
	}
	return 0;
}

/* field.M, column.M, scale.M; 1 when kv is one of them, 0 when not,
 * -1 on a bad one (logged). */
static int
cmdconf_mkey(const struct pod_host *host, const struct pod_kv *kv,
    struct cmdconf *cf, uint32_t *seen)
{
	size_t n;
	long col;
	int j, m;

	for (j = 0; j < CMDCONF_NMKEY; j++) {
		n = strlen(cmdconf_mkeys[j]);
		if (strncmp(kv->key, cmdconf_mkeys[j], n) == 0)
			break;
	}
	if (j == CMDCONF_NMKEY)
		return 0;
	if ((m = cmdmap_metric(kv->key + n)) < 0 ||
	    (j == CMDCONF_M_SCALE && m == CMDMAP_INDEX)) {
		host->log(host, POD_LOG_ERROR,
		    "%s: %s: unknown metric (want %spower_w, energy_j, "
		    "temp_c, clock_mhz, util_pct, mem_used_mib%s)",
		    kv->where, kv->key, cmdconf_mkeys[j],
		    j == CMDCONF_M_SCALE ? "" : " or index");
		return -1;
	}
	if (*seen & (1u << (j * CMDMAP_NMETRIC + m))) {
		host->log(host, POD_LOG_ERROR, "%s: %s: given twice", kv->where,
		    kv->key);
		return -1;
	}
	*seen |= 1u << (j * CMDMAP_NMETRIC + m);
	switch (j) {
	case CMDCONF_M_FIELD:
		if (kv->value[0] != '\0' &&
		    strlen(kv->value) < sizeof(cf->map.name[m])) {
			snprintf(cf->map.name[m], sizeof(cf->map.name[m]), "%s",
			    kv->value);
			return 1;
		}
		host->log(host, POD_LOG_ERROR,
		    "%s: %s: want a field name (at most %d characters)",
		    kv->where, kv->key, CMDMAP_NAME_MAX - 1);
		return -1;
	case CMDCONF_M_COLUMN:
		if (pod_parse_long(kv->value, 1, CMDMAP_COLS_MAX, &col) == 0) {
			cf->map.column[m] = (int)col;
			return 1;
		}
		if (kv->value[0] != '\0' &&
		    (kv->value[0] < '0' || kv->value[0] > '9') &&
		    strlen(kv->value) < sizeof(cf->map.name[m])) {
			snprintf(cf->map.name[m], sizeof(cf->map.name[m]), "%s",
			    kv->value);
			return 1;
		}
		host->log(host, POD_LOG_ERROR,
		    "%s: %s: '%s': want a column 1..%d or a header name",
		    kv->where, kv->key, kv->value, CMDMAP_COLS_MAX);
		return -1;
	default:
		if (pod_parse_real(kv->value, &cf->map.scale[m]) == 0 &&
		    cf->map.scale[m] != 0)
			return 1;
		host->log(host, POD_LOG_ERROR,
		    "%s: %s: '%s': want a number other than 0", kv->where,
		    kv->key, kv->value);
		return -1;
	}
}

/* One plain key into *cf. */
static int
cmdconf_key(const struct pod_host *host, const struct pod_kv *kv,
    struct cmdconf *cf, uint32_t *seen, uint32_t *mseen)
{
	const struct cmdconf_key *k = NULL;
	char err[128];
	double d;
	long l;
	size_t j;
	int r;

	if ((r = cmdconf_mkey(host, kv, cf, mseen)) != 0)
		return r == 1 ? 0 : -1;
	for (j = 0; j < NELEM(cmdconf_keys); j++)
		if (strcmp(kv->key, cmdconf_keys[j].name) == 0)
			k = &cmdconf_keys[j];
	if (k == NULL) {
		host->log(host, POD_LOG_ERROR,
		    "%s: %s: unknown key (want command, mode, format, "
		    "period_ms, timeout_ms, stale_ms, max_output_bytes, "
		    "accels, model, path, json_devices, csv_header, "
		    "field.M, column.M, scale.M, set_clock, "
		    "set_power_limit, clock_min_mhz, clock_max_mhz, "
		    "power_min_w, power_max_w, tdp_w)",
		    kv->where, kv->key);
		return -1;
	}
	if (*seen & (1u << (k - cmdconf_keys))) {
		host->log(host, POD_LOG_ERROR, "%s: %s: given twice", kv->where,
		    kv->key);
		return -1;
	}
	*seen |= 1u << (k - cmdconf_keys);
	switch (k->type) {
	case CMDCONF_K_COMMAND:
		if (cmdproc_split(kv->value, &cf->argv, err, sizeof(err)) ==
		    0) {
			snprintf(
			    cf->command, sizeof(cf->command), "%s", kv->value);
			return 0;
		}
		host->log(
		    host, POD_LOG_ERROR, "%s: command: %s", kv->where, err);
		return -1;
	case CMDCONF_K_MODE:
		if (strcmp(kv->value, "oneshot") == 0 ||
		    strcmp(kv->value, "stream") == 0) {
			cf->stream = kv->value[0] == 's';
			return 0;
		}
		host->log(host, POD_LOG_ERROR,
		    "%s: mode: '%s': want oneshot or stream", kv->where,
		    kv->value);
		return -1;
	case CMDCONF_K_FORMAT:
		if (strcmp(kv->value, "json") == 0 ||
		    strcmp(kv->value, "csv") == 0) {
			cf->map.format =
			    kv->value[0] == 'j' ? CMDMAP_JSON : CMDMAP_CSV;
			return 0;
		}
		host->log(host, POD_LOG_ERROR,
		    "%s: format: '%s': want json or csv", kv->where, kv->value);
		return -1;
	case CMDCONF_K_INT:
	case CMDCONF_K_LONG:
		if (pod_parse_long(kv->value, (long)k->min, (long)k->max, &l) ==
		    0) {
			if (k->type == CMDCONF_K_INT)
				*(int *)((char *)cf + k->off) = (int)l;
			else
				*(long *)((char *)cf + k->off) = l;
			return 0;
		}
		host->log(host, POD_LOG_ERROR,
		    "%s: %s: '%s': want an integer %.0f..%.0f", kv->where,
		    kv->key, kv->value, k->min, k->max);
		return -1;
	case CMDCONF_K_REAL:
		if (pod_parse_real(kv->value, &d) == 0 && d >= k->min &&
		    d <= k->max) {
			*(double *)((char *)cf + k->off) = d;
			return 0;
		}
		host->log(host, POD_LOG_ERROR,
		    "%s: %s: '%s': want a number %g..%g", kv->where, kv->key,
		    kv->value, k->min, k->max);
		return -1;
	case CMDCONF_K_YESNO:
		if (strcmp(kv->value, "yes") == 0 ||
		    strcmp(kv->value, "no") == 0) {
			*(int *)((char *)cf + k->off) = kv->value[0] == 'y';
			return 0;
		}
		host->log(host, POD_LOG_ERROR, "%s: %s: '%s': want yes or no",
		    kv->where, kv->key, kv->value);
		return -1;
	case CMDCONF_K_STR:
		if (kv->value[0] != '\0' && strlen(kv->value) < k->size) {
			snprintf((char *)cf + k->off, k->size, "%s", kv->value);
			return 0;
		}
		host->log(host, POD_LOG_ERROR,
		    "%s: %s: want a value of 1..%zu characters", kv->where,
		    kv->key, k->size - 1);
		return -1;
	case CMDCONF_K_SET:
		if (cmdconf_check_set(
		        (int)k->min, kv->value, err, sizeof(err)) == 0) {
			snprintf(cf->set[(int)k->min], sizeof(cf->set[0]), "%s",
			    kv->value);
			return 0;
		}
		host->log(
		    host, POD_LOG_ERROR, "%s: %s: %s", kv->where, kv->key, err);
		return -1;
	}
	return -1;
}

/* The limits of one control, both given and in order, when its command
 * is set. */
static int
cmdconf_limits(const struct pod_host *host, const struct cmdconf *cf, int ctl,
    const char *kmin, const char *kmax, double min, double max)
{
	char w[96];

	if (cf->set[ctl][0] == '\0')
		return 0;
	if (isnan(min) || isnan(max)) {
		host->log(host, POD_LOG_ERROR, "%s%s needs %s and %s",
		    cmdconf_where(host, cmdconf_ctls[ctl].key, w, sizeof(w)),
		    cmdconf_ctls[ctl].key, kmin, kmax);
		return -1;
	}
	if (min >= max) {
		host->log(host, POD_LOG_ERROR,
		    "%s%s (%g) must be below %s (%g)",
		    cmdconf_where(host, kmin, w, sizeof(w)), kmin, min, kmax,
		    max);
		return -1;
	}
	return 0;
}

int
cmdconf_parse(const struct pod_host *host, struct cmdconf *cf)
{
	uint32_t seen = 0, mseen = 0;
	char w[96];
	int i, m, csv;

	memset(cf, 0, sizeof(*cf));
	cmdmap_init(&cf->map);
	cf->period_ms = 1000;
	cf->timeout_ms = 5000;
	cf->stale_ms = 10000;
	cf->max_output = 262144;
	cf->clock_min_mhz = cf->clock_max_mhz = NAN;
	cf->power_min_w = cf->power_max_w = cf->tdp_w = NAN;
	snprintf(cf->model, sizeof(cf->model), "command");
	snprintf(cf->path, sizeof(cf->path), "%s", CMDCONF_PATH_DEFAULT);
	for (i = 0; i < host->nconf; i++)
		if (cmdconf_key(host, &host->conf[i], cf, &seen, &mseen) == -1)
			return -1;
	if (cf->argv.argc == 0) {
		host->log(host, POD_LOG_ERROR,
		    "[power] plugin command needs command = TOOL ARGS...");
		return -1;
	}
	csv = cf->map.format == CMDMAP_CSV;
	for (m = 0; m < CMDMAP_NMETRIC; m++) {
		if (csv &&
		    (mseen & (1u << (CMDCONF_M_FIELD * CMDMAP_NMETRIC + m)))) {
			snprintf(
			    w, sizeof(w), "field.%s", cmdmap_metrics[m].name);
			host->log(host, POD_LOG_ERROR,
			    "%s: %s: for format = json (want column.%s)",
			    cmdconf_find(host, w)->where, w,
			    cmdmap_metrics[m].name);
			return -1;
		}
		if (!csv &&
		    (mseen & (1u << (CMDCONF_M_COLUMN * CMDMAP_NMETRIC + m)))) {
			snprintf(
			    w, sizeof(w), "column.%s", cmdmap_metrics[m].name);
			host->log(host, POD_LOG_ERROR,
			    "%s: %s: for format = csv (want field.%s)",
			    cmdconf_find(host, w)->where, w,
			    cmdmap_metrics[m].name);
			return -1;
		}
		if (csv && !cf->map.header && cf->map.name[m][0] != '\0') {
			snprintf(
			    w, sizeof(w), "column.%s", cmdmap_metrics[m].name);
			host->log(host, POD_LOG_ERROR,
			    "%s: %s: a header name needs csv_header = yes",
			    cmdconf_find(host, w)->where, w);
			return -1;
		}
	}
	if (!cmdmap_has_metric(&cf->map)) {
		host->log(host, POD_LOG_ERROR,
		    "%s[power] plugin command maps no metric: want %s.power_w "
		    "and the like",
		    cmdconf_where(host, "command", w, sizeof(w)),
		    csv ? "column" : "field");
		return -1;
	}
	if (cf->stale_ms <= cf->period_ms) {
		host->log(host, POD_LOG_ERROR,
		    "%sstale_ms (%d) must exceed period_ms (%d)",
		    cmdconf_where(host,
		        cmdconf_find(host, "stale_ms") ? "stale_ms"
		                                       : "period_ms",
		        w, sizeof(w)),
		    cf->stale_ms, cf->period_ms);
		return -1;
	}
	if (cf->stream && cf->accels == 0) {
		host->log(host, POD_LOG_ERROR,
		    "%smode = stream needs accels = N",
		    cmdconf_where(host, "mode", w, sizeof(w)));
		return -1;
	}
	if (cf->stream && csv && cf->accels > 1 &&
	    cf->map.name[CMDMAP_INDEX][0] == '\0' &&
	    cf->map.column[CMDMAP_INDEX] == 0) {
		host->log(host, POD_LOG_ERROR,
		    "%smode = stream with CSV needs column.index: each line "
		    "is one device",
		    cmdconf_where(host, "mode", w, sizeof(w)));
		return -1;
	}
	if (cmdconf_limits(host, cf, CMDCONF_CLOCK, "clock_min_mhz",
	        "clock_max_mhz", cf->clock_min_mhz, cf->clock_max_mhz) == -1 ||
	    cmdconf_limits(host, cf, CMDCONF_POWER, "power_min_w",
	        "power_max_w", cf->power_min_w, cf->power_max_w) == -1)
		return -1;
	return 0;
}
