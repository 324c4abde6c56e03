/*
 * Unit tests of the Modbus TCP protocol module (core/mbtcp.c), each case a
 * row of a static table: MBAP framing (partial, whole, several, wrong
 * protocol id, lengths out of range); requests on a small map of every
 * function code served, with the exact answer expected, and every way a
 * request is refused (illegal function, address, quantity, value; short
 * and long frames; another unit id; a write from a peer that may not
 * write; a write outside its configured bounds); and the connection-slot
 * decision (caps in all and per address, the slots reserved for BMS
 * addresses, which connection is closed for a BMS's).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "mbtcp.h"

/*
 * Framing cases. Columns: what the case is; the bytes received; how many;
 * the verdict; the frame length on MBTCP_FRAME_OK.
 */
static const struct {
	const char *what;
	uint8_t b[16];
	size_t have;
	enum mbtcp_frame want;
	size_t len;
} frames[] = {
    {"empty", {0}, 0, MBTCP_FRAME_PARTIAL, 0},
    {"half a header", {0, 1, 0, 0, 0}, 5, MBTCP_FRAME_PARTIAL, 0},
    {"header only", {0, 1, 0, 0, 0, 6}, 6, MBTCP_FRAME_PARTIAL, 0},
    {"one byte short", {0, 1, 0, 0, 0, 6, 1, 4, 0, 0, 0}, 11,
        MBTCP_FRAME_PARTIAL, 0},
    {"whole read", {0, 1, 0, 0, 0, 6, 1, 4, 0, 0, 0, 1}, 12, MBTCP_FRAME_OK,
        12},
    {"whole and the next begun", {0, 1, 0, 0, 0, 6, 1, 4, 0, 0, 0, 1, 0, 2}, 14,
        MBTCP_FRAME_OK, 12},
    {"protocol id 1", {0, 1, 0, 1, 0, 6, 1, 4, 0, 0, 0, 1}, 12, MBTCP_FRAME_BAD,
        0},
    {"protocol id 0x100", {0, 1, 1, 0, 0, 6}, 6, MBTCP_FRAME_BAD, 0},
    {"length 0", {0, 1, 0, 0, 0, 0}, 6, MBTCP_FRAME_BAD, 0},
    {"length 1", {0, 1, 0, 0, 0, 1, 1}, 7, MBTCP_FRAME_BAD, 0},
    {"length 2 (unit and function)", {0, 1, 0, 0, 0, 2, 1, 4}, 8,
        MBTCP_FRAME_OK, 8},
    {"length 254", {0, 1, 0, 0, 0, 254}, 6, MBTCP_FRAME_PARTIAL, 0},
    {"length 255", {0, 1, 0, 0, 0, 255}, 6, MBTCP_FRAME_BAD, 0},
    {"length 0x0106", {0, 1, 0, 0, 1, 6}, 6, MBTCP_FRAME_BAD, 0},
};

/* The map the requests run on: unit 1, 2 coils, 11 discrete inputs, 140
 * input registers, 18 holding registers; writable: holding 0 (0-65000),
 * 1 (0-100), 4 (anything), 6 (int16 -100 to 1000, or the marker 0x8000),
 * 7 (0-65000, or the marker 0xFFFF) and both coils. */
static const struct mbtcp_limit limits[] = {
    {MBTCP_HOLDING, 0, 1, 0, 0, 65000, 0, 0xFFFF},
    {MBTCP_HOLDING, 1, 1, 0, 0, 100, 0, 0xFFFF},
    {MBTCP_HOLDING, 4, 1, 0, 0, 65535, 0, 0},
    {MBTCP_HOLDING, 6, 1, 1, -100, 1000, 1, 0x8000},
    {MBTCP_HOLDING, 7, 1, 0, 0, 65000, 1, 0xFFFF},
    {MBTCP_COIL, 0, 2, 0, 0, 1, 0, 0},
};

/*
 * Request cases. Columns: what; the frame from the unit id on (the MBAP
 * header, transaction 0x1234, is added); its length; whether the peer may
 * write; the verdict (0, an exception code, or MBTCP_CLOSE); for a valid
 * one, address and count; the answer from the function code on (for an
 * exception: the function code | 0x80 and the code), and its length.
 */
static const struct {
	const char *what;
	uint8_t pdu[40];
	size_t n;
	int may_write;
	int want;
	int addr, count;
	uint8_t rsp[16];
	size_t rn;
} requests[] = {
    /* every function code served, with its answer */
    {"FC1 read 2 coils", {1, 1, 0, 0, 0, 2}, 6, 0, 0, 0, 2, {1, 1, 0x01}, 3},
    {"FC2 read 11 discrete inputs", {1, 2, 0, 0, 0, 11}, 6, 0, 0, 0, 11,
        {2, 2, 0x49, 0x02}, 4},
    {"FC2 read inputs 3-4", {1, 2, 0, 3, 0, 2}, 6, 0, 0, 3, 2, {2, 1, 0x01}, 3},
    {"FC3 read holding 0-1", {1, 3, 0, 0, 0, 2}, 6, 0, 0, 0, 2,
        {3, 4, 2, 0, 2, 1}, 6},
    {"FC4 read the last input register", {1, 4, 0, 139, 0, 1}, 6, 0, 0, 139, 1,
        {4, 2, 0x01, 0x8B}, 4},
    {"FC5 write coil on", {1, 5, 0, 0, 0xFF, 0}, 6, 1, 0, 0, 1,
        {5, 0, 0, 0xFF, 0}, 5},
    {"FC5 write coil off", {1, 5, 0, 1, 0, 0}, 6, 1, 0, 1, 1, {5, 0, 1, 0, 0},
        5},
    {"FC6 write holding 1", {1, 6, 0, 1, 0, 20}, 6, 1, 0, 1, 1,
        {6, 0, 1, 0, 20}, 5},
    {"FC15 write 2 coils", {1, 15, 0, 0, 0, 2, 1, 3}, 8, 1, 0, 0, 2,
        {15, 0, 0, 0, 2}, 5},
    {"FC16 write holding 6-7", {1, 16, 0, 6, 0, 2, 4, 0, 215, 0x13, 0x88}, 11,
        1, 0, 6, 2, {16, 0, 6, 0, 2}, 5},
    /* unit ids */
    {"unit 0", {0, 3, 0, 0, 0, 1}, 6, 0, 0, 0, 1, {3, 2, 2, 0}, 4},
    {"unit 255", {255, 3, 0, 0, 0, 1}, 6, 0, 0, 0, 1, {3, 2, 2, 0}, 4},
    {"unit 7", {7, 3, 0, 0, 0, 1}, 6, 0, 0x0B, 0, 0, {0x83, 0x0B}, 2},
    /* illegal function */
    {"unknown function 0x2B", {1, 0x2B, 0x0E, 1, 0}, 5, 1, 1, 0, 0, {0xAB, 1},
        2},
    {"report server id (0x11)", {1, 0x11}, 2, 1, 1, 0, 0, {0x91, 1}, 2},
    {"read exception status (0x07)", {1, 7}, 2, 1, 1, 0, 0, {0x87, 1}, 2},
    {"function 0", {1, 0, 0, 0, 0, 1}, 6, 1, MBTCP_CLOSE, 0, 0, {0}, 0},
    {"function 0x84", {1, 0x84, 0, 0, 0, 1}, 6, 1, MBTCP_CLOSE, 0, 0, {0}, 0},
    /* illegal address */
    {"past the last input register", {1, 4, 0, 140, 0, 1}, 6, 0, 2, 0, 0,
        {0x84, 2}, 2},
    {"holding 17-18", {1, 3, 0, 17, 0, 2}, 6, 0, 2, 0, 0, {0x83, 2}, 2},
    {"12 discrete inputs", {1, 2, 0, 0, 0, 12}, 6, 0, 2, 0, 0, {0x82, 2}, 2},
    {"write coil 2", {1, 5, 0, 2, 0xFF, 0}, 6, 1, 2, 0, 0, {0x85, 2}, 2},
    {"write a read-only register", {1, 6, 0, 9, 0, 5}, 6, 1, 2, 0, 0, {0x86, 2},
        2},
    {"FC16 past the writable", {1, 16, 0, 7, 0, 2, 4, 0, 10, 0, 10}, 11, 1, 2,
        0, 0, {0x90, 2}, 2},
    /* illegal quantity */
    {"read 125 registers", {1, 4, 0, 0, 0, 125}, 6, 0, 0, 0, 125, {0}, 0},
    {"read 126 registers", {1, 4, 0, 0, 0, 126}, 6, 0, 3, 0, 0, {0x84, 3}, 2},
    {"read 0 registers", {1, 3, 0, 0, 0, 0}, 6, 0, 3, 0, 0, {0x83, 3}, 2},
    {"read 2001 bits", {1, 1, 0, 0, 0x07, 0xD1}, 6, 0, 3, 0, 0, {0x81, 3}, 2},
    {"write 124 registers", {1, 16, 0, 0, 0, 124, 248}, 7, 1, 3, 0, 0,
        {0x90, 3}, 2},
    {"write 1969 coils", {1, 15, 0, 0, 0x07, 0xB1, 247}, 7, 1, 3, 0, 0,
        {0x8F, 3}, 2},
    /* short and long frames, values malformed */
    {"read with a byte too many", {1, 4, 0, 0, 0, 1, 0}, 7, 0, 3, 0, 0,
        {0x84, 3}, 2},
    {"function only", {1, 4}, 2, 0, 3, 0, 0, {0x84, 3}, 2},
    {"unit only", {1}, 1, 0, MBTCP_CLOSE, 0, 0, {0}, 0},
    {"write single register, short", {1, 6, 0, 1, 0}, 5, 1, 3, 0, 0, {0x86, 3},
        2},
    {"write 2 registers, byte count 3", {1, 16, 0, 6, 0, 2, 3, 0, 215, 3}, 10,
        1, 3, 0, 0, {0x90, 3}, 2},
    {"write 2 registers, a byte short", {1, 16, 0, 6, 0, 2, 4, 0, 215, 3}, 10,
        1, 3, 0, 0, {0x90, 3}, 2},
    {"write 2 coils, 2 bytes", {1, 15, 0, 0, 0, 2, 2, 3, 0}, 9, 1, 3, 0, 0,
        {0x8F, 3}, 2},
    {"write coil 0x1234", {1, 5, 0, 0, 0x12, 0x34}, 6, 1, 3, 0, 0, {0x85, 3},
        2},
    /* permission: before the bounds */
    {"write from a reader", {1, 6, 0, 1, 0, 20}, 6, 0, 1, 0, 0, {0x86, 1}, 2},
    {"out of bounds from a reader", {1, 6, 0, 1, 0, 101}, 6, 0, 1, 0, 0,
        {0x86, 1}, 2},
    {"coil from a reader", {1, 5, 0, 0, 0xFF, 0}, 6, 0, 1, 0, 0, {0x85, 1}, 2},
    /* writes out of the configured bounds */
    {"holding 1 = 100", {1, 6, 0, 1, 0, 100}, 6, 1, 0, 1, 1, {6, 0, 1, 0, 100},
        5},
    {"holding 1 = 101", {1, 6, 0, 1, 0, 101}, 6, 1, 3, 0, 0, {0x86, 3}, 2},
    {"holding 0 = 65001", {1, 6, 0, 0, 0xFD, 0xE9}, 6, 1, 3, 0, 0, {0x86, 3},
        2},
    {"holding 0 = the marker: no clearing", {1, 6, 0, 0, 0xFF, 0xFF}, 6, 1, 3,
        0, 0, {0x86, 3}, 2},
    {"holding 4 = 0xFFFF", {1, 6, 0, 4, 0xFF, 0xFF}, 6, 1, 0, 4, 1,
        {6, 0, 4, 0xFF, 0xFF}, 5},
    {"holding 6 = -100", {1, 6, 0, 6, 0xFF, 0x9C}, 6, 1, 0, 6, 1,
        {6, 0, 6, 0xFF, 0x9C}, 5},
    {"holding 6 = -101", {1, 6, 0, 6, 0xFF, 0x9B}, 6, 1, 3, 0, 0, {0x86, 3}, 2},
    {"holding 6 = 1001", {1, 6, 0, 6, 0x03, 0xE9}, 6, 1, 3, 0, 0, {0x86, 3}, 2},
    {"holding 6 = the marker clears", {1, 6, 0, 6, 0x80, 0}, 6, 1, 0, 6, 1,
        {6, 0, 6, 0x80, 0}, 5},
    {"FC16, the second out of bounds",
        {1, 16, 0, 6, 0, 2, 4, 0, 215, 0xFD, 0xE9}, 11, 1, 3, 0, 0, {0x90, 3},
        2},
    {"FC16 both markers", {1, 16, 0, 6, 0, 2, 4, 0x80, 0, 0xFF, 0xFF}, 11, 1, 0,
        6, 2, {16, 0, 6, 0, 2}, 5},
};

/* The map's values: input i holds 0x100 + i, holding i 0x200 + i, coil 0
 * is set, discrete input i is set when i is a multiple of 3. */
static uint8_t coils[2] = {1, 0}, discrete[11];
static uint16_t input[140], holding[18];

static const struct mbtcp_map map = {1, {2, 11, 140, 18}, coils, discrete,
    input, holding, limits, sizeof(limits) / sizeof(limits[0])};

static void
test_frames(void)
{
	size_t i, len;

	for (i = 0; i < NELEM(frames); i++) {
		enum mbtcp_frame got;

		len = 0;
		got = mbtcp_frame(frames[i].b, frames[i].have, &len);
		CHECK(got == frames[i].want, "%s: got %d", frames[i].what, got);
		if (got == MBTCP_FRAME_OK)
			CHECK(len == frames[i].len, "%s: length %zu",
			    frames[i].what, len);
	}
}

static void
test_requests(void)
{
	struct mbtcp_request rq;
	uint8_t frame[MBTCP_FRAME_MAX], out[MBTCP_FRAME_MAX];
	size_t i, n, got_n;
	int got;

	for (i = 0; i < NELEM(input); i++)
		input[i] = (uint16_t)(0x100 + i);
	for (i = 0; i < NELEM(holding); i++)
		holding[i] = (uint16_t)(0x200 + i);
	for (i = 0; i < NELEM(discrete); i++)
		discrete[i] = i % 3 == 0;
	for (i = 0; i < NELEM(requests); i++) {
		const char *what = requests[i].what;

		n = requests[i].n;
		frame[0] = 0x12;
		frame[1] = 0x34;
		frame[2] = frame[3] = 0;
		frame[4] = 0;
		frame[5] = (uint8_t)n;
		memcpy(frame + 6, requests[i].pdu, n);
		got = mbtcp_request(
		    frame, 6 + n, &map, requests[i].may_write, &rq);
		CHECK(got == requests[i].want, "%s: got %d (%s), want %d", what,
		    got, mbtcp_strerror(got), requests[i].want);
		if (got != requests[i].want)
			continue;
		if (got == MBTCP_OK)
			CHECK(rq.addr == requests[i].addr &&
			          rq.count == requests[i].count,
			    "%s: %d+%d", what, rq.addr, rq.count);
		CHECK(rq.refused == (requests[i].want == 1 && rq.write &&
		                        !requests[i].may_write),
		    "%s: refused %d", what, rq.refused);
		if (got == MBTCP_CLOSE)
			continue;
		got_n = got == MBTCP_OK
		            ? mbtcp_reply(frame, &rq, &map, out, sizeof(out))
		            : mbtcp_exception(frame, got, out, sizeof(out));
		if (requests[i].rn ==
		    0) /* the answer is not the case's point */
			continue;
		CHECK(got_n == 7 + requests[i].rn, "%s: answer of %zu bytes",
		    what, got_n);
		if (got_n != 7 + requests[i].rn)
			continue;
		CHECK(out[0] == 0x12 && out[1] == 0x34 && out[2] == 0 &&
		          out[3] == 0 &&
		          (size_t)(out[4] << 8 | out[5]) == got_n - 6 &&
		          out[6] == requests[i].pdu[0],
		    "%s: MBAP %02x%02x %02x%02x %02x%02x %02x", what, out[0],
		    out[1], out[2], out[3], out[4], out[5], out[6]);
		CHECK(memcmp(out + 7, requests[i].rsp, requests[i].rn) == 0,
		    "%s: answer %02x %02x %02x %02x", what, out[7], out[8],
		    out[9], out[10]);
	}
}

/* Values of writes, and answers that do not fit. */
static void
test_values(void)
{
	struct mbtcp_request rq;
	uint8_t frame[32], out[MBTCP_FRAME_MAX];

	memcpy(frame, "\0\1\0\0\0\x0b\1\x10\0\6\0\2\4\0\xd7\x03\x84", 17);
	CHECK(mbtcp_request(frame, 17, &map, 1, &rq) == 0 &&
	          mbtcp_value(&rq, 0) == 215 && mbtcp_value(&rq, 1) == 900,
	    "FC16 values");
	memcpy(frame, "\0\1\0\0\0\6\1\5\0\0\xff\0", 12);
	CHECK(mbtcp_request(frame, 12, &map, 1, &rq) == 0 &&
	          mbtcp_value(&rq, 0) == 1,
	    "FC5 on reads 1");
	memcpy(frame, "\0\1\0\0\0\x08\1\x0f\0\0\0\2\1\2", 14);
	CHECK(mbtcp_request(frame, 14, &map, 1, &rq) == 0 &&
	          mbtcp_value(&rq, 0) == 0 && mbtcp_value(&rq, 1) == 1,
	    "FC15 bits, least significant first");
	memcpy(frame, "\0\1\0\0\0\6\1\4\0\0\0\x7d", 12);
	CHECK(mbtcp_request(frame, 12, &map, 0, &rq) == 0 &&
	          mbtcp_reply(frame, &rq, &map, out, sizeof(out)) == 259 &&
	          mbtcp_reply(frame, &rq, &map, out, 258) == 0,
	    "125 registers: 259 bytes, not in 258");
	CHECK(mbtcp_exception(frame, 0, out, sizeof(out)) == 0 &&
	          mbtcp_exception(frame, 0x0C, out, sizeof(out)) == 0 &&
	          mbtcp_exception(frame, 2, out, 8) == 0,
	    "not an exception, or no room");
}

/*
 * Connection-slot cases, with 4 slots, 2 per address, 1 reserved for BMS
 * addresses unless the row says otherwise. Columns: what; the caps; whether
 * the new connection is from a BMS address; the connections held (same
 * address as the new one, from a BMS address, last byte at ms); how many;
 * the decision (MBTCP_ADMIT, MBTCP_REFUSE, or the index closed).
 */
static const struct {
	const char *what;
	struct mbtcp_caps caps;
	int bms;
	struct mbtcp_held held[6];
	int n;
	int want;
} slots[] = {
    {"first reader", {4, 2, 1}, 0, {{0}}, 0, MBTCP_ADMIT},
    {"first BMS", {4, 2, 1}, 1, {{0}}, 0, MBTCP_ADMIT},
    {"reader past its per-address cap", {4, 2, 1}, 0, {{1, 0, 10}, {1, 0, 20}},
        2, MBTCP_REFUSE},
    {"readers hold every slot not reserved", {4, 2, 1}, 0,
        {{0, 0, 10}, {0, 0, 20}, {0, 0, 30}}, 3, MBTCP_REFUSE},
    {"a reader beside a BMS", {4, 2, 1}, 0,
        {{0, 0, 10}, {0, 1, 20}, {0, 0, 30}}, 3, MBTCP_ADMIT},
    {"a reader when all are taken", {4, 2, 1}, 0,
        {{0, 1, 10}, {0, 1, 20}, {0, 0, 30}, {0, 0, 40}}, 4, MBTCP_REFUSE},
    {"BMS in the reserved slot", {4, 2, 1}, 1,
        {{0, 0, 10}, {0, 0, 20}, {0, 0, 30}}, 3, MBTCP_ADMIT},
    {"BMS when all are taken: the idlest reader", {4, 2, 1}, 1,
        {{0, 0, 30}, {1, 1, 5}, {0, 0, 10}, {0, 0, 20}}, 4, 2},
    {"idle ties: the first held", {4, 2, 1}, 1,
        {{1, 1, 5}, {0, 0, 10}, {0, 0, 10}, {0, 0, 10}}, 4, 1},
    {"BMS past its per-address cap: its own idlest", {4, 2, 1}, 1,
        {{1, 1, 30}, {0, 0, 5}, {1, 1, 20}}, 3, 2},
    {"BMS, slots held by BMSs: its own idlest", {4, 2, 1}, 1,
        {{0, 1, 5}, {1, 1, 30}, {0, 1, 10}, {0, 1, 15}}, 4, 1},
    {"BMS, slots held by other BMSs", {4, 2, 1}, 1,
        {{0, 1, 5}, {0, 1, 30}, {0, 1, 10}, {0, 1, 15}}, 4, MBTCP_REFUSE},
    {"nothing reserved: readers take every slot", {4, 2, 0}, 0,
        {{0, 0, 10}, {0, 0, 20}, {0, 0, 30}}, 3, MBTCP_ADMIT},
    {"one slot per address, BMS again", {4, 1, 1}, 1, {{1, 1, 10}}, 1, 0},
};

static void
test_slots(void)
{
	size_t i;
	int got;

	for (i = 0; i < NELEM(slots); i++) {
		got = mbtcp_admit(
		    &slots[i].caps, slots[i].bms, slots[i].held, slots[i].n);
		CHECK(got == slots[i].want, "%s: got %d, want %d",
		    slots[i].what, got, slots[i].want);
	}
}

int
main(void)
{
	test_frames();
	test_requests();
	test_values();
	test_slots();
	return check_summary("mbtcp_test");
}
