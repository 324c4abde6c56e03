/*
 * cdumap: the register map of one CDU model, read from a text file, and the
 * decoding of register contents into loop readings by that map. A new CDU
 * model needs a new map file, never new code: every vendor habit (word
 * order, byte order, sign, scale, unit, "no value" markers, alarm bits in a
 * word or as discrete inputs) is a column of the map. docs/cdu.md describes
 * the format.
 *
 * Pure code: no sockets, no clock, no globals but constant tables, so the
 * unit test covers it completely and the plugin only moves registers.
 */
#ifndef CDUMAP_H
#define CDUMAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CDUMAP_MAX_POINTS 64  /* points in one map */
#define CDUMAP_MAX_BITS   16  /* named bits in one alarm word */
#define CDUMAP_MAX_NODATA 4   /* "no value" markers of one point */
#define CDUMAP_NAME_MAX   32  /* point and bit names, NUL included */
#define CDUMAP_MODEL_MAX  64  /* model string, NUL included */
#define CDUMAP_LINE_MAX   512 /* longest map line, newline included */

/* Where a point lives on the CDU: the four Modbus data tables. */
enum cdumap_table {
	CDUMAP_COIL = 0,     /* 0x, read with FC1 */
	CDUMAP_DISCRETE = 1, /* 1x, read with FC2 */
	CDUMAP_HOLDING = 2,  /* 4x, read with FC3 */
	CDUMAP_INPUT = 3,    /* 3x, read with FC4 */
};

enum cdumap_type {
	CDUMAP_BIT = 0, /* one coil or discrete input */
	CDUMAP_INT16,
	CDUMAP_UINT16,
	CDUMAP_INT32, /* two registers */
	CDUMAP_UINT32,
	CDUMAP_FLOAT32, /* two registers, IEEE 754 single */
};

/* What a point feeds: an index into cdumap_fields[], or CDUMAP_ALARM for a
 * point that only carries named alarm bits (logged on change). */
#define CDUMAP_ALARM (-1)

/* The loop sample fields a map can feed. name: the point name in a map;
 * flag: its POD_F_* bit; off: the double in struct pod_sample it lands in
 * (unused for leak, an int); dim: its physical dimension, so that `unit=`
 * can be checked; unit: the unit a register holds when the map does not
 * say. */
enum cdumap_dim {
	CDUMAP_DIM_TEMP,
	CDUMAP_DIM_FLOW,
	CDUMAP_DIM_PRESSURE,
	CDUMAP_DIM_PCT,
	CDUMAP_DIM_POWER,
	CDUMAP_DIM_BOOL,
};
struct cdumap_field {
	const char *name;
	uint32_t flag;
	size_t off;
	enum cdumap_dim dim;
	const char *unit;
};
extern const struct cdumap_field cdumap_fields[];
extern const int cdumap_nfields;

/* One named bit of an alarm word. */
struct cdumap_bit {
	char name[CDUMAP_NAME_MAX]; /* "leak", or an alarm's own name */
	int bit;                    /* 0: least significant */
	int active_low;             /* 1: the condition holds when 0 */
};

/* One point of the map: one line of the file. */
struct cdumap_point {
	char name[CDUMAP_NAME_MAX];
	int field; /* index into cdumap_fields[], or CDUMAP_ALARM */
	enum cdumap_table table;
	uint16_t addr; /* first register or bit, 0-based protocol address */
	enum cdumap_type type;
	int nreg;         /* registers (or bits) it spans: 1 or 2 */
	uint8_t shift[4]; /* wire byte i holds value bits shift[i]..+7 */
	double scale;     /* register units per raw count */
	double offset;    /* added after scale, register units */
	double si_mul;    /* register unit to the field's unit: ×, */
	double si_add;    /* then + */
	char unit[12];    /* the register's unit as the map says it */
	char order[5];    /* word/byte order as the map says it */
	uint32_t nodata[CDUMAP_MAX_NODATA]; /* raw "no value" markers */
	int nnodata;
	struct cdumap_bit bits[CDUMAP_MAX_BITS]; /* alarm words only */
	int nbits;
	int active_low; /* bit points: 1 when 0 means the condition */
	int line;       /* where the map defines it */
};

struct cdumap {
	char model[CDUMAP_MODEL_MAX]; /* from `model`, or "" */
	struct cdumap_point pt[CDUMAP_MAX_POINTS];
	int npt;
	uint32_t caps; /* POD_F_* bits the points feed */
};

/* Reads the map file at `path` into *m (caller-owned, no allocation inside).
 * Returns 0, or -1 with "path:line: reason" (or "path: reason") in err. */
int cdumap_load(const char *path, struct cdumap *m, char *err, size_t errlen);

/* Same from an open stream; `name` stands for the file in messages. The
 * caller closes f. */
int cdumap_read(
    FILE *f, const char *name, struct cdumap *m, char *err, size_t errlen);

/* The raw bits of a register point: regs[0..p->nreg-1] as they arrived
 * (each the big-endian wire pair, as libmodbus returns it), reassembled by
 * the point's order into a 16- or 32-bit pattern. For a bit point, regs[0]
 * is the bit (0 or 1). */
uint32_t cdumap_raw(const struct cdumap_point *p, const uint16_t *regs);

/* Decodes a point's registers into its value in the field's unit: for a
 * number, raw × scale + offset converted from the map's unit; for leak and
 * bit points, 1 when the condition holds, else 0. Returns 0, or -1 when the
 * CDU marks the value as missing (a nodata marker; a float NaN or ±Inf).
 * Alarm words decode through cdumap_bit_get(). */
int cdumap_value(
    const struct cdumap_point *p, const uint16_t *regs, double *value);

/* The condition of named bit `b` of alarm word `p` given its raw pattern
 * (cdumap_raw()): 1 or 0, or -1 when the word holds a nodata marker. */
int cdumap_bit_get(
    const struct cdumap_point *p, const struct cdumap_bit *b, uint32_t raw);

/* Name of a table as maps spell it ("input", ...). */
const char *cdumap_table_name(enum cdumap_table t);

#endif /* CDUMAP_H */
