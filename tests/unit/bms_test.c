/*
 * Unit tests of the BMS Modbus server's pure parts (controllerd/bms.c,
 * bmsmap.c): MBAP framing and request checks, each case a row of a static
 * table; the encoding of values into registers (scaling, saturation,
 * unavailable markers, word order); write checks; the register table's own
 * consistency; the [modbus] configuration; and docs/modbus.md's points
 * list, which must be exactly what the table prints. Run with
 * POD_UPDATE_GOLDEN=1 to rewrite that list, then review the diff.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bms.h"
#include "bmsmap.h"
#include "check.h"
#include "config.h"

#define DOC_PATH  "../../docs/modbus.md"
#define DOC_BEGIN "<!-- BEGIN POINTS"
#define DOC_END   "<!-- END POINTS -->"
#define DOC_MAX   (256 * 1024)

/*
 * Framing cases. Columns: what the case is; the bytes received; how many;
 * the verdict; the frame length on BMS_FRAME_OK.
 */
static const struct {
	const char *what;
	uint8_t b[16];
	size_t have;
	enum bms_frame want;
	size_t len;
} frames[] = {
    {"empty", {0}, 0, BMS_FRAME_PARTIAL, 0},
    {"half a header", {0, 1, 0, 0, 0}, 5, BMS_FRAME_PARTIAL, 0},
    {"header only", {0, 1, 0, 0, 0, 6}, 6, BMS_FRAME_PARTIAL, 0},
    {"one byte short", {0, 1, 0, 0, 0, 6, 1, 4, 0, 0, 0}, 11, BMS_FRAME_PARTIAL,
        0},
    {"whole read", {0, 1, 0, 0, 0, 6, 1, 4, 0, 0, 0, 1}, 12, BMS_FRAME_OK, 12},
    {"whole and the next begun", {0, 1, 0, 0, 0, 6, 1, 4, 0, 0, 0, 1, 0, 2}, 14,
        BMS_FRAME_OK, 12},
    {"protocol id 1", {0, 1, 0, 1, 0, 6, 1, 4, 0, 0, 0, 1}, 12, BMS_FRAME_BAD,
        0},
    {"protocol id 0x100", {0, 1, 1, 0, 0, 6}, 6, BMS_FRAME_BAD, 0},
    {"length 0", {0, 1, 0, 0, 0, 0}, 6, BMS_FRAME_BAD, 0},
    {"length 1", {0, 1, 0, 0, 0, 1, 1}, 7, BMS_FRAME_BAD, 0},
    {"length 2 (unit and function)", {0, 1, 0, 0, 0, 2, 1, 4}, 8, BMS_FRAME_OK,
        8},
    {"length 254", {0, 1, 0, 0, 0, 254}, 6, BMS_FRAME_PARTIAL, 0},
    {"length 255", {0, 1, 0, 0, 0, 255}, 6, BMS_FRAME_BAD, 0},
    {"length 0x0106", {0, 1, 0, 0, 1, 6}, 6, BMS_FRAME_BAD, 0},
};

/*
 * Request cases on a map of 2 pods. Columns: what; the frame from the
 * unit id on (the MBAP header is added); its length; the answer (0 valid,
 * an exception code, -1 close); for valid ones, address and count.
 */
static const struct {
	const char *what;
	uint8_t pdu[40];
	size_t n;
	int want;
	int addr, count;
} requests[] = {
    {"read input 0-26", {1, 4, 0, 0, 0, 27}, 6, 0, 0, 27},
    {"read holding 0-17", {1, 3, 0, 0, 0, 18}, 6, 0, 0, 18},
    {"unit 0", {0, 3, 0, 0, 0, 1}, 6, 0, 0, 1},
    {"unit 255", {255, 3, 0, 0, 0, 1}, 6, 0, 0, 1},
    {"unit 7", {7, 3, 0, 0, 0, 1}, 6, 0x0B, 0, 0},
    {"read 125 registers", {1, 4, 0, 0, 0, 125}, 6, 0, 0, 125},
    {"read 126 registers", {1, 4, 0, 0, 0, 126}, 6, 3, 0, 0},
    {"read 0 registers", {1, 3, 0, 0, 0, 0}, 6, 3, 0, 0},
    {"last pod register", {1, 4, 0, 139, 0, 1}, 6, 0, 139, 1},
    {"past the last pod", {1, 4, 0, 140, 0, 1}, 6, 2, 0, 0},
    {"holding 17-18", {1, 3, 0, 17, 0, 2}, 6, 2, 0, 0},
    {"read 11 discrete inputs", {1, 2, 0, 0, 0, 11}, 6, 0, 0, 11},
    {"read 12 discrete inputs", {1, 2, 0, 0, 0, 12}, 6, 2, 0, 0},
    {"read 2001 bits", {1, 1, 0, 0, 0x07, 0xD1}, 6, 3, 0, 0},
    {"read with a byte too many", {1, 4, 0, 0, 0, 1, 0}, 7, 3, 0, 0},
    {"function only", {1, 4}, 2, 3, 0, 0},
    {"unknown function 0x2B", {1, 0x2B, 0x0E, 1, 0}, 5, 1, 0, 0},
    {"report server id (0x11)", {1, 0x11}, 2, 1, 0, 0},
    {"read exception status (0x07)", {1, 7}, 2, 1, 0, 0},
    {"function 0", {1, 0, 0, 0, 0, 1}, 6, -1, 0, 0},
    {"function 0x84", {1, 0x84, 0, 0, 0, 1}, 6, -1, 0, 0},
    {"write single register", {1, 6, 0, 1, 0, 20}, 6, 0, 1, 1},
    {"write single register, short", {1, 6, 0, 1, 0}, 5, 3, 0, 0},
    {"write coil on", {1, 5, 0, 0, 0xFF, 0}, 6, 0, 0, 1},
    {"write coil off", {1, 5, 0, 1, 0, 0}, 6, 0, 1, 1},
    {"write coil 0x1234", {1, 5, 0, 0, 0x12, 0x34}, 6, 3, 0, 0},
    {"write coil 2", {1, 5, 0, 2, 0xFF, 0}, 6, 2, 0, 0},
    {"write 2 registers", {1, 16, 0, 6, 0, 2, 4, 0, 215, 3, 132}, 11, 0, 6, 2},
    {"write 2 registers, byte count 3", {1, 16, 0, 6, 0, 2, 3, 0, 215, 3}, 10,
        3, 0, 0},
    {"write 2 registers, a byte short", {1, 16, 0, 6, 0, 2, 4, 0, 215, 3}, 10,
        3, 0, 0},
    {"write 124 registers", {1, 16, 0, 0, 0, 124, 248}, 7, 3, 0, 0},
    {"write 2 coils", {1, 15, 0, 0, 0, 2, 1, 3}, 8, 0, 0, 2},
    {"write 2 coils, 2 bytes", {1, 15, 0, 0, 0, 2, 2, 3, 0}, 9, 3, 0, 0},
    {"write 1969 coils", {1, 15, 0, 0, 0x07, 0xB1, 247}, 7, 3, 0, 0},
};

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
 * Write checks of holding registers. Columns: register, raw value, the
 * answer (0 accepted, 2 not writable, 3 out of range).
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
test_frames(void)
{
	size_t i, len;

	for (i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		enum bms_frame got;

		len = 0;
		got = bms_frame_check(frames[i].b, frames[i].have, &len);
		CHECK(got == frames[i].want, "%s: got %d", frames[i].what, got);
		if (got == BMS_FRAME_OK)
			CHECK(len == frames[i].len, "%s: length %zu",
			    frames[i].what, len);
	}
}

static void
test_requests(void)
{
	struct bms_request rq;
	uint8_t frame[BMS_FRAME_MAX];
	size_t i, n;
	int got;

	for (i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
		n = requests[i].n;
		frame[0] = 0x12;
		frame[1] = 0x34;
		frame[2] = frame[3] = 0;
		frame[4] = 0;
		frame[5] = (uint8_t)n;
		memcpy(frame + 6, requests[i].pdu, n);
		got = bms_request_parse(frame, 6 + n, 2, &rq);
		CHECK(got == requests[i].want, "%s: got %d, want %d",
		    requests[i].what, got, requests[i].want);
		if (got == 0 && requests[i].want == 0)
			CHECK(rq.addr == requests[i].addr &&
			          rq.count == requests[i].count,
			    "%s: %d+%d", requests[i].what, rq.addr, rq.count);
	}
	/* values of writes */
	memcpy(frame, "\0\1\0\0\0\x0b\1\x10\0\6\0\2\4\0\xd7\x03\x84", 17);
	CHECK(bms_request_parse(frame, 17, 1, &rq) == 0 &&
	          bms_request_value(&rq, 0) == 215 &&
	          bms_request_value(&rq, 1) == 900,
	    "FC16 values");
	memcpy(frame, "\0\1\0\0\0\6\1\5\0\0\xff\0", 12);
	CHECK(bms_request_parse(frame, 12, 1, &rq) == 0 &&
	          bms_request_value(&rq, 0) == 1,
	    "FC5 on reads 1");
	memcpy(frame, "\0\1\0\0\0\x08\1\x0f\0\0\0\2\1\2", 14);
	CHECK(bms_request_parse(frame, 14, 1, &rq) == 0 &&
	          bms_request_value(&rq, 0) == 0 &&
	          bms_request_value(&rq, 1) == 1,
	    "FC15 bits, least significant first");
}

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
	const struct bms_point *p;
	size_t i;
	int pod, got;

	for (i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		p = bms_point_at(BMS_HOLDING_REG, writes[i].reg, 1, &pod);
		got = bms_check_write(p, writes[i].raw);
		CHECK(got == writes[i].want, "holding %d = %u: got %d",
		    writes[i].reg, writes[i].raw, got);
	}
	CHECK(bms_check_write(NULL, 0) == 2, "no point");
	p = bms_point_at(BMS_COIL, 0, 1, &pod);
	CHECK(p != NULL && bms_check_write(p, 1) == 0, "coil 0");
	p = bms_point_at(BMS_INPUT, 5, 1, &pod);
	CHECK(p != NULL && bms_check_write(p, 1) == 2, "input register");
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
	          c->modbus_idle_timeout_s == 30 &&
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
	c = config_load("data/bms/bad_prefix.conf", err, sizeof(err));
	CHECK(c == NULL && strstr(err, "'/33' is not a prefix") != NULL,
	    "bad prefix: %s", err);
	config_free(c);
}

int
main(void)
{
	test_frames();
	test_requests();
	test_encoding();
	test_writes();
	test_fill();
	test_table();
	test_config();
	test_doc();
	return check_summary("bms_test");
}
