/*
 * Unit tests of the BMS register map (controllerd/bmsmap.c), each case a
 * row of a static table: the encoding of values into registers (scaling,
 * saturation, unavailable markers, word order); the writable ranges it
 * gives the protocol module (core/mbtcp.c, tested in mbtcp_test.c), as a
 * BMS's writes meet them; the register table's own consistency; the
 * [modbus] configuration; and docs/modbus.md's points list, which must be
 * exactly what the table prints. Run with POD_UPDATE_GOLDEN=1 to rewrite
 * that list, then review the diff.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bmsmap.h"
#include "check.h"
#include "config.h"
#include "mbtcp.h"

#define DOC_PATH  "../../docs/modbus.md"
#define DOC_BEGIN "<!-- BEGIN POINTS"
#define DOC_END   "<!-- END POINTS -->"
#define DOC_MAX   (256 * 1024)

/*
 * Encoding cases. Columns: type, scale, value, register(s).
 */
static const struct {
	enum bms_type type;
	double scale, v;
	uint32_t want;
} encodings[] = {
    {BMS_U16, 1, 0, 0},
    {BMS_U16, 1, 812.4, 812},
    {BMS_U16, 1, 812.5, 813},
    {BMS_U16, 10, 21.46, 215},
    {BMS_U16, 1, -5, 0},
    {BMS_U16, 1, 65534, 65534},
    {BMS_U16, 1, 65535, 65534}, /* one short of the marker */
    {BMS_U16, 1, 1e9, 65534},
    {BMS_U16, 1, NAN, 0xFFFF},
    {BMS_S16, 10, 21.5, 215},
    {BMS_S16, 10, -0.5, (uint16_t)-5},
    {BMS_S16, 1, -120, (uint16_t)-120},
    {BMS_S16, 1, 32767, 32767},
    {BMS_S16, 1, 40000, 32767},   /* headroom saturates */
    {BMS_S16, 1, -40000, 0x8001}, /* −32767, never the marker */
    {BMS_S16, 1, -32768, 0x8001},
    {BMS_S16, 1, NAN, 0x8000},
    {BMS_U32, 1, 70000, 70000},
    {BMS_U32, 1, 5e9, 0xFFFFFFFE},
    {BMS_U32, 1, NAN, 0xFFFFFFFF},
    {BMS_W16, 1, 0x8000, 0x8000}, /* a word has no marker */
    {BMS_W16, 1, 65535, 65535},
    {BMS_W16, 1, NAN, 0},
    {BMS_BIT, 1, 1, 1},
    {BMS_BIT, 1, 0, 0},
};

/*
 * Writes of one holding register (FC6) against the map's writable ranges.
 * Columns: register, raw value, the answer (0 accepted, 2 not writable,
 * 3 out of range).
 */
static const struct {
	int reg;
	uint16_t raw;
	int want;
} writes[] = {
    {0, 0, 0},
    {0, 65000, 0},
    {0, 65001, 3},
    {0, 0xFFFF, 3}, /* the marker does not clear a cap */
    {1, 100, 0},
    {1, 101, 3},
    {2, 2, 3},
    {3, 4, 3},
    {3, 5, 0},
    {4, 0xFFFF, 0}, /* heartbeat: anything */
    {5, 3601, 3},
    {6, 215, 0},
    {6, (uint16_t)-100, 0},
    {6, (uint16_t)-101, 3},
    {6, 1001, 3},
    {6, 0x8000, 0}, /* clears */
    {7, 0xFFFF, 0}, /* clears */
    {7, 65001, 3},
    {8, 1, 2},
    {17, 1, 2},
};

static void
test_encoding(void)
{
	size_t i;
	uint32_t got;

	for (i = 0; i < sizeof(encodings) / sizeof(encodings[0]); i++) {
		got = bms_encode(
		    encodings[i].type, encodings[i].scale, encodings[i].v);
		CHECK(got == encodings[i].want, "case %zu: %g -> %#x, want %#x",
		    i, encodings[i].v, got, encodings[i].want);
	}
	CHECK(isnan(bms_decode(BMS_S16, 10, 0x8000)), "s16 marker");
	CHECK(isnan(bms_decode(BMS_U16, 1, 0xFFFF)), "u16 marker");
	CHECK(bms_decode(BMS_S16, 10, (uint16_t)-215) == -21.5, "s16 -21.5");
	CHECK(bms_decode(BMS_W16, 1, 0xFFFF) == 65535, "word");
}

static void
test_writes(void)
{
	struct mbtcp_limit limits[BMS_NLIMITS];
	struct mbtcp_map map = {1, {0}, NULL, NULL, NULL, NULL, limits, 0};
	struct mbtcp_request rq;
	uint8_t frame[12] = {0, 1, 0, 0, 0, 6, 1, 6};
	size_t i;
	int t, got;

	map.nlimits = bms_limits(limits, BMS_NLIMITS);
	CHECK(map.nlimits == BMS_NLIMITS, "%zu writable points", map.nlimits);
	for (t = 0; t < MBTCP_NTABLES; t++)
		map.size[t] = bms_table_size((enum bms_table)t, 1);
	for (i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		frame[9] = (uint8_t)writes[i].reg;
		frame[10] = (uint8_t)(writes[i].raw >> 8);
		frame[11] = (uint8_t)(writes[i].raw & 0xFF);
		got = mbtcp_request(frame, sizeof(frame), &map, 1, &rq);
		CHECK(got == writes[i].want, "holding %d = %u: got %d",
		    writes[i].reg, writes[i].raw, got);
	}
	frame[7] = 5; /* coil 1 on, coil 2 (none) */
	frame[9] = 1;
	frame[10] = 0xFF;
	frame[11] = 0;
	CHECK(mbtcp_request(frame, sizeof(frame), &map, 1, &rq) == 0, "coil 1");
	frame[9] = 2;
	CHECK(mbtcp_request(frame, sizeof(frame), &map, 1, &rq) == 2, "coil 2");
}

/* The layout: the fixed points, pod blocks, 32-bit words in order. */
static void
test_fill(void)
{
	struct bms_values v;
	struct bms_pod_values pods[2];
	uint8_t coils[BMS_COILS], di[BMS_DISCRETE];
	uint16_t in[BMS_POD_BASE + 2 * BMS_POD_STRIDE], hr[BMS_HOLDING];
	const struct bms_point *p;
	int pod;

	memset(&v, 0, sizeof(v));
	memset(pods, 0, sizeof(pods));
	memset(in, 0xAA, sizeof(in));
	v.heartbeat = 7;
	v.power_kw = 812.4;
	v.headroom_kw = -37.6;
	v.energy_kwh = 123456;
	v.worst_supply_c = NAN;
	v.leak = 1;
	v.facility_supply_c = 21.5;
	pods[1].power_kw = 400;
	pods[1].energy_kwh = 0x12345;
	pods[0].supply_c = NAN;
	bms_fill(&v, pods, 2, coils, di, in, hr);
	CHECK(in[0] == 7 && in[5] == 812 && in[7] == (uint16_t)-38,
	    "heartbeat %u power %u headroom %u", in[0], in[5], in[7]);
	CHECK(in[12] == 1 && in[13] == 123456 - 65536,
	    "energy MSW first: %u %u", in[12], in[13]);
	CHECK(in[14] == 0 && in[15] == 812, "power 32: %u %u", in[14], in[15]);
	CHECK(in[20] == 0x8000, "unknown supply: %#x", in[20]);
	CHECK(in[50] == 0, "reserved reads 0: %#x", in[50]);
	CHECK(in[BMS_POD_BASE + BMS_POD_STRIDE + 4] == 400, "pod02 power");
	CHECK(in[BMS_POD_BASE + BMS_POD_STRIDE + 18] == 1 &&
	          in[BMS_POD_BASE + BMS_POD_STRIDE + 19] == 0x2345,
	    "pod02 energy");
	CHECK(in[BMS_POD_BASE + 11] == 0x8000, "pod01 unknown supply");
	CHECK(di[1] == 1 && di[0] == 0 && coils[0] == 0, "bits");
	CHECK(hr[6] == 215, "holding 6: %u", hr[6]);
	p = bms_point_at(BMS_INPUT, 13, 2, &pod);
	CHECK(p != NULL && strcmp(p->name, "it_energy_kwh") == 0 && pod == -1,
	    "second word of a u32");
	p = bms_point_at(BMS_INPUT, BMS_POD_BASE + BMS_POD_STRIDE + 4, 2, &pod);
	CHECK(p != NULL && strcmp(p->name, "pod_power_kw") == 0 && pod == 1,
	    "pod02's power");
	CHECK(bms_point_at(BMS_INPUT, 27, 2, &pod) == NULL, "reserved");
	CHECK(bms_point_at(BMS_INPUT, BMS_POD_BASE + 2 * BMS_POD_STRIDE, 2,
	          &pod) == NULL,
	    "past the pods");
}

/* The table itself: names unique, no two points on one register, fixed
 * points below the pod blocks, writable points 16-bit in the window. */
static void
test_table(void)
{
	static const int words[] = {[BMS_U16] = 1,
	    [BMS_S16] = 1,
	    [BMS_U32] = 2,
	    [BMS_W16] = 1,
	    [BMS_BIT] = 1};
	static char used[4][2][BMS_POD_BASE];
	size_t i, j;
	int w, dup;

	for (i = 0; i < bms_npoints; i++) {
		const struct bms_point *p = &bms_points[i];
		int limit = p->per_pod                       ? BMS_POD_STRIDE
		            : p->table == BMS_INPUT          ? BMS_POD_BASE
		            : p->table == BMS_HOLDING_REG    ? BMS_HOLDING
		            : p->table == BMS_DISCRETE_INPUT ? BMS_DISCRETE
		                                             : BMS_COILS;

		for (dup = 0, j = i + 1; j < bms_npoints; j++)
			dup += strcmp(p->name, bms_points[j].name) == 0;
		CHECK(dup == 0, "%s twice", p->name);
		for (w = 0; w < words[p->type]; w++) {
			CHECK(p->addr + w < limit, "%s beyond its table",
			    p->name);
			CHECK(!used[p->table][p->per_pod][p->addr + w],
			    "%s overlaps", p->name);
			used[p->table][p->per_pod][p->addr + w] = 1;
		}
		if (p->set != BMS_SET_NONE)
			CHECK(
			    (p->table == BMS_HOLDING_REG &&
			        p->addr < BMS_WRITABLE && p->type != BMS_U32) ||
			        p->table == BMS_COIL,
			    "%s writable outside the window", p->name);
		else
			CHECK(!(p->table == BMS_HOLDING_REG &&
			          p->addr < BMS_WRITABLE),
			    "%s read-only in the window", p->name);
		CHECK((p->table == BMS_INPUT || !p->per_pod) &&
		          (p->type == BMS_BIT) ==
		              (p->table == BMS_COIL ||
		                  p->table == BMS_DISCRETE_INPUT),
		    "%s: type or block", p->name);
	}
	for (w = 0; w < BMS_WRITABLE; w++)
		CHECK(used[BMS_HOLDING_REG][0][w], "holding %d unmapped", w);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (f == NULL)
		return NULL;
	if ((buf = calloc(1, DOC_MAX)) == NULL) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, DOC_MAX - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* docs/modbus.md's points list is the table's; rewritten on request. */
static void
test_doc(void)
{
	char *doc = slurp(DOC_PATH), *gen = calloc(1, DOC_MAX), *begin, *end;
	FILE *mem, *out;

	CHECK(doc != NULL && gen != NULL, "cannot read %s", DOC_PATH);
	if (doc == NULL || gen == NULL)
		goto fail;
	begin = strstr(doc, DOC_BEGIN);
	end = strstr(doc, DOC_END);
	CHECK(begin != NULL && end != NULL && begin < end,
	    "%s lacks the markers", DOC_PATH);
	if (begin == NULL || end == NULL || end < begin)
		goto fail;
	begin = strchr(begin, '\n') + 1;
	mem = fmemopen(gen, DOC_MAX - 1, "w");
	bms_doc(mem);
	fclose(mem);
	if (getenv("POD_UPDATE_GOLDEN") != NULL &&
	    (out = fopen(DOC_PATH, "w")) != NULL) {
		fwrite(doc, 1, (size_t)(begin - doc), out);
		fputs(gen, out);
		fputs(end, out);
		fclose(out);
		printf("rewrote the points list of %s\n", DOC_PATH);
		goto fail;
	}
	CHECK(strlen(gen) == (size_t)(end - begin) &&
	          strncmp(gen, begin, (size_t)(end - begin)) == 0,
	    "%s differs from controllerd/bmsmap.c; run POD_UPDATE_GOLDEN=1 "
	    "bms_test and review",
	    DOC_PATH);
fail:
	free(doc);
	free(gen);
}

static void
test_config(void)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct config *c;
	char err[512];

	c = config_load("data/bms/modbus.conf", err, sizeof(err));
	CHECK(c != NULL, "%s", err);
	if (c == NULL)
		return;
	CHECK(strcmp(c->modbus_listen, "127.0.0.1:1502") == 0 &&
	          c->modbus_max_conns == 4 && c->modbus_max_per_peer == 2 &&
	          c->modbus_reserved == 1 && c->modbus_idle_timeout_s == 30 &&
	          c->modbus_watchdog_s == 20 && c->modbus_ramp_s == 45 &&
	          c->modbus_safe_cap_w == 500e3 && c->modbus_allow.n == 3,
	    "values");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "10.1.2.3", &sin.sin_addr);
	CHECK(config_netlist_match(&c->modbus_allow, (void *)&sin),
	    "10.1.2.3 in 10.1.2.0/24");
	inet_pton(AF_INET, "10.1.3.3", &sin.sin_addr);
	CHECK(!config_netlist_match(&c->modbus_allow, (void *)&sin),
	    "10.1.3.3 not in the list");
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &sin6.sin6_addr);
	CHECK(config_netlist_match(&c->modbus_allow, (void *)&sin6),
	    "v4-mapped loopback");
	inet_pton(AF_INET6, "fd00::7", &sin6.sin6_addr);
	CHECK(config_netlist_match(&c->modbus_allow, (void *)&sin6),
	    "fd00::/120");
	inet_pton(AF_INET6, "fd00::1:7", &sin6.sin6_addr);
	CHECK(!config_netlist_match(&c->modbus_allow, (void *)&sin6),
	    "fd00::1:7 outside fd00::/120");
	config_free(c);

	c = config_load("data/bms/bad_allow.conf", err, sizeof(err));
	CHECK(c == NULL && strstr(err, "bad_allow.conf:3: allow_write: "
	                               "'10.0.0.300' is not an IPv4 or IPv6 "
	                               "address") != NULL,
	    "bad address: %s", err);
	config_free(c);
	c = config_load("data/bms/bad_reserved.conf", err, sizeof(err));
	CHECK(c == NULL && strstr(err, "bad_reserved.conf:4: [modbus] "
	                               "reserved_connections (4) must be less "
	                               "than max_connections (4)") != NULL,
	    "reserve of every slot: %s", err);
	config_free(c);
	c = config_load("data/bms/few_slots.conf", err, sizeof(err));
	CHECK(c != NULL && c->modbus_reserved == 2, "3 slots, 2 reserved: %s",
	    c ? "" : err);
	config_free(c);
	c = config_load(NULL, err, sizeof(err));
	CHECK(c != NULL && c->modbus_reserved == 4 && c->modbus_max_conns == 32,
	    "default: 4 of 32 reserved");
	config_free(c);
	c = config_load("data/bms/bad_prefix.conf", err, sizeof(err));
	CHECK(c == NULL && strstr(err, "'/33' is not a prefix") != NULL,
	    "bad prefix: %s", err);
	config_free(c);
}

int
main(void)
{
	test_encoding();
	test_writes();
	test_fill();
	test_table();
	test_config();
	test_doc();
	return check_summary("bms_test");
}
