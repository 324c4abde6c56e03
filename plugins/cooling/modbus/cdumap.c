/*
 * cdumap: the CDU register-map file and the decoding it drives.
 *
 * A map is a text file of one point per line:
 *
 *	NAME TABLE ADDRESS [TYPE] [OPTION=VALUE ...]	# comment
 *
 * e.g. `supply_c input 0 int16 scale=0.1 nodata=0x8000`, plus an optional
 * `model TEXT` line. NAME is a loop field (cdumap_fields[] below), or for
 * an alarm word (`bits=`) and a coil or discrete input any other name:
 * those are alarms the plugin logs when they change. Parsing is strict —
 * a map that silently read the wrong register would report a wrong
 * temperature as a right one — so every error names file:line, and the
 * whole map is checked (types against tables, options against types,
 * units against fields, duplicates) before a single register is read.
 *
 * Decoding works on bytes: libmodbus hands over each register as the
 * big-endian pair from the wire, cdumap_raw() lays the 2 or 4 wire bytes
 * into the value's bit positions the map's `order` names (A is the most
 * significant byte), and cdumap_value() applies sign, float, nodata
 * markers, scale, offset and the unit. libmodbus' own float helpers are
 * not used: Debian's build swaps bytes its documentation says it keeps.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pod/plugin.h>
#include <pod/plugin_util.h>

#include "cdumap.h"

#define NELEM(a)          (sizeof(a) / sizeof((a)[0]))
#define CDUMAP_MAX_TOKENS 16 /* words on one line */

/*
 * The loop fields, see cdumap.h. capacity_kw is capacity_w with the
 * register in kW, the unit most CDUs use for it.
 */
const struct cdumap_field cdumap_fields[] = {
    {"supply_c", POD_F_SUPPLY, offsetof(struct pod_sample, supply_c),
        CDUMAP_DIM_TEMP, "C"},
    {"return_c", POD_F_RETURN, offsetof(struct pod_sample, return_c),
        CDUMAP_DIM_TEMP, "C"},
    {"flow_lpm", POD_F_FLOW, offsetof(struct pod_sample, flow_lpm),
        CDUMAP_DIM_FLOW, "lpm"},
    {"pressure_kpa", POD_F_PRESSURE, offsetof(struct pod_sample, pressure_kpa),
        CDUMAP_DIM_PRESSURE, "kPa"},
    {"pump_pct", POD_F_PUMP, offsetof(struct pod_sample, pump_pct),
        CDUMAP_DIM_PCT, "pct"},
    {"capacity_w", POD_F_CAPACITY, offsetof(struct pod_sample, capacity_w),
        CDUMAP_DIM_POWER, "W"},
    {"capacity_kw", POD_F_CAPACITY, offsetof(struct pod_sample, capacity_w),
        CDUMAP_DIM_POWER, "kW"},
    {"leak", POD_F_LEAK, 0, CDUMAP_DIM_BOOL, ""},
};
const int cdumap_nfields = NELEM(cdumap_fields);

/*
 * Units a register may hold. name: as `unit=` spells it; dim: what it
 * measures; mul, add: to the field's unit, field = value × mul + add.
 */
static const struct cdumap_unit {
	const char *name;
	enum cdumap_dim dim;
	double mul, add;
} cdumap_units[] = {
    {"C", CDUMAP_DIM_TEMP, 1.0, 0.0},
    {"F", CDUMAP_DIM_TEMP, 5.0 / 9.0, -160.0 / 9.0},
    {"K", CDUMAP_DIM_TEMP, 1.0, -273.15},
    {"lpm", CDUMAP_DIM_FLOW, 1.0, 0.0},
    {"lps", CDUMAP_DIM_FLOW, 60.0, 0.0},
    {"m3h", CDUMAP_DIM_FLOW, 1000.0 / 60.0, 0.0},
    {"gpm", CDUMAP_DIM_FLOW, 3.785411784, 0.0}, /* US gallons */
    {"kPa", CDUMAP_DIM_PRESSURE, 1.0, 0.0},
    {"Pa", CDUMAP_DIM_PRESSURE, 0.001, 0.0},
    {"bar", CDUMAP_DIM_PRESSURE, 100.0, 0.0},
    {"psi", CDUMAP_DIM_PRESSURE, 6.894757293168, 0.0},
    {"pct", CDUMAP_DIM_PCT, 1.0, 0.0},
    {"permille", CDUMAP_DIM_PCT, 0.1, 0.0},
    {"W", CDUMAP_DIM_POWER, 1.0, 0.0},
    {"kW", CDUMAP_DIM_POWER, 1000.0, 0.0},
    {"MW", CDUMAP_DIM_POWER, 1e6, 0.0},
};

/* Tables. name: as maps spell it; bits: 1 for the single-bit tables. */
static const struct cdumap_tabdef {
	const char *name;
	enum cdumap_table table;
	int bits;
} cdumap_tables[] = {
    {"coil", CDUMAP_COIL, 1},
    {"discrete", CDUMAP_DISCRETE, 1},
    {"holding", CDUMAP_HOLDING, 0},
    {"input", CDUMAP_INPUT, 0},
};

/*
 * Types. name: as maps spell it; nreg: registers (bits) spanned; sign: two's
 * complement; fl: IEEE float; orders: the `order=` values accepted, the
 * first being the default (big-endian, as the Modbus spec sends 16 bits).
 */
static const struct cdumap_typedef {
	const char *name;
	enum cdumap_type type;
	int nreg;
	int sign, fl;
	const char *const *orders;
} cdumap_types[] = {
    {"bit", CDUMAP_BIT, 1, 0, 0, NULL},
    {"int16", CDUMAP_INT16, 1, 1, 0, (const char *const[]){"AB", "BA", NULL}},
    {"uint16", CDUMAP_UINT16, 1, 0, 0, (const char *const[]){"AB", "BA", NULL}},
    {"int32", CDUMAP_INT32, 2, 1, 0,
        (const char *const[]){"ABCD", "CDAB", "BADC", "DCBA", NULL}},
    {"uint32", CDUMAP_UINT32, 2, 0, 0,
        (const char *const[]){"ABCD", "CDAB", "BADC", "DCBA", NULL}},
    {"float32", CDUMAP_FLOAT32, 2, 0, 1,
        (const char *const[]){"ABCD", "CDAB", "BADC", "DCBA", NULL}},
};

/* Where parsing is, for messages. */
struct cdumap_pos {
	const char *name; /* the file */
	int line;
	char *err;
	size_t errlen;
};

typedef int (*cdumap_optfn)(
    struct cdumap_pos *, struct cdumap_point *, const char *);

/*
 * Point options. name: before the '='; set: parses the value into the
 * point (the type is known by then; cross-checks run after the line).
 */
static int opt_scale(struct cdumap_pos *, struct cdumap_point *, const char *);
static int opt_offset(struct cdumap_pos *, struct cdumap_point *, const char *);
static int opt_unit(struct cdumap_pos *, struct cdumap_point *, const char *);
static int opt_order(struct cdumap_pos *, struct cdumap_point *, const char *);
static int opt_nodata(struct cdumap_pos *, struct cdumap_point *, const char *);
static int opt_bits(struct cdumap_pos *, struct cdumap_point *, const char *);
static int opt_active(struct cdumap_pos *, struct cdumap_point *, const char *);

#define OPT_SCALE  (1u << 0)
#define OPT_OFFSET (1u << 1)
#define OPT_UNIT   (1u << 2)
#define OPT_ORDER  (1u << 3)
#define OPT_NODATA (1u << 4)
#define OPT_BITS   (1u << 5)
#define OPT_ACTIVE (1u << 6)

static const struct cdumap_opt {
	const char *name;
	uint32_t bit;
	cdumap_optfn set;
} cdumap_opts[] = {
    {"scale", OPT_SCALE, opt_scale},
    {"offset", OPT_OFFSET, opt_offset},
    {"unit", OPT_UNIT, opt_unit},
    {"order", OPT_ORDER, opt_order},
    {"nodata", OPT_NODATA, opt_nodata},
    {"bits", OPT_BITS, opt_bits},
    {"active", OPT_ACTIVE, opt_active},
};

static int perr(struct cdumap_pos *pos, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Writes "file:line: message" into pos->err; returns -1 for tail calls. */
static int
perr(struct cdumap_pos *pos, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (pos->line > 0)
		snprintf(pos->err, pos->errlen, "%s:%d: %s", pos->name,
		    pos->line, msg);
	else
		snprintf(pos->err, pos->errlen, "%s: %s", pos->name, msg);
	return -1;
}

static const struct cdumap_typedef *
type_of(enum cdumap_type t)
{
	size_t i;

	for (i = 0; i < NELEM(cdumap_types); i++)
		if (cdumap_types[i].type == t)
			return &cdumap_types[i];
	return NULL;
}

const char *
cdumap_table_name(enum cdumap_table t)
{
	size_t i;

	for (i = 0; i < NELEM(cdumap_tables); i++)
		if (cdumap_tables[i].table == t)
			return cdumap_tables[i].name;
	return "?";
}

/* Decimal, or hexadecimal after 0x; no sign, no octal, at most max. */
static int
parse_uint(const char *s, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s < '0' || (base == 10 && *s > '9') ||
	    (base == 16 && strchr("0123456789abcdefABCDEF", *s) == NULL))
		return -1;
	errno = 0;
	v = strtoull(s, &end, base);
	if (*end != '\0' || errno != 0 || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* [a-z][a-z0-9_]*, shorter than CDUMAP_NAME_MAX. */
static int
valid_name(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len >= CDUMAP_NAME_MAX || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (i = 1; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

static int
field_index(const char *name)
{
	int i;

	for (i = 0; i < cdumap_nfields; i++)
		if (strcmp(cdumap_fields[i].name, name) == 0)
			return i;
	return CDUMAP_ALARM;
}

static int
is_leak(int field)
{
	return field >= 0 && cdumap_fields[field].flag == POD_F_LEAK;
}

static int
opt_scale(struct cdumap_pos *pos, struct cdumap_point *p, const char *v)
{
	if (pod_parse_real(v, &p->scale) == -1 || p->scale == 0.0)
		return perr(pos, "scale=%s: want a non-zero number", v);
	return 0;
}

static int
opt_offset(struct cdumap_pos *pos, struct cdumap_point *p, const char *v)
{
	if (pod_parse_real(v, &p->offset) == -1)
		return perr(pos, "offset=%s: want a number", v);
	return 0;
}

static int
opt_unit(struct cdumap_pos *pos, struct cdumap_point *p, const char *v)
{
	if (strlen(v) >= sizeof(p->unit))
		return perr(pos, "unit=%s: unknown unit", v);
	snprintf(p->unit, sizeof(p->unit), "%s", v);
	return 0;
}

/* Lays the wire bytes into value bit positions: A is the most
 * significant byte of the value. */
static int
opt_order(struct cdumap_pos *pos, struct cdumap_point *p, const char *v)
{
	const struct cdumap_typedef *t = type_of(p->type);
	size_t i, n;

	for (i = 0; t->orders != NULL && t->orders[i] != NULL; i++)
		if (strcmp(t->orders[i], v) == 0)
			break;
	if (t->orders == NULL || t->orders[i] == NULL) {
		if (t->orders == NULL)
			return perr(pos, "order=%s: a %s has no byte order", v,
			    t->name);
		return perr(pos, "order=%s: a %s takes %s", v, t->name,
		    t->nreg == 1 ? "AB or BA" : "ABCD, CDAB, BADC or DCBA");
	}
	n = strlen(v);
	snprintf(p->order, sizeof(p->order), "%s", v);
	for (i = 0; i < n; i++)
		p->shift[i] = (uint8_t)(8 * (n - 1 - (size_t)(v[i] - 'A')));
	return 0;
}

static int
opt_nodata(struct cdumap_pos *pos, struct cdumap_point *p, const char *v)
{
	const struct cdumap_typedef *t = type_of(p->type);
	uint32_t max = t->nreg == 2 ? 0xffffffffu : 0xffffu;
	char buf[CDUMAP_LINE_MAX], *s, *comma;

	snprintf(buf, sizeof(buf), "%s", v);
	for (s = buf; s != NULL; s = comma) {
		if ((comma = strchr(s, ',')) != NULL)
			*comma++ = '\0';
		if (p->nnodata == CDUMAP_MAX_NODATA)
			return perr(pos, "nodata=%s: at most %d markers", v,
			    CDUMAP_MAX_NODATA);
		if (parse_uint(s, max, &p->nodata[p->nnodata]) == -1)
			return perr(pos,
			    "nodata=%s: '%s': want a raw %d-bit pattern such "
			    "as 0x%s",
			    v, s, 16 * t->nreg,
			    t->nreg == 2 ? "FFFFFFFF" : "8000");
		p->nnodata++;
	}
	return 0;
}

/* bits=NAME:N[,NAME:!N...]; '!' marks an active-low bit. */
static int
opt_bits(struct cdumap_pos *pos, struct cdumap_point *p, const char *v)
{
	char buf[CDUMAP_LINE_MAX], *s, *comma, *colon, *num;
	struct cdumap_bit *b;
	uint32_t n;
	int i;

	snprintf(buf, sizeof(buf), "%s", v);
	for (s = buf; s != NULL; s = comma) {
		if ((comma = strchr(s, ',')) != NULL)
			*comma++ = '\0';
		if (p->nbits == CDUMAP_MAX_BITS)
			return perr(pos, "bits=: at most %d named bits",
			    CDUMAP_MAX_BITS);
		b = &p->bits[p->nbits];
		if ((colon = strchr(s, ':')) == NULL ||
		    !valid_name(s, (size_t)(colon - s)))
			return perr(pos, "bits=: '%s': want NAME:BIT", s);
		*colon = '\0';
		num = colon + 1;
		if (*num == '!') {
			b->active_low = 1;
			num++;
		}
		if (parse_uint(num, 31, &n) == -1)
			return perr(
			    pos, "bits=: %s: bit '%s' is not 0..31", s, num);
		memcpy(b->name, s, (size_t)(colon - s) + 1);
		b->bit = (int)n;
		for (i = 0; i < p->nbits; i++)
			if (p->bits[i].bit == b->bit)
				return perr(
				    pos, "bits=: bit %d named twice", b->bit);
		p->nbits++;
	}
	return 0;
}

static int
opt_active(struct cdumap_pos *pos, struct cdumap_point *p, const char *v)
{
	if (strcmp(v, "high") == 0)
		p->active_low = 0;
	else if (strcmp(v, "low") == 0)
		p->active_low = 1;
	else
		return perr(pos, "active=%s: want high or low", v);
	return 0;
}

/* Checks one point against itself once its line is read. */
static int
point_check(struct cdumap_pos *pos, struct cdumap_point *p, uint32_t opts)
{
	const struct cdumap_typedef *t = type_of(p->type);
	const struct cdumap_field *f;
	size_t i;
	int b;

	if (p->field != CDUMAP_ALARM && (opts & OPT_BITS))
		return perr(pos,
		    "'%s' is a loop field; an alarm word with bits= needs a "
		    "name of its own",
		    p->name);
	if (p->field == CDUMAP_ALARM && p->type != CDUMAP_BIT &&
	    !(opts & OPT_BITS)) {
		char want[160];
		int k, n = 0;

		for (k = 0; k < cdumap_nfields && n < (int)sizeof(want); k++)
			n += snprintf(want + n, sizeof(want) - n, "%s%s",
			    k > 0 ? ", " : "", cdumap_fields[k].name);
		return perr(pos,
		    "unknown point '%s': want one of %s, or an alarm word "
		    "with bits=",
		    p->name, want);
	}
	if (p->type == CDUMAP_BIT && p->field != CDUMAP_ALARM &&
	    !is_leak(p->field))
		return perr(pos,
		    "%s is a number: a %s holds one bit, use input "
		    "or holding",
		    p->name, cdumap_table_name(p->table));
	if ((opts & OPT_BITS) && t->fl)
		return perr(
		    pos, "bits= needs an integer word, not a %s", t->name);
	for (b = 0; b < p->nbits; b++)
		if (p->bits[b].bit >= 16 * t->nreg)
			return perr(pos, "bits=: bit %d is beyond a %s",
			    p->bits[b].bit, t->name);
	if ((opts & (OPT_SCALE | OPT_OFFSET | OPT_UNIT)) &&
	    (p->field == CDUMAP_ALARM || is_leak(p->field)))
		return perr(pos,
		    "scale=, offset= and unit= apply to numbers, not to '%s'",
		    p->name);
	if ((opts & OPT_NODATA) && p->type == CDUMAP_BIT)
		return perr(pos, "nodata= applies to registers, not to a %s",
		    cdumap_table_name(p->table));
	if ((opts & OPT_ACTIVE) && p->type != CDUMAP_BIT)
		return perr(pos, "active= applies to coils and discrete "
		                 "inputs; in a word, write bits=NAME:!N");
	if ((uint32_t)p->addr + (uint32_t)p->nreg - 1 > 0xffffu)
		return perr(
		    pos, "%s at %u runs past address 65535", t->name, p->addr);
	if (p->field == CDUMAP_ALARM || is_leak(p->field))
		return 0;
	f = &cdumap_fields[p->field];
	if (p->unit[0] == '\0')
		snprintf(p->unit, sizeof(p->unit), "%s", f->unit);
	for (i = 0; i < NELEM(cdumap_units); i++)
		if (strcmp(cdumap_units[i].name, p->unit) == 0)
			break;
	if (i == NELEM(cdumap_units))
		return perr(pos, "unit=%s: unknown unit", p->unit);
	if (cdumap_units[i].dim != f->dim)
		return perr(
		    pos, "unit=%s does not measure %s", p->unit, f->name);
	p->si_mul = cdumap_units[i].mul;
	p->si_add = cdumap_units[i].add;
	return 0;
}

/* Checks a new point against the points before it. */
static int
point_unique(struct cdumap_pos *pos, const struct cdumap *m,
    const struct cdumap_point *p)
{
	const struct cdumap_point *q;
	int i, j, k;

	for (i = 0; i < m->npt; i++) {
		q = &m->pt[i];
		if (p->field >= 0 && q->field >= 0 && !is_leak(p->field) &&
		    cdumap_fields[p->field].flag ==
		        cdumap_fields[q->field].flag)
			return perr(pos, "%s is already mapped at line %d",
			    p->name, q->line);
		if (p->field == CDUMAP_ALARM && q->field == CDUMAP_ALARM &&
		    strcmp(p->name, q->name) == 0)
			return perr(pos, "'%s' is already defined at line %d",
			    p->name, q->line);
		/* Alarm bit names are unique across the map, but a CDU may
		 * well have several leak sensors. */
		for (j = 0; j < p->nbits; j++)
			for (k = 0; k < q->nbits; k++)
				if (strcmp(p->bits[j].name, "leak") != 0 &&
				    strcmp(p->bits[j].name, q->bits[k].name) ==
				        0)
					return perr(pos,
					    "bit '%s' is already defined at "
					    "line %d",
					    p->bits[j].name, q->line);
	}
	for (j = 0; j < p->nbits; j++)
		for (k = 0; k < j; k++)
			if (strcmp(p->bits[j].name, "leak") != 0 &&
			    strcmp(p->bits[j].name, p->bits[k].name) == 0)
				return perr(pos, "bit '%s' named twice",
				    p->bits[j].name);
	return 0;
}

/* One point line, split into words. */
static int
point_parse(struct cdumap_pos *pos, struct cdumap *m, char **tok, int ntok)
{
	struct cdumap_point *p;
	const struct cdumap_tabdef *tab = NULL;
	const struct cdumap_typedef *t = NULL;
	const struct cdumap_opt *o;
	uint32_t addr, opts = 0;
	size_t i;
	char *eq;
	int k;

	if (m->npt == CDUMAP_MAX_POINTS)
		return perr(
		    pos, "too many points (at most %d)", CDUMAP_MAX_POINTS);
	p = &m->pt[m->npt];
	memset(p, 0, sizeof(*p));
	p->line = pos->line;
	if (!valid_name(tok[0], strlen(tok[0])))
		return perr(pos,
		    "'%s': a point name is lower case letters, digits and _, "
		    "at most %d",
		    tok[0], CDUMAP_NAME_MAX - 1);
	snprintf(p->name, sizeof(p->name), "%s", tok[0]);
	p->field = field_index(p->name);
	if (ntok < 3)
		return perr(pos, "want NAME TABLE ADDRESS [TYPE] [OPTION=VALUE "
		                 "...]");
	for (i = 0; i < NELEM(cdumap_tables); i++)
		if (strcmp(cdumap_tables[i].name, tok[1]) == 0)
			tab = &cdumap_tables[i];
	if (tab == NULL)
		return perr(pos,
		    "'%s': unknown table, want input, holding, discrete or "
		    "coil",
		    tok[1]);
	p->table = tab->table;
	if (parse_uint(tok[2], 0xffff, &addr) == -1)
		return perr(
		    pos, "'%s': want a 0-based address 0..65535", tok[2]);
	p->addr = (uint16_t)addr;
	k = 3;
	if (k < ntok && strchr(tok[k], '=') == NULL) {
		for (i = 0; i < NELEM(cdumap_types); i++)
			if (strcmp(cdumap_types[i].name, tok[k]) == 0)
				t = &cdumap_types[i];
		if (t == NULL)
			return perr(pos,
			    "'%s': unknown type, want int16, uint16, int32, "
			    "uint32, float32 or bit",
			    tok[k]);
		k++;
	} else
		t = &cdumap_types[tab->bits ? 0 : 2]; /* bit or uint16 */
	if (tab->bits != (t->type == CDUMAP_BIT))
		return perr(pos,
		    "type %s does not fit table %s (coil and discrete hold "
		    "bits, input and holding hold registers)",
		    t->name, tab->name);
	p->type = t->type;
	p->nreg = t->nreg;
	p->scale = 1.0;
	p->si_mul = 1.0;
	if (t->orders != NULL)
		opt_order(pos, p, t->orders[0]);
	for (; k < ntok; k++) {
		if ((eq = strchr(tok[k], '=')) == NULL)
			return perr(pos, "'%s': want OPTION=VALUE", tok[k]);
		*eq = '\0';
		o = NULL;
		for (i = 0; i < NELEM(cdumap_opts); i++)
			if (strcmp(cdumap_opts[i].name, tok[k]) == 0)
				o = &cdumap_opts[i];
		if (o == NULL)
			return perr(pos,
			    "'%s': unknown option, want scale, offset, unit, "
			    "order, nodata, bits or active",
			    tok[k]);
		if (opts & o->bit)
			return perr(pos, "%s= given twice", o->name);
		if (eq[1] == '\0')
			return perr(pos, "%s= needs a value", o->name);
		opts |= o->bit;
		if (o->set(pos, p, eq + 1) == -1)
			return -1;
	}
	if (point_check(pos, p, opts) == -1 || point_unique(pos, m, p) == -1)
		return -1;
	if (p->field >= 0)
		m->caps |= cdumap_fields[p->field].flag;
	for (k = 0; k < p->nbits; k++)
		if (strcmp(p->bits[k].name, "leak") == 0)
			m->caps |= POD_F_LEAK;
	m->npt++;
	return 0;
}

/* One line, comment and newline included. */
static int
line_parse(struct cdumap_pos *pos, struct cdumap *m, char *line)
{
	char *tok[CDUMAP_MAX_TOKENS], *s, *hash;
	int ntok = 0;
	size_t len;

	if ((hash = strchr(line, '#')) != NULL)
		*hash = '\0';
	s = line + strspn(line, " \t\r\n");
	if (strncmp(s, "model", 5) == 0 && (s[5] == ' ' || s[5] == '\t')) {
		s += 5 + strspn(s + 5, " \t");
		len = strcspn(s, "\r\n");
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len == 0 || len >= sizeof(m->model))
			return perr(pos, "model: want 1..%zu characters",
			    sizeof(m->model) - 1);
		if (m->model[0] != '\0')
			return perr(pos, "model given twice");
		snprintf(m->model, sizeof(m->model), "%.*s", (int)len, s);
		return 0;
	}
	while (*s != '\0') {
		if (ntok == CDUMAP_MAX_TOKENS)
			return perr(pos, "too many words (at most %d)",
			    CDUMAP_MAX_TOKENS);
		tok[ntok++] = s;
		s += strcspn(s, " \t\r\n");
		if (*s != '\0')
			*s++ = '\0';
		s += strspn(s, " \t\r\n");
	}
	if (ntok == 0)
		return 0;
	return point_parse(pos, m, tok, ntok);
}

int
cdumap_read(
    FILE *f, const char *name, struct cdumap *m, char *err, size_t errlen)
{
	struct cdumap_pos pos = {name, 0, err, errlen};
	char line[CDUMAP_LINE_MAX];
	size_t len;

	memset(m, 0, sizeof(*m));
	while (fgets(line, sizeof(line), f) != NULL) {
		pos.line++;
		len = strlen(line);
		if (len == sizeof(line) - 1 && line[len - 1] != '\n' &&
		    getc(f) != EOF)
			return perr(&pos, "line longer than %d bytes",
			    CDUMAP_LINE_MAX - 2);
		if (line_parse(&pos, m, line) == -1)
			return -1;
	}
	pos.line = 0;
	if (ferror(f))
		return perr(&pos, "read: %s", strerror(errno));
	if (m->npt == 0)
		return perr(&pos, "no points");
	return 0;
}

int
cdumap_load(const char *path, struct cdumap *m, char *err, size_t errlen)
{
	FILE *f;
	int rc;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = cdumap_read(f, path, m, err, errlen);
	fclose(f);
	return rc;
}

uint32_t
cdumap_raw(const struct cdumap_point *p, const uint16_t *regs)
{
	uint32_t raw = 0, byte;
	int i;

	if (p->type == CDUMAP_BIT)
		return regs[0] != 0;
	for (i = 0; i < 2 * p->nreg; i++) {
		byte = i % 2 == 0 ? regs[i / 2] >> 8 : regs[i / 2] & 0xffu;
		raw |= byte << p->shift[i];
	}
	return raw;
}

static int
is_nodata(const struct cdumap_point *p, uint32_t raw)
{
	int i;

	for (i = 0; i < p->nnodata; i++)
		if (p->nodata[i] == raw)
			return 1;
	return 0;
}

int
cdumap_value(const struct cdumap_point *p, const uint16_t *regs, double *value)
{
	const struct cdumap_typedef *t = type_of(p->type);
	uint32_t raw = cdumap_raw(p, regs);
	double v;
	float fv;

	if (is_nodata(p, raw))
		return -1;
	if (p->type == CDUMAP_BIT) {
		*value = (double)(raw ^ (uint32_t)p->active_low);
		return 0;
	}
	if (t->fl) {
		memcpy(&fv, &raw, sizeof(fv));
		if (!isfinite(fv))
			return -1;
		v = fv;
	} else if (t->sign && t->nreg == 1)
		v = (int16_t)(uint16_t)raw;
	else if (t->sign)
		v = (int32_t)raw;
	else
		v = raw;
	if (is_leak(p->field)) {
		*value = v != 0.0;
		return 0;
	}
	v = v * p->scale + p->offset;
	*value = v * p->si_mul + p->si_add;
	return 0;
}

int
cdumap_bit_get(
    const struct cdumap_point *p, const struct cdumap_bit *b, uint32_t raw)
{
	if (is_nodata(p, raw))
		return -1;
	return (int)((raw >> b->bit) & 1u) ^ b->active_low;
}
