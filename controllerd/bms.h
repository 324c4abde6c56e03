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
 *
 * Only the acting controller applies a write (leader.h). A standby serves
 * the map from bms_serve_standby() on, before any state is loaded: the
 * state register reads standby, measured values read unavailable, and
 * every write is answered with exception 06 (server device busy). An
 * active controller that cannot confirm it still leads answers the same
 * way until it acts again, its values read from memory meanwhile.
 */
#ifndef CTL_BMS_H
#define CTL_BMS_H

#include <stdint.h>

struct bms;
struct config;
struct envelope;
struct event_base;
struct fleet;
struct leader;
struct selfstat;
struct store;

/*
 * What the server borrows from the controller (main.c owns every one):
 * the loop its sockets wait on; the running config (its [modbus] section);
 * the fleet, which it only reads; the envelope, whose fields it reads and
 * which it changes only through envelope.h's functions (as REST does);
 * the store, for what the BMS wrote (kept as audited settings); and when
 * the controller started.
 */
struct bms_handles {
	struct event_base *base;
	const struct config *conf; /* bms_configure() on a reload */
	const struct fleet *fleet;
	struct envelope *env; /* from bms_start() */
	struct store *store;  /* from bms_start() */
	int64_t start_mono_ms;
	struct selfstat *self;     /* requests counted there; NULL none */
	const struct leader *lead; /* whether it acts; NULL: it always does */
};

/* Binds `[modbus] listen` when set (logs the address bound, port 0 picks
 * one), before the store is opened, so that a taken port fails start-up
 * early; uses h's base, conf, fleet and start_mono_ms (h->env and h->store
 * need not be set yet). *out is the server, NULL when [modbus] is off; set
 * even on failure, for bms_stop(). 0, or -1 (logged). */
int bms_listen(const struct bms_handles *h, struct bms **out);
/* Starts accepting before this controller leads (before main.c's
 * stand_by(), h->lead set and initialised): served as a standby until
 * bms_start(), and from now on the server keeps its own one-second timer
 * (the heartbeat register, idle connections). Nothing when b is NULL. 0,
 * or -1 (logged). */
int bms_serve_standby(struct bms *b);
/* Loads what the BMS wrote before a restart (from store), starts accepting
 * unless bms_serve_standby() did, and serves as the active controller
 * (writes apply while h->lead says it acts); after envelope_init(). The
 * "starting" state counts from here. Nothing when b is NULL. 0, or -1
 * (logged). */
int bms_start(struct bms *b, struct envelope *env, struct store *store);
/* A reloaded config replaces the one the server reads. */
void bms_configure(struct bms *b, const struct config *conf);
/* Once a second while the controller acts, after envelope_tick(): the
 * watchdog, the curtailment deadline, the register refresh. Nothing when
 * b is NULL. */
void bms_tick(struct bms *b);
/* Closes every connection and the listener, and frees b (may be NULL). */
void bms_stop(struct bms *b);

#endif
