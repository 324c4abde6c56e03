/*
 * The Modbus TCP server's protocol (see mbtcp.h).
 *
 * A request is checked completely before anything acts on it, in the
 * order a client sees in its answers: the frame's shape and unit id, the
 * function code, the length and quantity, the address range, then for a
 * write the permission and every value, so that a write either applies
 * whole or not at all. Answers are built as libmodbus 3.1.6's
 * modbus_reply() built them (the transaction id and unit id echoed,
 * protocol id 0, bits least significant first, a write's echo), so clients
 * saw no change when this replaced it.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mbtcp.h"

#define MBAP_LEN 7 /* transaction (2), protocol (2), length (2), unit */

/*
 * Function codes served. Columns: code; table; whether it writes; whether
 * it carries a byte count and values (15, 16); the largest quantity.
 */
static const struct fcode {
	int fc;
	enum mbtcp_table table;
	int write;
	int multi;
	int max;
} fcodes[] = {
    {1, MBTCP_COIL, 0, 0, MBTCP_MAX_READ_BITS},
    {2, MBTCP_DISCRETE_INPUT, 0, 0, MBTCP_MAX_READ_BITS},
    {3, MBTCP_HOLDING, 0, 0, MBTCP_MAX_READ_REGS},
    {4, MBTCP_INPUT, 0, 0, MBTCP_MAX_READ_REGS},
    {5, MBTCP_COIL, 1, 0, 1},
    {6, MBTCP_HOLDING, 1, 0, 1},
    {15, MBTCP_COIL, 1, 1, MBTCP_MAX_WRITE_BITS},
    {16, MBTCP_HOLDING, 1, 1, MBTCP_MAX_WRITE_REGS},
};

enum mbtcp_frame
mbtcp_frame(const uint8_t *buf, size_t have, size_t *len)
{
	unsigned proto, mlen;

	if (have < 6)
		return MBTCP_FRAME_PARTIAL;
	proto = (unsigned)buf[2] << 8 | buf[3];
	mlen = (unsigned)buf[4] << 8 | buf[5];
	if (proto != 0 || mlen < 2 || mlen > 254)
		return MBTCP_FRAME_BAD;
	if (have < 6 + (size_t)mlen)
		return MBTCP_FRAME_PARTIAL;
	*len = 6 + mlen;
	return MBTCP_FRAME_OK;
}

static const struct fcode *
fcode_of(int fc)
{
	size_t i;

	for (i = 0; i < sizeof(fcodes) / sizeof(fcodes[0]); i++)
		if (fcodes[i].fc == fc)
			return &fcodes[i];
	return NULL;
}

/* The frame's shape: 0 with rq filled, an exception, or MBTCP_CLOSE. */
static int
parse(const uint8_t *frame, size_t len, const struct mbtcp_map *map,
    struct mbtcp_request *rq)
{
	const uint8_t *pdu = frame + MBAP_LEN;
	size_t pdulen;
	const struct fcode *f;
	unsigned value, bytes;

	memset(rq, 0, sizeof(*rq));
	if (len < MBAP_LEN + 1 || len > MBTCP_FRAME_MAX)
		return MBTCP_CLOSE;
	pdulen = len - MBAP_LEN;
	rq->unit = frame[6];
	rq->fc = pdu[0];
	if (rq->fc == 0 || rq->fc >= 0x80)
		return MBTCP_CLOSE;
	if (rq->unit != 0 && rq->unit != map->unit && rq->unit != 255)
		return MBTCP_GATEWAY_TARGET;
	if ((f = fcode_of(rq->fc)) == NULL)
		return MBTCP_ILLEGAL_FUNCTION;
	rq->table = f->table;
	rq->write = f->write;
	if (pdulen < 5 || (!f->multi && pdulen != 5))
		return MBTCP_ILLEGAL_VALUE;
	rq->addr = pdu[1] << 8 | pdu[2];
	value = (unsigned)pdu[3] << 8 | pdu[4];
	if (f->write && !f->multi) {
		rq->count = 1;
		rq->data = pdu + 3;
		if (rq->fc == 5 && value != 0xFF00 && value != 0)
			return MBTCP_ILLEGAL_VALUE;
	} else {
		rq->count = (int)value;
		if (rq->count < 1 || rq->count > f->max)
			return MBTCP_ILLEGAL_VALUE;
	}
	if (f->multi) {
		bytes = f->table == MBTCP_COIL ? (unsigned)(rq->count + 7) / 8
		                               : (unsigned)rq->count * 2;
		if (pdulen < 6 || pdu[5] != bytes || pdulen != 6 + bytes)
			return MBTCP_ILLEGAL_VALUE;
		rq->data = pdu + 6;
	}
	if (rq->addr + rq->count > map->size[f->table])
		return MBTCP_ILLEGAL_ADDRESS;
	return MBTCP_OK;
}

/* The range holding address addr of table t, or NULL. */
static const struct mbtcp_limit *
limit_at(const struct mbtcp_map *map, enum mbtcp_table t, int addr)
{
	size_t i;

	for (i = 0; i < map->nlimits; i++) {
		const struct mbtcp_limit *l = &map->limits[i];

		if (l->table == t && addr >= l->addr && addr < l->addr + l->n)
			return l;
	}
	return NULL;
}

/* Every value of a write before any applies: 0, 02 or 03. */
static int
check_values(const struct mbtcp_map *map, const struct mbtcp_request *rq)
{
	const struct mbtcp_limit *l;
	uint16_t raw;
	int32_t v;
	int i;

	for (i = 0; i < rq->count; i++) {
		if ((l = limit_at(map, rq->table, rq->addr + i)) == NULL)
			return MBTCP_ILLEGAL_ADDRESS;
		raw = mbtcp_value(rq, i);
		if (l->marker_ok && raw == l->marker)
			continue;
		v = l->is_signed ? (int16_t)raw : (int32_t)raw;
		if (v < l->lo || v > l->hi)
			return MBTCP_ILLEGAL_VALUE;
	}
	return MBTCP_OK;
}

int
mbtcp_request(const uint8_t *frame, size_t len, const struct mbtcp_map *map,
    int may_write, struct mbtcp_request *rq)
{
	int exc;

	if ((exc = parse(frame, len, map, rq)) != MBTCP_OK || !rq->write)
		return exc;
	if (!may_write) {
		rq->refused = 1;
		return MBTCP_ILLEGAL_FUNCTION;
	}
	return check_values(map, rq);
}

uint16_t
mbtcp_value(const struct mbtcp_request *rq, int i)
{
	if (rq->fc == 5)
		return rq->data[0] == 0xFF;
	if (rq->fc == 15)
		return (rq->data[i / 8] >> (i % 8)) & 1;
	return (uint16_t)(rq->data[2 * i] << 8 | rq->data[2 * i + 1]);
}

/* The MBAP header and function code of an answer to frame; its length
 * field is set by finish(). */
static size_t
head(const uint8_t *frame, int fc, uint8_t *out)
{
	out[0] = frame[0];
	out[1] = frame[1];
	out[2] = out[3] = 0;
	out[6] = frame[6];
	out[7] = (uint8_t)fc;
	return MBAP_LEN + 1;
}

static size_t
finish(uint8_t *out, size_t n)
{
	out[4] = (uint8_t)((n - 6) >> 8);
	out[5] = (uint8_t)((n - 6) & 0xFF);
	return n;
}

size_t
mbtcp_reply(const uint8_t *frame, const struct mbtcp_request *rq,
    const struct mbtcp_map *map, uint8_t *out, size_t size)
{
	const uint8_t *bits =
	    rq->table == MBTCP_COIL ? map->coils : map->discrete;
	const uint16_t *regs =
	    rq->table == MBTCP_INPUT ? map->input : map->holding;
	size_t n, need;
	int i;

	if (rq->fc == 5 || rq->fc == 6) { /* the request, echoed */
		need = MBAP_LEN + 5;
		if (size < need)
			return 0;
		memcpy(out, frame, need);
		return finish(out, need);
	}
	if (rq->write) /* 15, 16: address and quantity */
		need = MBAP_LEN + 5;
	else if (rq->table == MBTCP_COIL || rq->table == MBTCP_DISCRETE_INPUT)
		need = MBAP_LEN + 2 + (size_t)(rq->count + 7) / 8;
	else
		need = MBAP_LEN + 2 + 2 * (size_t)rq->count;
	if (size < need)
		return 0;
	n = head(frame, rq->fc, out);
	if (rq->write) {
		memcpy(out + n, frame + MBAP_LEN + 1, 4);
		return finish(out, n + 4);
	}
	if (rq->table == MBTCP_COIL || rq->table == MBTCP_DISCRETE_INPUT) {
		out[n++] = (uint8_t)((rq->count + 7) / 8);
		memset(out + n, 0, (size_t)(rq->count + 7) / 8);
		for (i = 0; i < rq->count; i++)
			if (bits[rq->addr + i])
				out[n + i / 8] |= (uint8_t)(1 << (i % 8));
		return finish(out, n + (size_t)(rq->count + 7) / 8);
	}
	out[n++] = (uint8_t)(2 * rq->count);
	for (i = 0; i < rq->count; i++) {
		out[n++] = (uint8_t)(regs[rq->addr + i] >> 8);
		out[n++] = (uint8_t)(regs[rq->addr + i] & 0xFF);
	}
	return finish(out, n);
}

size_t
mbtcp_exception(const uint8_t *frame, int exc, uint8_t *out, size_t size)
{
	size_t n;

	if (size < MBAP_LEN + 2 || exc < 1 || exc > MBTCP_GATEWAY_TARGET)
		return 0;
	n = head(frame, frame[MBAP_LEN] | 0x80, out);
	out[n++] = (uint8_t)exc;
	return finish(out, n);
}

const char *
mbtcp_strerror(int exc)
{
	switch (exc) {
	case MBTCP_CLOSE:
		return "not answered: connection closed";
	case MBTCP_OK:
		return "ok";
	case MBTCP_ILLEGAL_FUNCTION:
		return "illegal function";
	case MBTCP_ILLEGAL_ADDRESS:
		return "illegal data address";
	case MBTCP_ILLEGAL_VALUE:
		return "illegal data value";
	case MBTCP_SERVER_FAILURE:
		return "server device failure";
	case MBTCP_GATEWAY_TARGET:
		return "gateway target device failed to respond";
	}
	return "unknown exception";
}

/* The idlest of held that match (bms, same peer as wanted; -1 either). */
static int
idlest(const struct mbtcp_held *held, int n, int bms, int same)
{
	int i, best = -1;

	for (i = 0; i < n; i++) {
		if ((bms != -1 && held[i].bms != bms) ||
		    (same != -1 && held[i].same_peer != same))
			continue;
		if (best == -1 || held[i].last_ms < held[best].last_ms)
			best = i;
	}
	return best;
}

int
mbtcp_admit(const struct mbtcp_caps *caps, int bms,
    const struct mbtcp_held *held, int n)
{
	int i, same = 0, others = 0, victim;

	for (i = 0; i < n; i++) {
		same += held[i].same_peer;
		others += !held[i].bms;
	}
	if (!bms) {
		if (same >= caps->max_per_peer || n >= caps->max_conns ||
		    others >= caps->max_conns - caps->reserved)
			return MBTCP_REFUSE;
		return MBTCP_ADMIT;
	}
	if (same >= caps->max_per_peer)
		return idlest(held, n, 1, 1);
	if (n < caps->max_conns)
		return MBTCP_ADMIT;
	if ((victim = idlest(held, n, 0, 0)) != -1 ||
	    (victim = idlest(held, n, -1, 1)) != -1)
		return victim;
	return MBTCP_REFUSE;
}
