/*
 * The Modbus TCP server for the building management system: the BMS reads
 * the fabric's power, heat, coolant and alarms, and sets the facility cap,
 * a curtailment and its own heartbeat (register map: bmsmap.h,
 * docs/modbus.md). Off unless `[modbus] listen` is configured.
 *
 * The protocol (framing, request checks, answers, which connection a new
 * one may replace) is the pure core/mbtcp.c; this module owns the sockets,
 * gathers the values shown from the fleet and the power manager, applies
 * writes through the power manager's functions, and logs.
 */
#ifndef CTL_BMS_H
#define CTL_BMS_H

struct ctl_state;

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
