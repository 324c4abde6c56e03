/*
 * The Modbus TCP server's protocol, pure: cutting MBAP frames out of the
 * bytes a connection received, checking a request completely (unit id,
 * function code, exact length, quantity, address range, coil values,
 * permission and the writable ranges), building the answer or the
 * exception, and deciding which connection a new one may take the slot
 * of. The tables it serves and their writable ranges are plain data given
 * by the caller (struct mbtcp_map); it reads no socket, no clock, and logs
 * nothing, so the unit test drives it with byte strings and the BMS server
 * (controllerd/bms.c) only moves bytes and applies writes.
 *
 * Named mbtcp, not modbus: libmodbus owns the modbus_ names and the
 * <modbus.h> header, and the CDU plugin links it.
 */
#ifndef CORE_MBTCP_H
#define CORE_MBTCP_H

#include <stddef.h>
#include <stdint.h>

#define MBTCP_FRAME_MAX 260 /* MBAP header (7) + PDU (253) */

/* Quantities the protocol allows in one request. */
#define MBTCP_MAX_READ_BITS  2000
#define MBTCP_MAX_WRITE_BITS 1968
#define MBTCP_MAX_READ_REGS  125
#define MBTCP_MAX_WRITE_REGS 123

/* The four Modbus tables, in the order of their reference prefixes. */
enum mbtcp_table {
	MBTCP_COIL,
	MBTCP_DISCRETE_INPUT,
	MBTCP_INPUT,
	MBTCP_HOLDING,
	MBTCP_NTABLES
};

/* What a request is answered with: 0 the answer, an exception code, or
 * MBTCP_CLOSE (not worth an answer: close the connection). */
enum mbtcp_exc {
	MBTCP_CLOSE = -1,
	MBTCP_OK = 0,
	MBTCP_ILLEGAL_FUNCTION = 0x01,
	MBTCP_ILLEGAL_ADDRESS = 0x02,
	MBTCP_ILLEGAL_VALUE = 0x03,
	MBTCP_SERVER_FAILURE = 0x04,
	MBTCP_GATEWAY_TARGET = 0x0B /* no answer from that unit id */
};

enum mbtcp_frame {
	MBTCP_FRAME_PARTIAL, /* need more bytes */
	MBTCP_FRAME_OK,      /* a whole frame of *len bytes is there */
	MBTCP_FRAME_BAD      /* protocol id not 0 or length not 2-254: close */
};

/*
 * A writable range: `n` addresses from `addr` of `table` take raw values
 * from lo to hi (as int16 when is_signed; a coil's value is 0 or 1), and
 * the marker as well when marker_ok (it clears the value). Addresses in no
 * range are not writable.
 */
struct mbtcp_limit {
	enum mbtcp_table table;
	int addr, n;
	int is_signed;
	int32_t lo, hi; /* raw register values */
	int marker_ok;
	uint16_t marker;
};

/* What the server serves: its unit id (0 and 255 are answered too), the
 * size of each table from address 0, the values (borrowed: coils and
 * discrete inputs one byte per bit, 0 or 1) and the writable ranges. */
struct mbtcp_map {
	int unit;
	int size[MBTCP_NTABLES];
	const uint8_t *coils, *discrete;
	const uint16_t *input, *holding;
	const struct mbtcp_limit *limits;
	size_t nlimits;
};

/* A request that passed mbtcp_request(), or as far as it got. */
struct mbtcp_request {
	int unit; /* as sent */
	int fc;   /* function code */
	enum mbtcp_table table;
	int write;           /* FC 5, 6, 15, 16 */
	int refused;         /* a write from a peer that may not write */
	int addr, count;     /* 0-based first address, quantity */
	const uint8_t *data; /* values of a write, in the frame */
};

/* Looks at the `have` bytes at buf: is a whole MBAP frame there? On
 * MBTCP_FRAME_OK, *len is its length (6 + the MBAP length field). */
enum mbtcp_frame mbtcp_frame(const uint8_t *buf, size_t have, size_t *len);

/*
 * Checks a whole frame (as cut by mbtcp_frame) against the Modbus rules
 * and map: unit id, function code, exact length, quantity, address range,
 * coil values; then, for a write, the permission (may_write; refused: 01,
 * with rq->refused set) and every value against map->limits before any
 * applies (02 outside a range, 03 out of bounds). Returns MBTCP_OK with
 * *rq filled (rq->data points into frame), an exception code, or
 * MBTCP_CLOSE (function code 0 or 0x80 and up).
 */
int mbtcp_request(const uint8_t *frame, size_t len, const struct mbtcp_map *map,
    int may_write, struct mbtcp_request *rq);

/* Value i of a write request: the register, or 0/1 for a coil. */
uint16_t mbtcp_value(const struct mbtcp_request *rq, int i);

/*
 * The answer to the valid request rq of frame: read values from map, or
 * the echo of a write. Writes it to out (size bytes, MBTCP_FRAME_MAX is
 * enough) and returns its length, or 0 when it does not fit.
 */
size_t mbtcp_reply(const uint8_t *frame, const struct mbtcp_request *rq,
    const struct mbtcp_map *map, uint8_t *out, size_t size);

/* The exception answer exc (1-0x0B) to frame, in out; its length (9), or 0
 * when size is too small or exc not an exception code. */
size_t mbtcp_exception(
    const uint8_t *frame, int exc, uint8_t *out, size_t size);

/* "illegal data address" and so on; static. */
const char *mbtcp_strerror(int exc);

/*
 * Connection slots. A held connection as the slot decision sees it:
 * whether it comes from the new connection's address, whether from a BMS
 * address (allowed to write), and when it last sent a byte (monotonic ms;
 * only the order matters).
 */
struct mbtcp_held {
	int same_peer;
	int bms;
	int64_t last_ms;
};

/* The caps: connections in all; per address; slots only BMS addresses
 * may take (others hold at most max_conns - reserved). */
struct mbtcp_caps {
	int max_conns, max_per_peer, reserved;
};

#define MBTCP_ADMIT  (-1) /* take it: a slot is free */
#define MBTCP_REFUSE (-2) /* close it */

/*
 * Decides about a new connection, from a BMS address or not, given the n
 * connections held (in the order they came). Returns MBTCP_ADMIT,
 * MBTCP_REFUSE, or the index in held of the connection to close so that
 * the new one takes its slot:
 * - another address past its per-address cap, or past the slots not
 *   reserved, or when every slot is taken: refused;
 * - a BMS address past its per-address cap: its own idlest connection;
 * - a BMS address when every slot is taken: the idlest connection of
 *   another address that is not a BMS, else its own idlest, else refused.
 * "Idlest": the earliest last_ms, the first held on a tie.
 */
int mbtcp_admit(const struct mbtcp_caps *caps, int bms,
    const struct mbtcp_held *held, int n);

#endif
