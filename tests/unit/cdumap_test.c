/*
 * cdumap_test: the CDU register-map parser and the value decoding of
 * plugins/cooling/modbus (cdumap.c, linked as is). Four static tables:
 * maps that must parse (and what they hold), maps that must fail with a
 * given "file:line: reason", register contents and the value each point
 * type, word/byte order, sign, scale, unit and nodata marker must turn them
 * into, and alarm-word bits. Then the shipped generic map, loaded from the
 * source tree, decodes a full register image of the generic CDU.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pod/plugin.h>

#include "cdumap.h"
#include "check.h"

#define ALLCAPS                                                                \
	(POD_F_SUPPLY | POD_F_RETURN | POD_F_FLOW | POD_F_PRESSURE |           \
	    POD_F_PUMP | POD_F_LEAK | POD_F_CAPACITY)

/* Parses `text` as the map "t.map"; 0 or -1 with err set. */
static int
parse(const char *text, struct cdumap *m, char *err, size_t errlen)
{
	FILE *f;
	int rc;

	if ((f = fmemopen((void *)text, strlen(text), "r")) == NULL) {
		snprintf(err, errlen, "fmemopen failed");
		return -1;
	}
	rc = cdumap_read(f, "t.map", m, err, errlen);
	fclose(f);
	return rc;
}

/*
 * Maps that parse. text: the map; npt: points; caps: POD_F_* they feed;
 * model: the model line's text; pt, table, addr, type: what point `pt`
 * must be.
 */
static const struct good_case {
	const char *name;
	const char *text;
	int npt;
	uint32_t caps;
	const char *model;
	int pt;
	enum cdumap_table table;
	int addr;
	enum cdumap_type type;
} good_cases[] = {
    {"minimal", "supply_c input 0 int16 scale=0.1\n", 1, POD_F_SUPPLY, "", 0,
        CDUMAP_INPUT, 0, CDUMAP_INT16},
    {"default types", "return_c holding 7\nleak discrete 3\n", 2,
        POD_F_RETURN | POD_F_LEAK, "", 1, CDUMAP_DISCRETE, 3, CDUMAP_BIT},
    {"default uint16", "pump_pct input 9\n", 1, POD_F_PUMP, "", 0, CDUMAP_INPUT,
        9, CDUMAP_UINT16},
    {"hex address, tabs, comments, CRLF",
        "# a comment\r\n\r\n\tflow_lpm\tinput\t0x10\tuint32\torder=CDAB "
        "# trailing\r\n",
        1, POD_F_FLOW, "", 0, CDUMAP_INPUT, 16, CDUMAP_UINT32},
    {"leading zero is decimal", "pressure_kpa input 010\n", 1, POD_F_PRESSURE,
        "", 0, CDUMAP_INPUT, 10, CDUMAP_UINT16},
    {"model", "model  ACME CDU-800 rev 2  # comment\nleak coil 0\n", 1,
        POD_F_LEAK, "ACME CDU-800 rev 2", 0, CDUMAP_COIL, 0, CDUMAP_BIT},
    {"several leak sources",
        "leak discrete 0\nleak input 4\nalarms input 5 uint16 "
        "bits=leak:0,leak:1,pump_fail:2\n",
        3, POD_F_LEAK, "", 2, CDUMAP_INPUT, 5, CDUMAP_UINT16},
    {"alarm-only word feeds nothing",
        "supply_c input 0 int16\nalarms input 1 uint16 bits=pump_fail:1\n", 2,
        POD_F_SUPPLY, "", 1, CDUMAP_INPUT, 1, CDUMAP_UINT16},
    {"bit alarm", "door_open discrete 5 active=low\n", 1, 0, "", 0,
        CDUMAP_DISCRETE, 5, CDUMAP_BIT},
    {"capacity_kw", "capacity_kw input 6 float32 order=DCBA\n", 1,
        POD_F_CAPACITY, "", 0, CDUMAP_INPUT, 6, CDUMAP_FLOAT32},
    {"last register",
        "flow_lpm holding 65534 int32\nsupply_c input 65535 int16\n", 2,
        POD_F_FLOW | POD_F_SUPPLY, "", 1, CDUMAP_INPUT, 65535, CDUMAP_INT16},
    {"every field",
        "supply_c input 0 int16 scale=0.1 unit=F\n"
        "return_c input 1 int16 scale=0.01 offset=-273.15 unit=C\n"
        "flow_lpm input 2 uint32 unit=m3h nodata=0xFFFFFFFF,0\n"
        "pressure_kpa input 4 unit=bar scale=0.001\n"
        "pump_pct holding 5 unit=permille\n"
        "capacity_w input 6 float32 unit=MW order=BADC\n"
        "leak coil 9\n",
        7, ALLCAPS, "", 5, CDUMAP_INPUT, 6, CDUMAP_FLOAT32},
    {"no newline at the end", "supply_c input 0", 1, POD_F_SUPPLY, "", 0,
        CDUMAP_INPUT, 0, CDUMAP_UINT16},
};

/* Maps that fail, and the start of the message they must give. */
static const struct bad_case {
	const char *text;
	const char *want;
} bad_cases[] = {
    {"supply_c register 0\n", "t.map:1: 'register': unknown table"},
    {"# comment\n\nsupply_c input 70000\n",
        "t.map:3: '70000': want a 0-based address 0..65535"},
    {"supply_c input -1\n", "t.map:1: '-1': want a 0-based address"},
    {"supply_c input 0x\n", "t.map:1: '0x': want a 0-based address"},
    {"supply_c input 12abc\n", "t.map:1: '12abc': want a 0-based address"},
    {"supply_c input\n", "t.map:1: want NAME TABLE ADDRESS"},
    {"model\n", "t.map:1: want NAME TABLE ADDRESS"},
    {"Supply input 0\n", "t.map:1: 'Supply': a point name is lower case"},
    {"supply_c input 0 int8\n", "t.map:1: 'int8': unknown type"},
    {"supply_c input 0 bit\n", "t.map:1: type bit does not fit table input"},
    {"leak discrete 0 int16\n",
        "t.map:1: type int16 does not fit table discrete"},
    {"supply_c discrete 0\n",
        "t.map:1: supply_c is a number: a discrete holds one bit"},
    {"temp input 0 int16\n",
        "t.map:1: unknown point 'temp': want one of supply_c, return_c"},
    {"supply_c input 0 int16 scale=x\n",
        "t.map:1: scale=x: want a non-zero number"},
    {"supply_c input 0 int16 scale=0\n",
        "t.map:1: scale=0: want a non-zero number"},
    {"supply_c input 0 int16 scale=nan\n",
        "t.map:1: scale=nan: want a non-zero number"},
    {"supply_c input 0 int16 offset=1e999\n",
        "t.map:1: offset=1e999: want a number"},
    {"supply_c input 0 int16 scale=0.1 scale=0.2\n",
        "t.map:1: scale= given twice"},
    {"supply_c input 0 int16 gain=2\n", "t.map:1: 'gain': unknown option"},
    {"supply_c input 0 scale\n", "t.map:1: 'scale': unknown type"},
    {"supply_c input 0 int16 scale\n", "t.map:1: 'scale': want OPTION=VALUE"},
    {"supply_c input 0 int16 0.1\n", "t.map:1: '0.1': want OPTION=VALUE"},
    {"supply_c input 0 int16 scale=\n", "t.map:1: scale= needs a value"},
    {"flow_lpm input 2 uint32 order=AB\n",
        "t.map:1: order=AB: a uint32 takes ABCD, CDAB, BADC or DCBA"},
    {"supply_c input 0 int16 order=ABCD\n",
        "t.map:1: order=ABCD: a int16 takes AB or BA"},
    {"flow_lpm input 2 uint32 order=ACBD\n", "t.map:1: order=ACBD"},
    {"leak discrete 0 order=AB\n",
        "t.map:1: order=AB: a bit has no byte order"},
    {"supply_c input 0 int16 nodata=0x10000\n",
        "t.map:1: nodata=0x10000: '0x10000': want a raw 16-bit pattern"},
    {"flow_lpm input 0 uint32 nodata=0x100000000\n",
        "t.map:1: nodata=0x100000000: '0x100000000': want a raw 32-bit"},
    {"supply_c input 0 int16 nodata=1,2,3,4,5\n",
        "t.map:1: nodata=1,2,3,4,5: at most 4 markers"},
    {"supply_c input 0 int16 nodata=0x8000,\n",
        "t.map:1: nodata=0x8000,: '': want a raw"},
    {"leak discrete 0 nodata=1\n",
        "t.map:1: nodata= applies to registers, not to a discrete"},
    {"leak input 0 uint16 bits=leak:0\n",
        "t.map:1: 'leak' is a loop field; an alarm word with bits="},
    {"alarms input 0 float32 bits=a:0\n",
        "t.map:1: bits= needs an integer word, not a float32"},
    {"alarms input 0 uint16 bits=a:16\n",
        "t.map:1: bits=: bit 16 is beyond a uint16"},
    {"alarms input 0 uint32 bits=a:32\n",
        "t.map:1: bits=: a: bit '32' is not 0..31"},
    {"alarms input 0 uint16 bits=a:1,b:1\n",
        "t.map:1: bits=: bit 1 named twice"},
    {"alarms input 0 uint16 bits=a\n", "t.map:1: bits=: 'a': want NAME:BIT"},
    {"alarms input 0 uint16 bits=A:1\n",
        "t.map:1: bits=: 'A:1': want NAME:BIT"},
    {"alarms input 0 uint16 bits=a:1,a:2\n", "t.map:1: bit 'a' named twice"},
    {"alarms input 0 uint16 bits=a:1\nmore input 1 uint16 bits=a:2\n",
        "t.map:2: bit 'a' is already defined at line 1"},
    {"alarms input 0 uint16 bits=a:1\nalarms input 1 uint16 bits=b:2\n",
        "t.map:2: 'alarms' is already defined at line 1"},
    {"supply_c input 0 int16\nsupply_c input 1 int16\n",
        "t.map:2: supply_c is already mapped at line 1"},
    {"capacity_w input 0 uint16\n# x\ncapacity_kw input 1 uint16\n",
        "t.map:3: capacity_kw is already mapped at line 1"},
    {"leak discrete 0 scale=2\n",
        "t.map:1: scale=, offset= and unit= apply to numbers, not to "
        "'leak'"},
    {"supply_c input 0 int16 unit=kPa\n",
        "t.map:1: unit=kPa does not measure supply_c"},
    {"supply_c input 0 int16 unit=furlong\n",
        "t.map:1: unit=furlong: unknown unit"},
    {"supply_c input 0 int16 active=low\n",
        "t.map:1: active= applies to coils and discrete inputs"},
    {"leak coil 0 active=sideways\n",
        "t.map:1: active=sideways: want high or low"},
    {"flow_lpm input 65535 uint32\n",
        "t.map:1: uint32 at 65535 runs past address 65535"},
    {"# nothing but comments\n\n", "t.map: no points"},
    {"", "t.map: no points"},
    {"model \nleak coil 0\n", "t.map:1: model: want 1..63 characters"},
    {"model a\nmodel b\n", "t.map:2: model given twice"},
    {"supply_c input 0 a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8 i=9 j=10 k=11 "
     "l=12 m=13 n=14\n",
        "t.map:1: too many words (at most 16)"},
};

/*
 * Decoding. line: a one-point map; regs: the registers as libmodbus hands
 * them over; ok: 0 for a value, -1 for "no value"; want: the value in the
 * field's unit.
 */
static const struct value_case {
	const char *line;
	uint16_t regs[2];
	int ok;
	double want;
} value_cases[] = {
    /* 16 bits: sign, scale, byte order. */
    {"supply_c input 0 int16 scale=0.1", {0xff85}, 0, -12.3},
    {"supply_c input 0 int16 scale=0.1 order=BA", {0x85ff}, 0, -12.3},
    {"supply_c input 0 int16 scale=0.1", {0x0131}, 0, 30.5},
    {"supply_c input 0 int16 scale=0.1 order=BA", {0x3101}, 0, 30.5},
    {"pump_pct input 0 uint16", {0xff85}, 0, 65413},
    {"pump_pct input 0 uint16 order=BA", {0x85ff}, 0, 65413},
    {"supply_c input 0 int16", {0x7fff}, 0, 32767},
    {"supply_c input 0 int16", {0x8000}, 0, -32768},
    /* 32 bits: 0x12345678 in the four orders, A most significant. */
    {"flow_lpm input 0 uint32 order=ABCD", {0x1234, 0x5678}, 0, 305419896},
    {"flow_lpm input 0 uint32 order=CDAB", {0x5678, 0x1234}, 0, 305419896},
    {"flow_lpm input 0 uint32 order=BADC", {0x3412, 0x7856}, 0, 305419896},
    {"flow_lpm input 0 uint32 order=DCBA", {0x7856, 0x3412}, 0, 305419896},
    {"flow_lpm input 0 uint32", {0x1234, 0x5678}, 0, 305419896},
    {"flow_lpm input 0 uint32", {0xffff, 0xfffe}, 0, 4294967294.0},
    /* int32 −2 = 0xFFFFFFFE. */
    {"flow_lpm input 0 int32 order=ABCD", {0xffff, 0xfffe}, 0, -2},
    {"flow_lpm input 0 int32 order=CDAB", {0xfffe, 0xffff}, 0, -2},
    {"flow_lpm input 0 int32 order=BADC", {0xffff, 0xfeff}, 0, -2},
    {"flow_lpm input 0 int32 order=DCBA", {0xfeff, 0xffff}, 0, -2},
    {"flow_lpm input 0 int32 scale=0.01 order=CDAB", {0xe240, 0x0001}, 0,
        1234.56},
    /* float32 12.5 = 0x41480000, −1.5 = 0xBFC00000. */
    {"flow_lpm input 0 float32", {0x4148, 0x0000}, 0, 12.5},
    {"flow_lpm input 0 float32 order=CDAB", {0x0000, 0x4148}, 0, 12.5},
    {"flow_lpm input 0 float32 order=BADC", {0x4841, 0x0000}, 0, 12.5},
    {"flow_lpm input 0 float32 order=DCBA", {0x0000, 0x4841}, 0, 12.5},
    {"flow_lpm input 0 float32 order=ABCD", {0xbfc0, 0x0000}, 0, -1.5},
    {"flow_lpm input 0 float32 order=DCBA", {0x0000, 0xc0bf}, 0, -1.5},
    {"flow_lpm input 0 float32", {0x7fc0, 0x0000}, -1, 0}, /* NaN */
    {"flow_lpm input 0 float32", {0x7f80, 0x0000}, -1, 0}, /* +Inf */
    {"flow_lpm input 0 float32", {0xff80, 0x0000}, -1, 0}, /* −Inf */
    {"flow_lpm input 0 float32 order=CDAB", {0x0000, 0x7fc0}, -1, 0},
    /* nodata markers, compared on the raw pattern. */
    {"supply_c input 0 int16 scale=0.1 nodata=0x8000", {0x8000}, -1, 0},
    {"supply_c input 0 int16 scale=0.1 nodata=0x8000", {0x8001}, 0, -3276.7},
    {"pump_pct input 0 uint16 nodata=0xFFFF", {0xffff}, -1, 0},
    {"pump_pct input 0 uint16 nodata=0xFFFF", {0xfffe}, 0, 65534},
    {"pump_pct input 0 uint16 nodata=0x8000,0xFFFF", {0x8000}, -1, 0},
    {"pump_pct input 0 uint16 nodata=0x8000,0xFFFF", {0xffff}, -1, 0},
    {"pump_pct input 0 uint16 nodata=65535", {0xffff}, -1, 0},
    {"pump_pct input 0 uint16 order=BA nodata=0x00FF", {0xff00}, -1, 0},
    {"flow_lpm input 0 uint32 order=CDAB nodata=0xFFFFFFFF", {0xffff, 0xffff},
        -1, 0},
    {"flow_lpm input 0 uint32 order=CDAB nodata=0x80000000", {0x0000, 0x8000},
        -1, 0},
    {"flow_lpm input 0 uint32 order=CDAB nodata=0x80000000", {0x8000, 0x0000},
        0, 32768},
    /* scale, offset and units into the field's unit. */
    {"supply_c input 0 uint16 scale=0.1 offset=-40", {1000}, 0, 60},
    {"supply_c input 0 int16 unit=F", {212}, 0, 100},
    {"supply_c input 0 int16 unit=F", {32}, 0, 0},
    {"supply_c input 0 uint16 scale=0.01 unit=K", {30315}, 0, 30},
    {"flow_lpm input 0 uint16 scale=0.1 unit=m3h", {60}, 0, 100},
    {"flow_lpm input 0 uint16 unit=gpm", {10}, 0, 37.85411784},
    {"flow_lpm input 0 uint16 scale=0.1 unit=lps", {5}, 0, 30},
    {"pressure_kpa input 0 uint16 scale=0.01 unit=bar", {150}, 0, 150},
    {"pressure_kpa input 0 uint16 unit=psi", {10}, 0, 68.94757293168},
    {"pressure_kpa input 0 uint16 unit=Pa", {1500}, 0, 1.5},
    {"pump_pct input 0 uint16 unit=permille", {625}, 0, 62.5},
    {"capacity_kw input 0 float32", {0x437a, 0x0000}, 0, 250000},
    {"capacity_w input 0 uint16 unit=kW scale=0.1", {2500}, 0, 250000},
    {"capacity_w input 0 uint32 unit=MW scale=0.001 order=CDAB", {1500, 0}, 0,
        1500000},
    /* leak and bit points: 1 when the condition holds. */
    {"leak input 0 uint16", {0}, 0, 0},
    {"leak input 0 uint16", {5}, 0, 1},
    {"leak input 0 uint16 nodata=0xFFFF", {0xffff}, -1, 0},
    {"leak input 0 int32 order=CDAB", {0, 1}, 0, 1},
    {"leak discrete 0", {1}, 0, 1},
    {"leak discrete 0", {0}, 0, 0},
    {"leak coil 0 active=low", {1}, 0, 0},
    {"leak coil 0 active=low", {0}, 0, 1},
    {"leak coil 0 active=high", {1}, 0, 1},
    {"door discrete 0", {1}, 0, 1},
};

/*
 * Alarm words. line: a one-point map whose word has bits a..; regs: its
 * registers; bit: which of its named bits; want: 1, 0, or -1 (no data).
 */
static const struct bit_case {
	const char *line;
	uint16_t regs[2];
	int bit;
	int want;
} bit_cases[] = {
    {"w input 0 uint16 bits=leak:0,pump:1,door:!2", {0x0003}, 0, 1},
    {"w input 0 uint16 bits=leak:0,pump:1,door:!2", {0x0003}, 1, 1},
    {"w input 0 uint16 bits=leak:0,pump:1,door:!2", {0x0003}, 2, 1},
    {"w input 0 uint16 bits=leak:0,pump:1,door:!2", {0x0004}, 0, 0},
    {"w input 0 uint16 bits=leak:0,pump:1,door:!2", {0x0004}, 1, 0},
    {"w input 0 uint16 bits=leak:0,pump:1,door:!2", {0x0004}, 2, 0},
    {"w input 0 uint16 bits=hi:15", {0x8000}, 0, 1},
    {"w input 0 uint16 bits=hi:15 order=BA", {0x0080}, 0, 1},
    {"w input 0 uint16 bits=hi:15 order=BA", {0x8000}, 0, 0},
    {"w input 0 uint16 bits=leak:0 nodata=0xFFFF", {0xffff}, 0, -1},
    {"w input 0 uint16 bits=leak:0 nodata=0xFFFF", {0xfffe}, 0, 0},
    {"w input 0 uint32 bits=lo:0,hi:20 order=CDAB", {0x0001, 0x0010}, 0, 1},
    {"w input 0 uint32 bits=lo:0,hi:20 order=CDAB", {0x0001, 0x0010}, 1, 1},
    {"w input 0 uint32 bits=lo:0,hi:20 order=ABCD", {0x0001, 0x0010}, 1, 0},
    {"w input 0 int16 bits=sign:15", {0xff85}, 0, 1},
};

static void
test_good(void)
{
	const struct good_case *c;
	const struct cdumap_point *p;
	struct cdumap *m = calloc(1, sizeof(*m));
	char err[512], what[128], detail[512];
	size_t i;

	for (i = 0; i < NELEM(good_cases); i++) {
		c = &good_cases[i];
		snprintf(what, sizeof(what), "good map '%s'", c->name);
		if (parse(c->text, m, err, sizeof(err)) == -1) {
			CHECK(0, "%s: %s", what, err);
			continue;
		}
		p = &m->pt[c->pt];
		snprintf(detail, sizeof(detail),
		    "npt %d caps %#x model '%s'; point %d: %s %u type %d",
		    m->npt, m->caps, m->model, c->pt,
		    cdumap_table_name(p->table), p->addr, (int)p->type);
		CHECK(m->npt == c->npt && m->caps == c->caps &&
		          strcmp(m->model, c->model) == 0 &&
		          p->table == c->table && p->addr == c->addr &&
		          p->type == c->type && p->line > 0,
		    "%s: %s", what, detail);
	}
	free(m);
}

static void
test_bad(void)
{
	const struct bad_case *c;
	struct cdumap *m = calloc(1, sizeof(*m));
	char err[512], what[128], detail[1024];
	size_t i;

	for (i = 0; i < NELEM(bad_cases); i++) {
		c = &bad_cases[i];
		snprintf(what, sizeof(what), "bad map %zu", i);
		err[0] = '\0';
		if (parse(c->text, m, err, sizeof(err)) == 0) {
			CHECK(0, "%s: %s", what, "parsed");
			continue;
		}
		snprintf(detail, sizeof(detail), "want '%s...', got '%s'",
		    c->want, err);
		CHECK(strncmp(err, c->want, strlen(c->want)) == 0, "%s: %s",
		    what, detail);
	}
	free(m);
}

/* Limits that tables of literal text do not reach well. */
static void
test_limits(void)
{
	struct cdumap *m = calloc(1, sizeof(*m));
	char *text = malloc(8192), err[512];
	size_t n = 0;
	int i, rc;

	/* 64 points parse, the 65th does not. */
	for (i = 0; i < CDUMAP_MAX_POINTS; i++)
		n += snprintf(text + n, 8192 - n, "a%d discrete %d\n", i, i);
	rc = parse(text, m, err, sizeof(err));
	CHECK(rc == 0 && m->npt == CDUMAP_MAX_POINTS, "%s: %s", "64 points",
	    rc == 0 ? "wrong count" : err);
	snprintf(text + n, 8192 - n, "b discrete 100\n");
	rc = parse(text, m, err, sizeof(err));
	CHECK(rc == -1 && strcmp(err, "t.map:65: too many points (at most "
	                              "64)") == 0,
	    "%s: %s", "65 points", err);

	/* A line of 510 characters and its newline fits; one more does
	 * not. */
	memset(text, ' ', 600);
	memcpy(text, "leak coil 0", 11);
	text[510] = '\n';
	text[511] = '\0';
	rc = parse(text, m, err, sizeof(err));
	CHECK(rc == 0, "longest line: %s", err);
	text[510] = ' ';
	text[511] = '\n';
	text[512] = '\0';
	rc = parse(text, m, err, sizeof(err));
	CHECK(
	    rc == -1 && strcmp(err, "t.map:1: line longer than 510 bytes") == 0,
	    "line too long: %s", err);

	/* A missing file names itself. */
	rc = cdumap_load("/nonexistent/cdu.map", m, err, sizeof(err));
	CHECK(rc == -1 && strcmp(err, "/nonexistent/cdu.map: No such file or "
	                              "directory") == 0,
	    "missing file: %s", err);
	free(text);
	free(m);
}

static void
test_values(void)
{
	const struct value_case *c;
	struct cdumap *m = calloc(1, sizeof(*m));
	char err[512], what[160], detail[256];
	double v;
	size_t i;
	int rc;

	for (i = 0; i < NELEM(value_cases); i++) {
		c = &value_cases[i];
		snprintf(what, sizeof(what), "value '%s' %04x %04x", c->line,
		    c->regs[0], c->regs[1]);
		if (parse(c->line, m, err, sizeof(err)) == -1) {
			CHECK(0, "%s: %s", what, err);
			continue;
		}
		v = NAN;
		rc = cdumap_value(&m->pt[0], c->regs, &v);
		snprintf(detail, sizeof(detail), "want %d %.9g, got %d %.9g",
		    c->ok, c->want, rc, v);
		CHECK(rc == c->ok &&
		          (rc == -1 || fabs(v - c->want) <=
		                           1e-9 * (1.0 + fabs(c->want))),
		    "%s: %s", what, detail);
	}
	free(m);
}

static void
test_bits(void)
{
	const struct bit_case *c;
	const struct cdumap_point *p;
	struct cdumap *m = calloc(1, sizeof(*m));
	char err[512], what[160], detail[128];
	size_t i;
	int got;

	for (i = 0; i < NELEM(bit_cases); i++) {
		c = &bit_cases[i];
		snprintf(what, sizeof(what), "bit %d of '%s' %04x %04x", c->bit,
		    c->line, c->regs[0], c->regs[1]);
		if (parse(c->line, m, err, sizeof(err)) == -1) {
			CHECK(0, "%s: %s", what, err);
			continue;
		}
		p = &m->pt[0];
		got =
		    cdumap_bit_get(p, &p->bits[c->bit], cdumap_raw(p, c->regs));
		snprintf(
		    detail, sizeof(detail), "want %d, got %d", c->want, got);
		CHECK(got == c->want, "%s: %s", what, detail);
	}
	free(m);
}

/*
 * The shipped map on the generic CDU's register image as docs/cdu.md
 * lists it: 30.5 °C out, 40.2 °C back, 1234.56 L/min, 150.0 kPa, pump
 * 62.5 %, 250 kW of capacity, the pump-fail bit set, the drip tray dry.
 */
static void
test_generic(void)
{
	static const uint16_t input[9] = {
	    305, 402, 0xe240, 0x0001, 1500, 625, 0x437a, 0x0000, 0x0002};
	static const struct {
		const char *name;
		double want;
	} want[] = {
	    {"supply_c", 30.5},
	    {"return_c", 40.2},
	    {"flow_lpm", 1234.56},
	    {"pressure_kpa", 150.0},
	    {"pump_pct", 62.5},
	    {"capacity_kw", 250000.0},
	    {"leak", 0.0},
	};
	const struct cdumap_point *p;
	struct cdumap *m = calloc(1, sizeof(*m));
	char err[512], detail[256];
	uint16_t bit;
	size_t i;
	int k, found, rc;
	double v;

	rc = cdumap_load(CDU_GENERIC_MAP, m, err, sizeof(err));
	CHECK(rc == 0, "generic map loads: %s", err);
	if (rc == -1)
		goto out;
	CHECK(m->caps == ALLCAPS && strcmp(m->model, "Generic CDU") == 0 &&
	          m->npt == 9,
	    "generic map holds every field: %s", m->model);
	for (i = 0; i < NELEM(want); i++) {
		found = 0;
		for (k = 0; k < m->npt; k++) {
			p = &m->pt[k];
			if (strcmp(p->name, want[i].name) != 0)
				continue;
			found = 1;
			bit = 0;
			rc = cdumap_value(p,
			    p->table == CDUMAP_INPUT ? input + p->addr : &bit,
			    &v);
			snprintf(detail, sizeof(detail),
			    "%s: want %g, got %d %g", want[i].name,
			    want[i].want, rc, v);
			CHECK(rc == 0 && fabs(v - want[i].want) < 1e-6,
			    "%s: %s", "generic CDU value", detail);
		}
		CHECK(found, "generic map point: %s", want[i].name);
	}
	for (found = 0, k = 0; k < m->npt; k++) {
		p = &m->pt[k];
		if (strcmp(p->name, "alarm_word") != 0)
			continue;
		found = 1;
		/* bits=leak:0,pump_fail:1,...: pump_fail on, leak off. */
		CHECK(p->nbits == 5 &&
		          cdumap_bit_get(p, &p->bits[0],
		              cdumap_raw(p, input + p->addr)) == 0 &&
		          cdumap_bit_get(p, &p->bits[1],
		              cdumap_raw(p, input + p->addr)) == 1 &&
		          strcmp(p->bits[1].name, "pump_fail") == 0,
		    "generic alarm word: %s", p->bits[1].name);
	}
	CHECK(found, "generic map point: %s", "alarm_word");
out:
	free(m);
}

int
main(void)
{
	test_good();
	test_bad();
	test_limits();
	test_values();
	test_bits();
	test_generic();
	return check_summary("cdumap_test");
}
