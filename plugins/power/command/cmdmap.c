/*
 * cmdmap: a tool's JSON or CSV output to device records (cmdmap.h). JSON
 * goes through Jansson; CSV is split here, since a tool's CSV is simple
 * (nvidia-smi's, xpu-smi's) and a library would accept more than we want.
 * Every problem is a string the plugin says once, so texts name the line
 * or device and never a number that changes on every run.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <pod/plugin.h>

#include "cmdmap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const struct cmdmap_metric_info cmdmap_metrics[CMDMAP_NMETRIC] = {
    [CMDMAP_POWER] = {"power_w", POD_F_POWER},
    [CMDMAP_ENERGY] = {"energy_j", POD_F_ENERGY},
    [CMDMAP_TEMP] = {"temp_c", POD_F_TEMP},
    [CMDMAP_CLOCK] = {"clock_mhz", POD_F_CLOCK},
    [CMDMAP_UTIL] = {"util_pct", POD_F_UTIL},
    [CMDMAP_MEM] = {"mem_used_mib", POD_F_MEM},
    [CMDMAP_INDEX] = {"index", 0},
};

/* What tools print for "no value", compared without case. */
static const char *const cmdmap_nodata[] = {
    "N/A",
    "[N/A]",
    "NA",
    "-",
    "--",
    "Not Supported",
    "[Not Supported]",
    "Unknown",
    "[Unknown Error]",
    "null",
};

/* Unit suffixes dropped after a number (compared without case); scale is
 * for converting. */
static const char *const cmdmap_units[] = {
    "W",
    "mW",
    "kW",
    "MHz",
    "GHz",
    "kHz",
    "%",
    "MiB",
    "MB",
    "GiB",
    "GB",
    "KiB",
    "kB",
    "B",
    "C",
    "\xc2\xb0"
    "C",
    "degC",
    "J",
    "mJ",
    "kJ",
    "Wh",
};

void
cmdmap_init(struct cmdmap *m)
{
	int i;

	memset(m, 0, sizeof(*m));
	m->format = CMDMAP_JSON;
	snprintf(m->devices, sizeof(m->devices), ".");
	m->header = 1;
	for (i = 0; i < CMDMAP_NMETRIC; i++)
		m->scale[i] = 1.0;
}

int
cmdmap_has_metric(const struct cmdmap *m)
{
	int i;

	for (i = 0; i < CMDMAP_NMETRIC; i++)
		if (i != CMDMAP_INDEX &&
		    (m->name[i][0] != '\0' || m->column[i] > 0))
			return 1;
	return 0;
}

int
cmdmap_metric(const char *name)
{
	int i;

	for (i = 0; i < CMDMAP_NMETRIC; i++)
		if (strcmp(name, cmdmap_metrics[i].name) == 0)
			return i;
	return -1;
}

/* s[0..len) without the blanks around it. */
static void
cmdmap_trim(const char **s, size_t *len)
{
	while (*len > 0 && isspace((unsigned char)**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

static int
cmdmap_is(const char *s, size_t len, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(list[i]) == len && strncasecmp(s, list[i], len) == 0)
			return 1;
	return 0;
}

int
cmdmap_value(const char *s, size_t len, double *out)
{
	char buf[64], *end;
	const char *u;
	size_t ulen;
	double d;

	cmdmap_trim(&s, &len);
	if (len == 0 || cmdmap_is(s, len, cmdmap_nodata, NELEM(cmdmap_nodata)))
		return 0;
	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	d = strtod(buf, &end);
	if (end == buf || !isfinite(d))
		return -1;
	u = end;
	ulen = len - (size_t)(end - buf);
	cmdmap_trim(&u, &ulen);
	if (ulen > 0 && !cmdmap_is(u, ulen, cmdmap_units, NELEM(cmdmap_units)))
		return -1;
	*out = d;
	return 1;
}

/* Stores one value of metric k into rec; why names what was garbage. A
 * value its scale takes past a double's range (1e308 MiB at a scale of
 * 1024) is garbage too, never an infinite reading. */
static void
cmdmap_take(const struct cmdmap *m, int k, int rc, double d,
    struct cmdmap_rec *rec, const char *shown, size_t shownlen)
{
	const char *why = "is not a number";
	double v = d * m->scale[k];

	if (rc == 0)
		return;
	if (rc == 1 && k == CMDMAP_INDEX) {
		if (d >= 0 && d <= 1e6 && d == floor(d)) {
			rec->index = (int)d;
			return;
		}
		rc = -1;
	} else if (rc == 1 && !isfinite(v)) {
		why = "is out of range";
		rc = -1;
	}
	if (rc == -1) {
		if (rec->bad[0] == '\0')
			snprintf(rec->bad, sizeof(rec->bad), "%s: '%.*s' %s",
			    cmdmap_metrics[k].name,
			    (int)(shownlen > 40 ? 40 : shownlen), shown, why);
		return;
	}
	rec->v[k] = v;
	rec->valid |= cmdmap_metrics[k].flag;
}

static void
cmdmap_rec_clear(struct cmdmap_rec *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->index = -1;
}

/* obj's member `name`: as one key, else as a dotted path. NULL if none. */
static json_t *
cmdmap_json_get(json_t *obj, const char *name)
{
	char part[CMDMAP_NAME_MAX];
	const char *p = name, *dot;
	json_t *v;
	size_t n;

	if ((v = json_object_get(obj, name)) != NULL)
		return v;
	v = obj;
	while (v != NULL && *p != '\0') {
		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (n == 0 || n >= sizeof(part))
			return NULL;
		memcpy(part, p, n);
		part[n] = '\0';
		v = json_is_object(v) ? json_object_get(v, part) : NULL;
		p += n + (dot ? 1 : 0);
	}
	return v;
}

static void
cmdmap_json_rec(
    const struct cmdmap *m, json_t *dev, int ord, struct cmdmap_rec *rec)
{
	char num[64];
	const char *s;
	json_t *v;
	double d = 0;
	int k, rc;

	cmdmap_rec_clear(rec);
	if (!json_is_object(dev)) {
		snprintf(rec->bad, sizeof(rec->bad),
		    "device %d of the output is not an object", ord);
		return;
	}
	for (k = 0; k < CMDMAP_NMETRIC; k++) {
		if (m->name[k][0] == '\0')
			continue;
		if ((v = cmdmap_json_get(dev, m->name[k])) == NULL ||
		    json_is_null(v))
			continue;
		if (json_is_number(v)) {
			d = json_number_value(v);
			snprintf(num, sizeof(num), "%g", d);
			rc = isfinite(d) ? 1 : -1;
			cmdmap_take(m, k, rc, d, rec, num, strlen(num));
		} else if (json_is_string(v)) {
			s = json_string_value(v);
			rc = cmdmap_value(s, json_string_length(v), &d);
			cmdmap_take(m, k, rc, d, rec, s, json_string_length(v));
		} else {
			cmdmap_take(m, k, -1, 0, rec, "(not a value)", 13);
		}
	}
}

static int
cmdmap_json(const struct cmdmap *m, const char *text, size_t len,
    struct cmdmap_rec *out, int max, int *more, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root, *devs;
	size_t i, n;
	int nout = 0;

	if ((root = json_loadb(text, len, 0, &je)) == NULL) {
		snprintf(err, errlen, "output is not JSON: line %d: %s",
		    je.line, je.text);
		return -1;
	}
	devs = strcmp(m->devices, ".") == 0 ? root
	                                    : cmdmap_json_get(root, m->devices);
	if (devs == NULL || !(json_is_array(devs) || json_is_object(devs))) {
		snprintf(err, errlen, "no device array at '%s' in the output",
		    m->devices);
		json_decref(root);
		return -1;
	}
	if (json_is_object(devs)) {
		/* A tool of one device may print just its object. */
		if (max > 0)
			cmdmap_json_rec(m, devs, 0, &out[nout++]);
		json_decref(root);
		return nout;
	}
	n = json_array_size(devs);
	for (i = 0; i < n; i++) {
		if (nout == max) {
			*more = (int)(n - i);
			break;
		}
		cmdmap_json_rec(m, json_array_get(devs, i), (int)i, &out[nout]);
		nout++;
	}
	json_decref(root);
	return nout;
}

/* Splits a CSV line into at most CMDMAP_COLS_MAX fields (start, length),
 * trimmed, quotes removed. Returns how many. */
static int
cmdmap_split(const char *line, size_t len, const char **fs, size_t *fl)
{
	size_t i = 0, start;
	int n = 0;

	while (n < CMDMAP_COLS_MAX) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i < len && line[i] == '"') {
			start = ++i;
			while (i < len && line[i] != '"')
				i++;
			fs[n] = line + start;
			fl[n] = i - start;
			if (i < len)
				i++;
			while (i < len && line[i] != ',')
				i++;
		} else {
			start = i;
			while (i < len && line[i] != ',')
				i++;
			fs[n] = line + start;
			fl[n] = i - start;
			cmdmap_trim(&fs[n], &fl[n]);
		}
		n++;
		if (i >= len)
			break;
		i++; /* the comma */
	}
	return n;
}

/* 1 when a header field names `name`: equal, or followed by " [unit]". */
static int
cmdmap_header_is(const char *f, size_t fl, const char *name)
{
	size_t n = strlen(name);

	if (fl < n || strncmp(f, name, n) != 0)
		return 0;
	while (n < fl && f[n] == ' ')
		n++;
	return n == fl || f[n] == '[' || f[n] == '(';
}

static int
cmdmap_resolve(const struct cmdmap *m, struct cmdmap_cols *cols,
    const char **fs, const size_t *fl, int nf, char *err, size_t errlen)
{
	int k, c;

	for (k = 0; k < CMDMAP_NMETRIC; k++) {
		cols->col[k] = -1;
		if (m->column[k] > 0) {
			cols->col[k] = m->column[k] - 1;
			continue;
		}
		if (m->name[k][0] == '\0')
			continue;
		for (c = 0; c < nf && cols->col[k] < 0; c++)
			if (cmdmap_header_is(fs[c], fl[c], m->name[k]))
				cols->col[k] = c;
		if (cols->col[k] < 0) {
			snprintf(err, errlen, "no column '%s' in the header",
			    m->name[k]);
			return -1;
		}
	}
	cols->resolved = 1;
	return 0;
}

int
cmdmap_csv_line(const struct cmdmap *m, struct cmdmap_cols *cols,
    const char *line, size_t len, struct cmdmap_rec *rec, char *err,
    size_t errlen)
{
	const char *fs[CMDMAP_COLS_MAX];
	size_t fl[CMDMAP_COLS_MAX], n;
	double d = 0;
	int nf, k, c, rc, need = 0;

	cmdmap_trim(&line, &len);
	if (len == 0)
		return 0;
	nf = cmdmap_split(line, len, fs, fl);
	if (!cols->resolved) {
		if (cmdmap_resolve(
		        m, cols, fs, fl, m->header ? nf : 0, err, errlen) == -1)
			return -1;
		if (m->header) {
			n = len < sizeof(cols->line) - 1
			        ? len
			        : sizeof(cols->line) - 1;
			memcpy(cols->line, line, n);
			cols->line[n] = '\0';
			return 0;
		}
	} else if (m->header && strlen(cols->line) == len &&
	           memcmp(cols->line, line, len) == 0)
		return 0; /* a header repeated, as streaming tools do */
	cmdmap_rec_clear(rec);
	for (k = 0; k < CMDMAP_NMETRIC; k++) {
		if ((c = cols->col[k]) < 0)
			continue;
		if (c + 1 > need)
			need = c + 1;
		if (c >= nf)
			continue;
		rc = cmdmap_value(fs[c], fl[c], &d);
		cmdmap_take(m, k, rc, d, rec, fs[c], fl[c]);
	}
	if (nf < need)
		snprintf(rec->bad, sizeof(rec->bad),
		    "a partial record: %d of %d columns", nf, need);
	return 1;
}

static int
cmdmap_csv(const struct cmdmap *m, const char *text, size_t len,
    struct cmdmap_rec *out, int max, int *more, char *err, size_t errlen)
{
	struct cmdmap_cols cols;
	struct cmdmap_rec spare;
	const char *p = text, *end = text + len, *nl;
	char why[CMDMAP_WHY_MAX];
	int nout = 0, lineno = 0, good = 0, rc;

	memset(&cols, 0, sizeof(cols));
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		lineno++;
		rc = cmdmap_csv_line(m, &cols, p, (size_t)(nl - p),
		    nout < max ? &out[nout] : &spare, why, sizeof(why));
		p = nl + 1;
		if (rc == -1) {
			snprintf(err, errlen, "line %d: %s", lineno, why);
			return -1;
		}
		if (rc == 0)
			continue;
		if (nout == max) {
			(*more)++;
			continue;
		}
		if (out[nout].bad[0] == '\0' || out[nout].valid != 0)
			good++;
		else if (good == 0 && nout == 0)
			snprintf(
			    err, errlen, "line %d: %s", lineno, out[nout].bad);
		nout++;
	}
	if (nout > 0 && good == 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "no record with a value");
		return -1;
	}
	if (m->header && !cols.resolved && len > 0) {
		snprintf(err, errlen, "no header line");
		return -1;
	}
	return nout;
}

int
cmdmap_parse(const struct cmdmap *m, const char *text, size_t len,
    struct cmdmap_rec *out, int max, int *more, char *err, size_t errlen)
{
	*more = 0;
	if (errlen > 0)
		err[0] = '\0';
	if (m->format == CMDMAP_JSON)
		return cmdmap_json(m, text, len, out, max, more, err, errlen);
	return cmdmap_csv(m, text, len, out, max, more, err, errlen);
}
