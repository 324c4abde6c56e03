/*
 * Fuzzes the power/command plugin's mapping of a vendor tool's output
 * (plugins/power/command/cmdmap.c). The input's first line is the map, the
 * rest the tool's output:
 *
 *   FORMAT NAME|NAME|...\n OUTPUT
 *
 * FORMAT is one byte: 'j' JSON, 'c' CSV with a header line, 'C' CSV
 * without (any other byte: its low bits pick). The names go to the
 * metrics in cmdmap_metrics[] order (power_w, energy_j, temp_c, clock_mhz,
 * util_pct, mem_used_mib, index); "" leaves one unmapped, "#N" is CSV
 * column N, and an "@PATH" first says where a JSON output's devices are.
 * The output is mapped whole (cmdmap_parse(), as a run of the tool is) with
 * a few record counts, and line by line as a streaming tool's (CSV through
 * cmdmap_csv_line(), JSON a document a line). Every record must hold only
 * mapped, finite values.
 */
#include <math.h>

#include <pod/plugin.h>

#include "cmdmap.h"
#include "fuzz.h"

#define FUZZ_RECS 8

/* Reads the map from line[0..len). */
static void
fuzz_map(const char *line, size_t len, struct cmdmap *m)
{
	const char *p, *end = line + len, *bar;
	size_t n;
	long col;
	char *e, num[16];
	int k = 0;

	cmdmap_init(m);
	if (len == 0)
		return;
	if (line[0] == 'j' || line[0] == 'c' || line[0] == 'C') {
		m->format = line[0] == 'j' ? CMDMAP_JSON : CMDMAP_CSV;
		m->header = line[0] != 'C';
	} else {
		m->format = (line[0] & 1) ? CMDMAP_CSV : CMDMAP_JSON;
		m->header = !(line[0] & 2);
	}
	m->scale[CMDMAP_ENERGY] = 1e-3; /* mJ, as some tools count */
	m->scale[CMDMAP_MEM] = 1024;    /* GiB */
	p = line + 1;
	while (p < end && *p == ' ')
		p++;
	while (p < end && k < CMDMAP_NMETRIC) {
		bar = memchr(p, '|', (size_t)(end - p));
		n = bar ? (size_t)(bar - p) : (size_t)(end - p);
		if (n > 0 && p[0] == '@' && n < sizeof(m->devices)) {
			memcpy(m->devices, p + 1, n - 1);
			m->devices[n - 1] = '\0';
		} else {
			if (n > 1 && p[0] == '#' && n < sizeof(num)) {
				memcpy(num, p + 1, n - 1);
				num[n - 1] = '\0';
				col = strtol(num, &e, 10);
				if (*e == '\0' && col >= 1 &&
				    col <= CMDMAP_COLS_MAX)
					m->column[k] = (int)col;
			} else if (n < CMDMAP_NAME_MAX) {
				memcpy(m->name[k], p, n);
				m->name[k][n] = '\0';
			}
			k++;
		}
		p += n + 1;
	}
}

/* A record as the plugin would take it: only mapped metrics, finite. */
static void
fuzz_check(const struct cmdmap *m, const struct cmdmap_rec *r)
{
	uint32_t mapped = 0;
	int k;

	for (k = 0; k < CMDMAP_NMETRIC; k++)
		if (m->name[k][0] != '\0' || m->column[k] > 0)
			mapped |= cmdmap_metrics[k].flag;
	if ((r->valid & ~mapped) != 0 || r->index < -1 || r->index > 1000000 ||
	    strnlen(r->bad, sizeof(r->bad)) == sizeof(r->bad))
		abort();
	for (k = 0; k < CMDMAP_NMETRIC; k++)
		if ((r->valid & cmdmap_metrics[k].flag) && !isfinite(r->v[k])) {
			fprintf(stderr, "%s is %g\n", cmdmap_metrics[k].name,
			    r->v[k]);
			abort();
		}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int maxes[] = {FUZZ_RECS, 1, 0};
	struct cmdmap_rec rec[FUZZ_RECS], one;
	struct cmdmap_cols cols;
	struct cmdmap m;
	const char *text = (const char *)data, *nl, *p, *end;
	char err[256];
	size_t i, len;
	double d;
	int n, more, j;

	nl = memchr(text, '\n', size);
	fuzz_map(text, nl ? (size_t)(nl - text) : size, &m);
	if (nl == NULL)
		return 0;
	text = nl + 1;
	len = size - (size_t)(text - (const char *)data);
	for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		err[0] = 'x';
		n = cmdmap_parse(
		    &m, text, len, rec, maxes[i], &more, err, sizeof(err));
		if (n < -1 || n > maxes[i] || more < 0 ||
		    strnlen(err, sizeof(err)) == sizeof(err) ||
		    (n == -1 && err[0] == '\0'))
			abort();
		for (j = 0; j < n; j++)
			fuzz_check(&m, &rec[j]);
	}
	/* As a streaming tool's output, line by line as command.c reads it:
	 * CSV through the header state, JSON one document a line. */
	memset(&cols, 0, sizeof(cols));
	for (p = text, end = text + len; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		for (i = (size_t)(nl - p); i > 0 && p[i - 1] == '\r'; i--)
			;
		if (m.format == CMDMAP_JSON) {
			n = cmdmap_parse(
			    &m, p, i, rec, FUZZ_RECS, &more, err, sizeof(err));
			for (j = 0; j < n; j++)
				fuzz_check(&m, &rec[j]);
		} else if (cmdmap_csv_line(
		               &m, &cols, p, i, &one, err, sizeof(err)) == 1)
			fuzz_check(&m, &one);
	}
	if (cmdmap_value(text, len, &d) == 1 && !isfinite(d))
		abort();
	return 0;
}
