/*
 * The Modbus TCP server for the building management system: the BMS reads
 * the fabric's power, heat, coolant and alarms, and sets the facility cap,
 * a curtailment and its own heartbeat (register map: bmsmap.h,
 * docs/modbus.md). Off unless `[modbus] listen` is configured.
 *
 * Requests are framed here from readable events, one 260-byte buffer per
 * connection, and checked completely before libmodbus builds the answer,
 * so that libmodbus never waits or flushes (see bms.c). The framing and
 * request checks are pure functions, exported for the unit test.
 */
#ifndef CTL_BMS_H
#define CTL_BMS_H

#include <stddef.h>
#include <stdint.h>

#include "bmsmap.h"

struct ctl_state;

#define BMS_FRAME_MAX 260 /* MBAP header (7) + PDU (253) */

enum bms_frame {
	BMS_FRAME_PARTIAL, /* need more bytes */
	BMS_FRAME_OK,      /* a whole frame of *len bytes is there */
	BMS_FRAME_BAD      /* protocol id not 0 or length not 2-254: close */
};

/* A request that passed bms_request_parse(). */
struct bms_request {
	int unit; /* 0, 1 or 255 */
	int fc;   /* function code */
	enum bms_table table;
	int write;           /* FC 5, 6, 15, 16 */
	int addr, count;     /* 0-based first address, quantity */
	const uint8_t *data; /* values of a write, in the frame */
};

/* Looks at the `have` bytes at buf: is a whole MBAP frame there? On
 * BMS_FRAME_OK, *len is its length (6 + the MBAP length field). */
enum bms_frame bms_frame_check(const uint8_t *buf, size_t have, size_t *len);
/* Checks a whole frame against the Modbus rules and the map of npods
 * pods: unit id, function code, exact length, quantity, address range and
 * coil values. Returns 0 with *rq filled (rq->data points into frame), the
 * exception code to answer with (1, 2, 3, 0x0B), or -1 when the frame is
 * not worth an answer (function code 0 or 0x80 and up: close). */
int bms_request_parse(
    const uint8_t *frame, size_t len, int npods, struct bms_request *rq);
/* Value i of a write request: the register, or 0/1 for a coil. */
uint16_t bms_request_value(const struct bms_request *rq, int i);

/* Binds `[modbus] listen` when set (logs the address bound, port 0 picks
 * one), before the store is opened, so that a taken port fails start-up
 * early. Needs st->fleet. 0, or -1 (logged). */
int bms_listen(struct ctl_state *st);
/* Loads what the BMS wrote before a restart and starts accepting; after
 * bms_listen() and envelope_init(). 0, or -1 (logged). */
int bms_start(struct ctl_state *st);
/* Once a second: heartbeat, watchdog, curtailment deadline, idle
 * connections, register refresh. */
void bms_tick(struct ctl_state *st);
/* Closes every connection and the listener. */
void bms_stop(struct ctl_state *st);

#endif
