/*
 * cmdmap: how the output of a vendor's management tool maps to
 * accelerators and their metrics, for the power/command plugin. Pure: text
 * in, records out, no I/O, so that every odd thing a tool prints can be
 * tested on its own (tests/unit/command_test.c).
 *
 * JSON: `devices` is a dotted path to the array of devices ("." for a
 * top-level array; an object there is one device), and each metric a field
 * of a device object, looked up first as one key ("temperature.gpu" as
 * nvidia-smi names it) and then as a dotted path into nested objects.
 * CSV: one line per device, fields split on commas (double quotes protect
 * commas), each metric a 1-based column or, with a header line, a header
 * name ("power.draw" matches "power.draw [W]"). A value is a number with
 * an optional unit after it ("250.00 W", "1410 MHz", "45 %", "1024 MiB"),
 * which is dropped, never converted: `scale` is for vendor units. "N/A",
 * "[N/A]", "[Not Supported]", "-" and null are no value: the metric is
 * absent, which is not an error. Anything else is garbage, said in the
 * record's `bad`.
 */
#ifndef CMDMAP_H
#define CMDMAP_H

#include <stddef.h>
#include <stdint.h>

#define CMDMAP_NAME_MAX  96  /* a field, header name or path, NUL included */
#define CMDMAP_COLS_MAX  64  /* CSV columns looked at */
#define CMDMAP_WHY_MAX   128 /* a problem's text, NUL included */
#define CMDMAP_DEPTH_MAX 8   /* dotted path components */

/* The metrics a tool's output may carry; CMDMAP_INDEX is the device's own
 * number, not a reading. */
enum cmdmap_metric {
	CMDMAP_POWER,
	CMDMAP_ENERGY,
	CMDMAP_TEMP,
	CMDMAP_CLOCK,
	CMDMAP_UTIL,
	CMDMAP_MEM,
	CMDMAP_INDEX,
	CMDMAP_NMETRIC
};

/* name: as the keys say it (field.NAME, column.NAME, scale.NAME); flag: its
 * POD_F_* bit (0 for the index). */
struct cmdmap_metric_info {
	const char *name;
	uint32_t flag;
};
extern const struct cmdmap_metric_info cmdmap_metrics[CMDMAP_NMETRIC];

enum cmdmap_format { CMDMAP_JSON, CMDMAP_CSV };

struct cmdmap {
	enum cmdmap_format format;
	char devices[CMDMAP_NAME_MAX]; /* JSON: path to the devices, "." */
	int header;                    /* CSV: 1 when the first line names */
	char name[CMDMAP_NMETRIC][CMDMAP_NAME_MAX]; /* field or header; "" */
	int column[CMDMAP_NMETRIC];   /* CSV: 1-based column; 0 by name/none */
	double scale[CMDMAP_NMETRIC]; /* value multiplier, 1 by default */
};

/* CSV columns as resolved from the header (or the map alone). */
struct cmdmap_cols {
	int resolved;            /* 1: col[] holds the columns */
	int col[CMDMAP_NMETRIC]; /* 0-based column, -1 none */
	char line[1024];         /* the header line, to skip repeats */
};

/* One device's record. */
struct cmdmap_rec {
	int index;                /* the tool's number; -1 not given */
	uint32_t valid;           /* POD_F_* of the values present */
	double v[CMDMAP_NMETRIC]; /* scaled values, by metric */
	char bad[CMDMAP_WHY_MAX]; /* first value that was garbage; "" */
};

/* Sets the defaults: JSON, devices ".", a header, no metric, scales 1. */
void cmdmap_init(struct cmdmap *m);
/* 1 when at least one metric (not the index) is mapped. */
int cmdmap_has_metric(const struct cmdmap *m);
/* The metric called name, or -1. */
int cmdmap_metric(const char *name);

/* Parses one value as the module comment says: 1 with *out set, 0 when it
 * is no value (N/A), -1 when it is garbage. */
int cmdmap_value(const char *s, size_t len, double *out);

/*
 * Maps a whole output of `len` bytes (not NUL-terminated) to up to `max`
 * records in out[], in output order. Returns how many, with *more set to
 * how many more the output held; or -1 when the output as a whole is not
 * what the map describes (not JSON, no devices at the path, a CSV without
 * its header), with why in err. A record's own problems are in its `bad`.
 * cols: the CSV header state, reset by the call for a whole output.
 */
int cmdmap_parse(const struct cmdmap *m, const char *text, size_t len,
    struct cmdmap_rec *out, int max, int *more, char *err, size_t errlen);

/*
 * One CSV line of a stream (no newline): 1 with a record in *rec, 0 for a
 * header or blank line, -1 when it is not a record (err says why). The
 * first line is the header when the map says so; cols keeps it between
 * calls (zero it before the stream's first line).
 */
int cmdmap_csv_line(const struct cmdmap *m, struct cmdmap_cols *cols,
    const char *line, size_t len, struct cmdmap_rec *rec, char *err,
    size_t errlen);

#endif
