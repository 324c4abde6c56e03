/*
 * The BMS Modbus TCP server (see bms.h).
 *
 * This module owns the sockets: it accepts with accept4(), reads whatever
 * is there into a 260-byte buffer per connection, and hands the bytes to
 * the protocol module (core/mbtcp.c), which cuts frames by their MBAP
 * length, checks each request completely (function code, exact length,
 * quantity, address range, coil value, permission, write window and
 * range) and builds the answer from the registers this module fills. No
 * call here waits: libmodbus is not used (its receive path waits in
 * select(), frames by function code, and its exception path sleeps and
 * flushes), so one slow client stalls no other and descriptors above 1024
 * are safe. An answer is one non-blocking send(); a send that cannot
 * complete closes the connection: a client that does not read its answers
 * loses them.
 *
 * Connection slots: `[modbus] max_connections` in all, `max_per_peer` per
 * address, and `reserved_connections` of them for the BMS addresses
 * (`allow_write`), which others cannot take. A BMS address past its
 * per-address cap, or arriving when every slot is taken, takes the slot of
 * the idlest connection of another address (its own when there is none),
 * so neither a flood of readers nor the BMS's own leaked connections lock
 * the BMS out (mbtcp_admit() decides).
 *
 * Writes go through the power manager (envelope.c), exactly like REST, and
 * every written register is stored as a setting ("bms_hrN", raw value), so
 * the audit log holds peer, register and old -> new. The heartbeat register
 * is not stored: a BMS writes it every few seconds.
 *
 * The registers are refreshed from the fleet every tick and before a read
 * when the last refresh is older than REFRESH_MS, so a client polling
 * hard costs at most a few fleet summaries a second.
 *
 * Only the acting controller applies a write (acting()): a BMS may talk to
 * either controller of an active/standby pair and must not move the
 * fabric through one that is not in charge, so every write that passed
 * its checks gets exception 06 (server device busy) there instead, logged
 * once per connection. A standby serves from before its state is loaded:
 * it has no envelope and no store, and shows what the config says, the
 * rest unavailable (refresh_standby()). The server keeps its own
 * one-second timer for what must go on either way (heartbeat register,
 * idle connections); bms_tick() runs the acting controller's part.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "alarms.h"
#include "bms.h"
#include "bmsmap.h"
#include "config.h"
#include "envelope.h"
#include "fleet.h"
#include "leader.h"
#include "log.h"
#include "mbtcp.h"
#include "selfstat.h"
#include "store.h"
#include "timeutil.h"

#define REFRESH_MS        200   /* registers older than this are refreshed */
#define FRAME_TIMEOUT_MS  10000 /* a frame begun must end within this */
#define READS_PER_EVENT   4     /* recv() calls per readable event */
#define ACCEPTS_PER_EVENT 32
#define REFUSED_LOG_MS    60000 /* refused, evicted: summed this often */
#define CURTAIL_SLACK     1.02  /* over the target by this is a miss */
#define EXC_BUSY          0x06  /* server device busy: not acting */

/* Holding registers the BMS writes (bmsmap.c). */
enum {
	HR_CAP,
	HR_CURTAIL,
	HR_DR_MODE,
	HR_RAMP,
	HR_HEARTBEAT,
	HR_WATCHDOG,
	HR_SUPPLY,
	HR_COOLING
};

struct bms_conn {
	TAILQ_ENTRY(bms_conn) entry;
	struct bms *b;
	int fd;
	struct event *ev;
	struct sockaddr_storage peer;
	char who[64];       /* "bms ADDR", for logs and audit */
	int may_write;      /* peer in [modbus] allow_write */
	int refused_logged; /* a refused write was logged */
	int busy_logged;    /* a write refused as not acting was logged */
	uint8_t buf[MBTCP_FRAME_MAX];
	size_t have;      /* bytes in buf */
	int64_t last_ms;  /* monotonic: last byte received */
	int64_t frame_ms; /* monotonic: first byte of the frame in buf */
};

struct bms {
	struct bms_handles h; /* borrowed; env and store from bms_start() */
	int lfd;
	struct event *lev;    /* the listener, from serving on */
	struct event *tev;    /* housekeep()'s one-second timer */
	int accept_paused;    /* out of descriptors: retried next tick */
	struct mbtcp_map map; /* what the protocol module serves */
	struct mbtcp_limit limits[BMS_NLIMITS];
	uint8_t coils[BMS_COILS], discrete[BMS_DISCRETE];
	uint16_t *input; /* bms_table_size(BMS_INPUT, npods) registers */
	uint16_t holding[BMS_HOLDING];
	TAILQ_HEAD(, bms_conn) conns;
	int nconns;
	struct bms_values v;
	struct bms_pod_values *pods;
	int64_t refreshed_ms;
	unsigned ticks;             /* input register 0 */
	uint16_t raw[BMS_WRITABLE]; /* holding 0-7 as written */
	unsigned written;       /* bit r: holding r was written (or stored) */
	int64_t started_ms;     /* monotonic: bms_start(), 0 before */
	int paused;             /* not acting since bms_tick() last ran */
	int64_t hb_ms;          /* monotonic: last heartbeat write */
	int armed;              /* a heartbeat came since start or reset */
	int expired;            /* the watchdog expired */
	double curtail_applied; /* % the BMS applied last, 0 none */
	long refused;           /* connections refused since logged */
	long evicted;           /* connections closed for a BMS's */
	int64_t refused_log_ms;
	struct mbtcp_held *held; /* make_room()'s view, max_connections */
	struct bms_conn **held_conn;
	int maxheld;
};

typedef int (*setter_fn)(
    struct bms *, struct bms_conn *, int reg, uint16_t raw);

static int set_cap(struct bms *, struct bms_conn *, int, uint16_t);
static int set_curtail(struct bms *, struct bms_conn *, int, uint16_t);
static int set_dr_mode(struct bms *, struct bms_conn *, int, uint16_t);
static int set_plain(struct bms *, struct bms_conn *, int, uint16_t);
static int set_heartbeat(struct bms *, struct bms_conn *, int, uint16_t);
static int set_watchdog(struct bms *, struct bms_conn *, int, uint16_t);
static int set_supply(struct bms *, struct bms_conn *, int, uint16_t);
static int set_cooling(struct bms *, struct bms_conn *, int, uint16_t);
static int set_ack(struct bms *, struct bms_conn *, int, uint16_t);
static int set_reset(struct bms *, struct bms_conn *, int, uint16_t);

/* What each kind of write does; 0, or -1 (answered with exception 04). */
static const setter_fn setters[BMS_NSETTERS] = {
    [BMS_SET_CAP] = set_cap,
    [BMS_SET_CURTAIL] = set_curtail,
    [BMS_SET_DR_MODE] = set_dr_mode,
    [BMS_SET_RAMP] = set_plain,
    [BMS_SET_HEARTBEAT] = set_heartbeat,
    [BMS_SET_WATCHDOG] = set_watchdog,
    [BMS_SET_SUPPLY] = set_supply,
    [BMS_SET_COOLING] = set_cooling,
    [BMS_SET_ACK] = set_ack,
    [BMS_SET_RESET] = set_reset,
};

/* Which discrete input each alarm kind raises (bms_values fields). The
 * curtailment and watchdog inputs follow this module's state instead, so a
 * heartbeat clears its input at once, not at the next alarm evaluation. */
static const struct {
	enum alarm_kind kind;
	size_t off;
} alarm_bits[] = {
    {ALARM_LEAK, offsetof(struct bms_values, leak)},
    {ALARM_SUPPLY_HIGH, offsetof(struct bms_values, supply_high)},
    {ALARM_LOWFLOW, offsetof(struct bms_values, low_flow)},
    {ALARM_OVERTEMP, offsetof(struct bms_values, overtemp)},
    {ALARM_POWER_OVER_CAP, offsetof(struct bms_values, power_over_cap)},
    {ALARM_HEAT_OVER_CAPACITY, offsetof(struct bms_values, heat_over_capacity)},
    {ALARM_NODE_DOWN, offsetof(struct bms_values, agents_lost)},
};

/* Power settings' sources, in the order of holding register 17. */
static const char *const sources[] = {"config", "rest", "bms", NULL};

/* ---- the values shown ---- */

static double
kw(double w)
{
	return w / 1000;
}

/* The warmest supply and return among pod p's (or all, p -1) up nodes. */
static void
worst_coolant(const struct fleet *f, int p, double *supply, double *ret)
{
	int i, first = p < 0 ? 0 : f->pods[p].first;
	int last = p < 0 ? f->nnodes : first + f->pods[p].nnodes;

	*supply = *ret = NAN;
	for (i = first; i < last; i++) {
		const struct node *n = &f->nodes[i];

		if (!n->up)
			continue;
		if (!isnan(n->inlet_c) && !(n->inlet_c <= *supply))
			*supply = n->inlet_c;
		if (!isnan(n->outlet_c) && !(n->outlet_c <= *ret))
			*ret = n->outlet_c;
	}
}

static int
stale_bits(const struct fleet_summary *s)
{
	return (isnan(s->power_w) ? BMS_STALE_POWER : 0) |
	       (isnan(s->supply_c) ? BMS_STALE_TEMP : 0) |
	       (isnan(s->flow_lpm) ? BMS_STALE_FLOW : 0) |
	       (s->nodes_up < s->nodes_total ? BMS_STALE_PARTIAL : 0);
}

static void
gather_pods(struct bms *b)
{
	const struct envelope *e = b->h.env;
	const struct fleet *f = b->h.fleet;
	int p;

	for (p = 0; p < f->npods; p++) {
		struct bms_pod_values *pv = &b->pods[p];
		struct fleet_summary s;
		double alloc, worst_return_c;

		fleet_summarize(f, p, &s);
		alloc =
		    fmin(e->pod_alloc_w[p] > 0 ? e->pod_alloc_w[p] : INFINITY,
		        f->pods[p].conf.power_budget_w);
		pv->status = stale_bits(&s);
		pv->nodes_up = s.nodes_up;
		pv->nodes_total = s.nodes_total;
		pv->accels_up = s.accels_up;
		pv->power_kw = kw(s.power_w);
		pv->allocated_kw = kw(alloc);
		pv->budget_kw = kw(s.budget_w);
		pv->headroom_kw = kw(alloc - s.power_w);
		pv->heat_kw = kw(s.heat_w);
		pv->cooling_kw = kw(s.cooling_capacity_w);
		pv->cooling_headroom_kw = kw(s.cooling_capacity_w - s.heat_w);
		pv->supply_c = s.supply_c;
		pv->return_c = s.return_c;
		worst_coolant(f, p, &pv->worst_supply_c, &worst_return_c);
		pv->flow_lpm = s.flow_lpm;
		pv->leaks = s.leaks;
		pv->hottest_c = s.hottest_c;
		pv->energy_kwh = e->pod_energy_j[p] / 3.6e6;
	}
}

static void
gather_alarms(struct bms *b, struct bms_values *v)
{
	const struct alarms *a = &b->h.env->alarms;
	size_t k;
	int i;

	for (k = 0; k < sizeof(alarm_bits) / sizeof(alarm_bits[0]); k++)
		*(double *)((char *)v + alarm_bits[k].off) = 0;
	v->any_alarm = 0;
	v->state = BMS_STATE_NORMAL;
	for (i = 0; i < a->n; i++) {
		const struct alarm *al = a->v[i];

		if (al->state == ALARM_CLEARED)
			continue;
		v->any_alarm = 1;
		if (strcmp(alarm_severity(al->kind), "critical") == 0)
			v->state = BMS_STATE_CRITICAL;
		for (k = 0; k < sizeof(alarm_bits) / sizeof(alarm_bits[0]); k++)
			if (alarm_bits[k].kind == al->kind)
				*(double *)((char *)v + alarm_bits[k].off) = 1;
	}
	v->open_alarms = alarms_open(a);
}

/* The holding registers: requests as written, and what is in force. */
static void
gather_holding(struct bms *b, struct bms_values *v, int64_t now)
{
	const struct envelope *e = b->h.env;
	int r, pod, s;

	if (!(b->written & 1u << HR_RAMP))
		b->raw[HR_RAMP] = (uint16_t)b->h.conf->modbus_ramp_s;
	if (!(b->written & 1u << HR_WATCHDOG))
		b->raw[HR_WATCHDOG] = (uint16_t)b->h.conf->modbus_watchdog_s;
	for (r = 0; r < BMS_WRITABLE; r++) {
		const struct bms_point *p =
		    bms_point_at(BMS_HOLDING_REG, r, 0, &pod);

		*(double *)((char *)v + p->off) =
		    bms_decode(p->type, p->scale, b->raw[r]);
	}
	v->eff_cap_set_kw = kw(e->facility_cap_w);
	v->eff_curtail_pct = e->curtail_pct;
	v->eff_dr_mode = v->dr_mode;
	v->eff_ramp_s = v->ramp_s;
	v->eff_heartbeat = v->bms_heartbeat;
	v->eff_watchdog_s = v->watchdog_s;
	v->eff_supply_c = e->facility_supply_c;
	v->eff_cooling_kw = kw(e->facility_cooling_w);
	v->watchdog_left_s = NAN;
	if (b->armed && !b->expired && b->raw[HR_WATCHDOG] > 0)
		v->watchdog_left_s =
		    fmax(0, b->raw[HR_WATCHDOG] - (now - b->hb_ms) / 1000.0);
	v->source = 0;
	for (s = 0; sources[s] != NULL; s++)
		if (strcmp(sources[s], e->source) == 0)
			v->source = s;
}

/* Whether a write may apply now: the state is loaded (bms_start()) and
 * this controller acts as the active one. */
static int
acting(const struct bms *b)
{
	return b->h.env != NULL &&
	       (b->h.lead == NULL || leader_acting(b->h.lead, time_mono_ms()));
}

/*
 * A standby's values: it has loaded nothing and no node reports to it, so
 * it shows what the config says (nodes, pods, budgets, capacities), no
 * node or alarm counted, and every other value unavailable (its marker)
 * with the stale bits saying so, the BMS's settings included: they are
 * the active controller's.
 */
static void
refresh_standby(struct bms *b)
{
	const struct fleet *f = b->h.fleet;
	const int pod_stale = BMS_STALE_POWER | BMS_STALE_TEMP |
	                      BMS_STALE_FLOW | BMS_STALE_PARTIAL;
	struct bms_values *v = &b->v;
	size_t i;
	int p;

	for (i = 0; i < bms_npoints; i++) {
		const struct bms_point *pt = &bms_points[i];

		if (!pt->per_pod)
			*(double *)((char *)v + pt->off) = NAN;
		for (p = 0; pt->per_pod && p < f->npods; p++)
			*(double *)((char *)&b->pods[p] + pt->off) = NAN;
	}
	v->heartbeat = b->ticks & 0xFFFF;
	v->map_version = BMS_MAP_VERSION;
	v->state = BMS_STATE_STANDBY;
	v->alarm_word = v->any_alarm = v->open_alarms = 0;
	v->stale = pod_stale | BMS_STALE_SUPPLY | BMS_STALE_COOLING;
	v->nodes_up = v->accels_up = v->leaks = 0;
	v->nodes_total = f->nnodes;
	v->npods = f->npods;
	v->zero = 0;
	for (p = 0; p < f->npods; p++) {
		struct bms_pod_values *pv = &b->pods[p];

		pv->status = pod_stale;
		pv->nodes_up = pv->accels_up = pv->leaks = 0;
		pv->nodes_total = f->pods[p].nnodes;
		pv->budget_kw = kw(f->pods[p].conf.power_budget_w);
		pv->cooling_kw = kw(f->pods[p].conf.cooling_capacity_w);
	}
	bms_fill(
	    v, b->pods, f->npods, b->coils, b->discrete, b->input, b->holding);
	b->refreshed_ms = time_mono_ms();
}

/* Recomputes every value and places them in the registers. */
static void
refresh(struct bms *b)
{
	const struct envelope *e = b->h.env;
	const struct fleet *f = b->h.fleet;
	struct bms_values *v = &b->v;
	struct fleet_summary fs;
	int64_t now = time_mono_ms(), since;
	double limit = INFINITY, energy = 0, heat, headroom;
	size_t i;
	int p;

	if (e == NULL) {
		refresh_standby(b);
		return;
	}
	fleet_summarize(f, -1, &fs);
	gather_alarms(b, v);
	gather_holding(b, v, now);
	v->heartbeat = b->ticks & 0xFFFF;
	v->map_version = BMS_MAP_VERSION;
	v->power_kw = kw(fs.power_w);
	if (e->facility_cap_w > 0)
		limit = e->facility_cap_w;
	if (e->curtail_pct > 0 && e->curtail_base_w > 0)
		limit =
		    fmin(limit, e->curtail_base_w * (1 - e->curtail_pct / 100));
	v->eff_cap_kw = isinf(limit) ? 0 : kw(limit);
	v->headroom_kw = kw(e->fabric_limit_w - fs.power_w);
	v->curtail_achieved_pct = 0;
	if (e->curtail_pct > 0 && e->curtail_base_w > 0)
		v->curtail_achieved_pct = fmin(
		    100, fmax(0, 100 * (1 - fs.power_w / e->curtail_base_w)));
	v->nodes_up = fs.nodes_up;
	v->nodes_total = fs.nodes_total;
	v->accels_up = fs.accels_up;
	for (p = 0; p < f->npods; p++)
		energy += e->pod_energy_j[p];
	v->energy_kwh = energy / 3.6e6;
	v->npods = f->npods;
	worst_coolant(f, -1, &v->worst_supply_c, &v->worst_return_c);
	v->flow_lpm = fs.flow_lpm;
	v->heat_kw = kw(fs.heat_w);
	v->leaks = fs.leaks;
	heat = fs.heat_w;
	headroom = fs.cooling_capacity_w - heat;
	if (!isnan(e->facility_cooling_w))
		headroom = fmin(headroom, e->facility_cooling_w - heat);
	v->cooling_headroom_kw = kw(headroom);
	v->delta_t_k = fs.return_c - fs.supply_c;
	v->curtail_missed = e->curtail_missed;
	v->watchdog_expired = b->expired;
	v->facility_cooling_exceeded = !isnan(e->facility_cooling_w) &&
	                               !isnan(heat) &&
	                               heat > e->facility_cooling_w;

	v->stale =
	    stale_bits(&fs) |
	    (e->curtail_pct > 0 && isnan(fs.power_w) ? BMS_STALE_CURTAIL : 0) |
	    (isnan(e->facility_supply_c) ? BMS_STALE_SUPPLY : 0) |
	    (isnan(e->facility_cooling_w) ? BMS_STALE_COOLING : 0);
	/* starting: since bms_start(), later than the process's start on a
	 * standby that took over, whose nodes come over then */
	since = b->started_ms > b->h.start_mono_ms ? b->started_ms
	                                           : b->h.start_mono_ms;
	if (now - since < (int64_t)b->h.conf->heartbeat_timeout_s * 1000) {
		v->stale = (int)v->stale | BMS_STALE_STARTING;
		v->state = BMS_STATE_STARTING;
	} else if (v->state != BMS_STATE_CRITICAL && b->expired)
		v->state = BMS_STATE_FALLBACK;
	else if (v->state == BMS_STATE_NORMAL &&
	         (v->any_alarm || fs.nodes_up < fs.nodes_total))
		v->state = BMS_STATE_WARNING;
	/* led, but not sure it still does: values from memory, no writes */
	if (!acting(b))
		v->state = BMS_STATE_STANDBY;

	v->alarm_word = 0;
	for (i = 0; i < bms_npoints; i++) {
		const struct bms_point *pt = &bms_points[i];

		if (pt->table == BMS_DISCRETE_INPUT && pt->addr < 16 &&
		    *(const double *)((const char *)v + pt->off) != 0)
			v->alarm_word = (int)v->alarm_word | 1 << pt->addr;
	}
	v->zero = 0;
	gather_pods(b);
	bms_fill(
	    v, b->pods, f->npods, b->coils, b->discrete, b->input, b->holding);
	b->refreshed_ms = now;
}

/* ---- writes ---- */

/* Stores holding register reg's new raw value, audited, if it changed. */
static int
remember(struct bms *b, int reg, uint16_t raw, const char *who)
{
	char key[32];
	int pod;
	const struct bms_point *p = bms_point_at(BMS_HOLDING_REG, reg, 0, &pod);

	if ((b->written & 1u << reg) && b->raw[reg] == raw)
		return 0;
	snprintf(key, sizeof(key), "bms_hr%d", reg);
	if (store_put_setting(b->h.store, key, raw, who) == -1)
		return -1;
	log_info("bms: %s set holding %d (%s) to %u, was %u", who, reg, p->name,
	    raw, b->raw[reg]);
	b->raw[reg] = raw;
	b->written |= 1u << reg;
	return 0;
}

/* Applies a curtailment of pct through the power manager. */
static int
curtail(struct bms *b, double pct, const char *who)
{
	char err[128];

	if (b->h.env->curtail_pct == pct)
		return 0;
	if (envelope_set_curtail(b->h.env, pct, who, "bms", err, sizeof(err)) ==
	    -1) {
		log_warnx("%s: %s", __func__, err);
		return -1;
	}
	b->curtail_applied = pct;
	return 0;
}

static int
set_cap(struct bms *b, struct bms_conn *c, int reg, uint16_t raw)
{
	char err[128];

	if (remember(b, reg, raw, c->who) == -1)
		return -1;
	if (b->h.env->facility_cap_w == raw * 1000.0)
		return 0;
	if (envelope_set_cap(b->h.env, raw * 1000.0, c->who, "bms", err,
	        sizeof(err)) == -1) {
		log_warnx("%s: %s", __func__, err);
		return -1;
	}
	return 0;
}

static int
set_curtail(struct bms *b, struct bms_conn *c, int reg, uint16_t raw)
{
	if (remember(b, reg, raw, c->who) == -1)
		return -1;
	return b->raw[HR_DR_MODE] == 1 ? curtail(b, raw, c->who) : 0;
}

static int
set_dr_mode(struct bms *b, struct bms_conn *c, int reg, uint16_t raw)
{
	const struct envelope *e = b->h.env;

	if (remember(b, reg, raw, c->who) == -1)
		return -1;
	if (raw == 1)
		return b->raw[HR_CURTAIL] > 0
		           ? curtail(b, b->raw[HR_CURTAIL], c->who)
		           : 0;
	/* held back: lift the curtailment the BMS set, not another's */
	if (e->curtail_pct > 0 && (strcmp(e->curtail_source, "bms") == 0 ||
	                              e->curtail_pct == b->curtail_applied))
		return curtail(b, 0, c->who);
	return 0;
}

static int
set_plain(struct bms *b, struct bms_conn *c, int reg, uint16_t raw)
{
	return remember(b, reg, raw, c->who);
}

static int
set_heartbeat(struct bms *b, struct bms_conn *c, int reg, uint16_t raw)
{
	b->raw[reg] = raw;
	b->hb_ms = time_mono_ms();
	if (!b->armed)
		log_info("bms: heartbeat from %s; watchdog armed", c->who);
	b->armed = 1;
	if (b->expired) {
		log_info("bms: heartbeat from %s again after the watchdog "
		         "expired; BMS settings must be written again",
		    c->who);
		b->expired = 0;
		envelope_set_bms_expired(b->h.env, 0);
	}
	return 0;
}

static int
set_watchdog(struct bms *b, struct bms_conn *c, int reg, uint16_t raw)
{
	if (remember(b, reg, raw, c->who) == -1)
		return -1;
	b->hb_ms = time_mono_ms(); /* a new time counts from now */
	if (raw == 0) {
		b->expired = 0;
		envelope_set_bms_expired(b->h.env, 0);
	}
	return 0;
}

static int
set_supply(struct bms *b, struct bms_conn *c, int reg, uint16_t raw)
{
	int pod;
	const struct bms_point *p = bms_point_at(BMS_HOLDING_REG, reg, 0, &pod);

	if (remember(b, reg, raw, c->who) == -1)
		return -1;
	envelope_set_facility_supply(
	    b->h.env, bms_decode(p->type, p->scale, raw));
	return 0;
}

static int
set_cooling(struct bms *b, struct bms_conn *c, int reg, uint16_t raw)
{
	int pod;
	const struct bms_point *p = bms_point_at(BMS_HOLDING_REG, reg, 0, &pod);

	if (remember(b, reg, raw, c->who) == -1)
		return -1;
	envelope_set_facility_cooling(
	    b->h.env, bms_decode(p->type, p->scale, raw) * 1000);
	return 0;
}

static int
set_ack(struct bms *b, struct bms_conn *c, int reg, uint16_t on)
{
	int n;

	if (!on)
		return 0;
	if ((n = envelope_ack_alarms(b->h.env, NULL, c->who)) == -1)
		return -1;
	if (n > 0)
		log_info("bms: %d alarms acknowledged by %s", n, c->who);
	return 0;
}

static int
set_reset(struct bms *b, struct bms_conn *c, int reg, uint16_t on)
{
	if (!on || !b->expired)
		return 0;
	b->expired = b->armed = 0;
	envelope_set_bms_expired(b->h.env, 0);
	log_info("bms: watchdog reset by %s; it re-arms at the next "
	         "heartbeat",
	    c->who);
	return 0;
}

static int
apply_writes(struct bms *b, struct bms_conn *c, const struct mbtcp_request *rq)
{
	const struct bms_point *p;
	int i, pod;

	for (i = 0; i < rq->count; i++) {
		p = bms_point_at((enum bms_table)rq->table, rq->addr + i,
		    b->h.fleet->npods, &pod);
		if (setters[p->set](b, c, rq->addr + i, mbtcp_value(rq, i)) ==
		    -1)
			return MBTCP_SERVER_FAILURE;
	}
	return 0;
}

/* On expiry: the BMS's curtailment goes, the safe cap (if any) comes. */
static void
expire(struct bms *b)
{
	const struct envelope *e = b->h.env;
	double safe_w = b->h.conf->modbus_safe_cap_w;
	char err[128];

	b->expired = 1;
	envelope_set_bms_expired(b->h.env, 1);
	log_warnx("bms: no heartbeat for %u s: removing the BMS curtailment%s",
	    b->raw[HR_WATCHDOG], safe_w > 0 ? ", applying the safe cap" : "");
	(void)remember(b, HR_CURTAIL, 0, "bms watchdog");
	if (e->curtail_pct > 0 && (strcmp(e->curtail_source, "bms") == 0 ||
	                              e->curtail_pct == b->curtail_applied))
		(void)curtail(b, 0, "bms watchdog");
	if (safe_w > 0 &&
	    (e->facility_cap_w <= 0 || e->facility_cap_w > safe_w) &&
	    envelope_set_cap(b->h.env, safe_w, "bms watchdog", "bms", err,
	        sizeof(err)) == -1)
		log_warnx("%s: %s", __func__, err);
}

/* ---- connections ---- */

static void
conn_close(struct bms_conn *c)
{
	struct bms *b = c->b;

	log_debug("bms: %s disconnected", c->who);
	TAILQ_REMOVE(&b->conns, c, entry);
	b->nconns--;
	event_free(c->ev);
	close(c->fd);
	free(c);
}

/* A write that would apply, to a controller that does not act: refused
 * with 06, which a BMS retries or sends to the other controller. */
static int
busy(struct bms *b, struct bms_conn *c)
{
	const char *active = b->h.lead != NULL ? b->h.lead->active_url : "";

	b->paused = 1;
	if (c->busy_logged)
		return EXC_BUSY;
	c->busy_logged = 1;
	if (b->h.env == NULL)
		log_warnx("bms: %s: writes refused (exception 06): this "
		          "controller is the standby%s%s",
		    c->who, active[0] ? "; the active one is " : "", active);
	else
		log_warnx("bms: %s: writes refused (exception 06) until this "
		          "controller can confirm with the database that it "
		          "still leads",
		    c->who);
	return EXC_BUSY;
}

/* Answers one whole frame. 0, or -1 when the connection must close. */
static int
serve(struct bms *b, struct bms_conn *c, const uint8_t *req, size_t len)
{
	struct mbtcp_request rq;
	uint8_t out[MBTCP_FRAME_MAX];
	size_t n;
	int exc;

	exc = mbtcp_request(req, len, &b->map, c->may_write, &rq);
	if (exc == MBTCP_CLOSE)
		return -1;
	if (rq.refused && !c->refused_logged++)
		log_warnx("bms: %s may not write (not in [modbus] allow_write)",
		    c->who);
	if (exc == MBTCP_OK && rq.write && !acting(b))
		exc = busy(b, c);
	if (exc == MBTCP_OK && rq.write)
		exc = apply_writes(b, c, &rq);
	if (exc == MBTCP_OK &&
	    (rq.write || time_mono_ms() - b->refreshed_ms >= REFRESH_MS))
		refresh(b);
	/* the function code follows the 7-byte MBAP header */
	selfstat_modbus(
	    b->h.self, time_mono_ms(), len > 7 ? req[7] : 0, exc != MBTCP_OK);
	if (exc != MBTCP_OK)
		n = mbtcp_exception(req, exc, out, sizeof(out));
	else
		n = mbtcp_reply(req, &rq, &b->map, out, sizeof(out));
	return n > 0 && send(c->fd, out, n, MSG_NOSIGNAL) == (ssize_t)n ? 0
	                                                                : -1;
}

static void
conn_read(evutil_socket_t fd, short what, void *arg)
{
	struct bms_conn *c = arg;
	struct bms *b = c->b;
	size_t len;
	ssize_t n;
	int r;

	for (r = 0; r < READS_PER_EVENT; r++) {
		n = recv(fd, c->buf + c->have, sizeof(c->buf) - c->have, 0);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		c->last_ms = time_mono_ms();
		if (c->have == 0)
			c->frame_ms = c->last_ms;
		c->have += (size_t)n;
		for (;;) {
			enum mbtcp_frame fr =
			    mbtcp_frame(c->buf, c->have, &len);

			if (fr == MBTCP_FRAME_PARTIAL)
				break;
			if (fr == MBTCP_FRAME_BAD) {
				log_debug(
				    "bms: %s sent a bad MBAP header", c->who);
				goto fail;
			}
			if (serve(b, c, c->buf, len) == -1)
				goto fail;
			memmove(c->buf, c->buf + len, c->have - len);
			c->have -= len;
			c->frame_ms = c->last_ms;
		}
	}
	return;
fail:
	conn_close(c);
}

static int
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		           &((const struct sockaddr_in *)b)->sin_addr,
		           sizeof(struct in_addr)) == 0;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	           &((const struct sockaddr_in6 *)b)->sin6_addr,
	           sizeof(struct in6_addr)) == 0;
}

static void
addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	snprintf(buf, len, "?");
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
		    buf, (socklen_t)len);
	else if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		inet_ntop(
		    AF_INET, &s6->sin6_addr.s6_addr[12], buf, (socklen_t)len);
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &s6->sin6_addr, buf, (socklen_t)len);
}

/*
 * Makes room for a new connection from peer (a BMS address when bms), by
 * closing the one mbtcp_admit() names if need be: 0, or -1 when it is
 * refused.
 */
static int
make_room(struct bms *b, const struct sockaddr_storage *peer, int bms)
{
	const struct config *conf = b->h.conf;
	struct mbtcp_caps caps = {conf->modbus_max_conns,
	    conf->modbus_max_per_peer,
	    conf->modbus_allow.n > 0 ? conf->modbus_reserved : 0};
	struct bms_conn *o, **hc;
	struct mbtcp_held *h;
	int n = 0, k;

	if (b->nconns > b->maxheld) { /* a reload raised max_connections */
		if ((h = reallocarray(b->held, b->nconns, sizeof(*h))) == NULL)
			return -1;
		b->held = h;
		if ((hc = reallocarray(b->held_conn, b->nconns, sizeof(*hc))) ==
		    NULL)
			return -1;
		b->held_conn = hc;
		b->maxheld = b->nconns;
	}
	for (o = TAILQ_FIRST(&b->conns); o != NULL;
	     o = TAILQ_NEXT(o, entry), n++) {
		b->held[n].same_peer = same_addr(&o->peer, peer);
		b->held[n].bms = o->may_write;
		b->held[n].last_ms = o->last_ms;
		b->held_conn[n] = o;
	}
	if ((k = mbtcp_admit(&caps, bms, b->held, n)) == MBTCP_ADMIT)
		return 0;
	if (k == MBTCP_REFUSE)
		return -1;
	log_debug("bms: %s: closed for a connection from a BMS address",
	    b->held_conn[k]->who);
	b->evicted++;
	conn_close(b->held_conn[k]);
	return 0;
}

/* Takes a new connection, or closes it when over a cap. */
static void
admit(struct bms *b, int fd, const struct sockaddr_storage *peer)
{
	const struct config *conf = b->h.conf;
	struct bms_conn *c;
	char addr[INET6_ADDRSTRLEN];
	int bms = config_netlist_match(
	    &conf->modbus_allow, (const struct sockaddr *)peer);

	if (make_room(b, peer, bms) == -1) {
		b->refused++;
		close(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warnx("%s: out of memory", __func__);
		close(fd);
		return;
	}
	c->b = b;
	c->fd = fd;
	c->peer = *peer;
	c->last_ms = c->frame_ms = time_mono_ms();
	addr_text(peer, addr, sizeof(addr));
	snprintf(c->who, sizeof(c->who), "bms %s", addr);
	c->may_write = bms;
	if ((c->ev = event_new(
	         b->h.base, fd, EV_READ | EV_PERSIST, conn_read, c)) == NULL ||
	    event_add(c->ev, NULL) == -1) {
		log_warnx("%s: cannot watch %s", __func__, c->who);
		if (c->ev)
			event_free(c->ev);
		close(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&b->conns, c, entry);
	b->nconns++;
	log_debug("bms: %s connected (%s)", c->who,
	    c->may_write ? "read/write" : "read-only");
}

static void
on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct bms *b = arg;
	struct sockaddr_storage ss;
	socklen_t sl;
	int i, fd;

	for (i = 0; i < ACCEPTS_PER_EVENT; i++) {
		sl = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* level-triggered: would spin; retry later */
				log_warn("%s: accept", __func__);
				event_del(b->lev);
				b->accept_paused = 1;
			}
			return;
		}
		admit(b, fd, &ss);
	}
}

/* ---- start, tick, stop ---- */

static int
listen_on(struct bms *b, const char *where)
{
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[128], *colon, shown[INET6_ADDRSTRLEN];
	int one = 1, rc = -1, port;

	snprintf(host, sizeof(host), "%s", where);
	colon = strrchr(host, ':');
	*colon = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || res == NULL) {
		log_warnx("%s: cannot resolve %s", __func__, where);
		goto fail;
	}
	b->lfd = socket(
	    res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (b->lfd == -1 ||
	    setsockopt(b->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ==
	        -1 ||
	    bind(b->lfd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(b->lfd, 16) == -1 ||
	    getsockname(b->lfd, (struct sockaddr *)&ss, &sl) == -1) {
		log_warn("cannot listen on %s ([modbus] listen)", where);
		goto fail;
	}
	addr_text(&ss, shown, sizeof(shown));
	port = ntohs(ss.ss_family == AF_INET
	                 ? ((struct sockaddr_in *)&ss)->sin_port
	                 : ((struct sockaddr_in6 *)&ss)->sin6_port);
	log_info("BMS Modbus TCP listening on %s%s%s:%d (unit id 1)",
	    strchr(shown, ':') ? "[" : "", shown, strchr(shown, ':') ? "]" : "",
	    port);
	rc = 0;
fail:
	if (res != NULL)
		freeaddrinfo(res);
	return rc;
}

/* Loads what the BMS wrote before a restart. */
static void
load(struct bms *b)
{
	struct envelope *e = b->h.env;
	const struct bms_point *p;
	char key[32];
	double v;
	int r, pod;

	b->raw[HR_DR_MODE] = 1;
	b->raw[HR_SUPPLY] = 0x8000;
	b->raw[HR_COOLING] = 0xFFFF;
	for (r = 0; r < BMS_WRITABLE; r++) {
		snprintf(key, sizeof(key), "bms_hr%d", r);
		if (r != HR_HEARTBEAT &&
		    store_get_setting(b->h.store, key, &v) == 1 && v >= 0 &&
		    v <= 0xFFFF) {
			b->raw[r] = (uint16_t)v;
			b->written |= 1u << r;
		}
	}
	p = bms_point_at(BMS_HOLDING_REG, HR_SUPPLY, 0, &pod);
	envelope_set_facility_supply(
	    e, bms_decode(p->type, p->scale, b->raw[HR_SUPPLY]));
	p = bms_point_at(BMS_HOLDING_REG, HR_COOLING, 0, &pod);
	envelope_set_facility_cooling(
	    e, bms_decode(p->type, p->scale, b->raw[HR_COOLING]) * 1000);
	if (e->curtail_pct > 0 && e->curtail_pct == b->raw[HR_CURTAIL])
		b->curtail_applied = e->curtail_pct;
}

int
bms_listen(const struct bms_handles *h, struct bms **out)
{
	struct bms *b;
	int np = h->fleet->npods;

	*out = NULL;
	if (h->conf->modbus_listen[0] == '\0')
		return 0;
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		log_warnx("%s: out of memory", __func__);
		return -1;
	}
	*out = b;
	b->h = *h;
	b->h.env = NULL;
	b->h.store = NULL;
	b->lfd = -1;
	TAILQ_INIT(&b->conns);
	b->pods = calloc(np, sizeof(*b->pods));
	b->input = calloc(bms_table_size(BMS_INPUT, np), sizeof(*b->input));
	b->maxheld = h->conf->modbus_max_conns;
	b->held = calloc(b->maxheld, sizeof(*b->held));
	b->held_conn = calloc(b->maxheld, sizeof(*b->held_conn));
	if (b->pods == NULL || b->input == NULL || b->held == NULL ||
	    b->held_conn == NULL) {
		log_warnx("%s: out of memory", __func__);
		return -1;
	}
	b->map.unit = 1;
	b->map.size[MBTCP_COIL] = bms_table_size(BMS_COIL, np);
	b->map.size[MBTCP_DISCRETE_INPUT] =
	    bms_table_size(BMS_DISCRETE_INPUT, np);
	b->map.size[MBTCP_INPUT] = bms_table_size(BMS_INPUT, np);
	b->map.size[MBTCP_HOLDING] = bms_table_size(BMS_HOLDING_REG, np);
	b->map.coils = b->coils;
	b->map.discrete = b->discrete;
	b->map.input = b->input;
	b->map.holding = b->holding;
	b->map.limits = b->limits;
	b->map.nlimits = bms_limits(b->limits, BMS_NLIMITS);
	return listen_on(b, h->conf->modbus_listen);
}

/*
 * Once a second from serving on (serve_on()), acting or not: the
 * heartbeat register, a listener paused for want of descriptors, idle
 * connections, the refused count; and the registers, when bms_tick() does
 * not run.
 */
static void
housekeep(evutil_socket_t fd, short what, void *arg)
{
	struct bms *b = arg;
	const struct config *conf = b->h.conf;
	struct bms_conn *c, *next;
	int64_t now = time_mono_ms();

	b->ticks++;
	if (b->accept_paused && event_add(b->lev, NULL) == 0)
		b->accept_paused = 0;
	for (c = TAILQ_FIRST(&b->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (now - c->last_ms > conf->modbus_idle_timeout_s * 1000 ||
		    (c->have > 0 && now - c->frame_ms > FRAME_TIMEOUT_MS))
			conn_close(c);
	}
	if ((b->refused > 0 || b->evicted > 0) &&
	    now - b->refused_log_ms > REFUSED_LOG_MS) {
		log_warnx("bms: refused %ld connections, closed %ld for BMS "
		          "addresses (at most %d, %d per address, %d reserved "
		          "for allow_write)",
		    b->refused, b->evicted, conf->modbus_max_conns,
		    conf->modbus_max_per_peer,
		    conf->modbus_allow.n > 0 ? conf->modbus_reserved : 0);
		b->refused = b->evicted = 0;
		b->refused_log_ms = now;
	}
	if (!acting(b)) {
		b->paused = 1;
		refresh(b);
	}
}

/* Watches the listener and starts housekeep(), once. */
static int
serve_on(struct bms *b)
{
	struct timeval one_s = {1, 0};

	if (b->lev != NULL)
		return 0;
	if ((b->lev = event_new(b->h.base, b->lfd, EV_READ | EV_PERSIST,
	         on_accept, b)) == NULL ||
	    event_add(b->lev, NULL) == -1 ||
	    (b->tev = event_new(b->h.base, -1, EV_PERSIST, housekeep, b)) ==
	        NULL ||
	    event_add(b->tev, &one_s) == -1) {
		log_warnx("%s: cannot watch the listener", __func__);
		return -1;
	}
	return 0;
}

int
bms_serve_standby(struct bms *b)
{
	if (b == NULL)
		return 0;
	refresh(b);
	return serve_on(b);
}

int
bms_start(struct bms *b, struct envelope *env, struct store *store)
{
	if (b == NULL)
		return 0;
	b->h.env = env;
	b->h.store = store;
	b->started_ms = time_mono_ms();
	load(b);
	refresh(b);
	return serve_on(b);
}

void
bms_configure(struct bms *b, const struct config *conf)
{
	if (b != NULL)
		b->h.conf = conf;
}

void
bms_tick(struct bms *b)
{
	const struct envelope *e;
	struct fleet_summary fs;
	int64_t now = time_mono_ms();
	int missed = 0;

	if (b == NULL || !acting(b))
		return;
	e = b->h.env;
	/* the heartbeats it refused meanwhile count: the watchdog restarts */
	if (b->paused)
		b->hb_ms = now;
	b->paused = 0;
	if (b->armed && !b->expired && b->raw[HR_WATCHDOG] > 0 &&
	    now - b->hb_ms > b->raw[HR_WATCHDOG] * 1000LL)
		expire(b);
	/* the curtailment deadline */
	if (e->curtail_pct > 0 && e->curtail_base_w > 0 &&
	    now - e->curtail_since_ms > b->raw[HR_RAMP] * 1000LL) {
		fleet_summarize(b->h.fleet, -1, &fs);
		missed = !isnan(fs.power_w) &&
		         fs.power_w > CURTAIL_SLACK * e->curtail_base_w *
		                          (1 - e->curtail_pct / 100);
	}
	envelope_set_curtail_missed(b->h.env, missed);
	refresh(b);
}

void
bms_stop(struct bms *b)
{
	if (b == NULL)
		return;
	while (!TAILQ_EMPTY(&b->conns))
		conn_close(TAILQ_FIRST(&b->conns));
	if (b->lev)
		event_free(b->lev);
	if (b->tev)
		event_free(b->tev);
	if (b->lfd != -1)
		close(b->lfd);
	free(b->held);
	free(b->held_conn);
	free(b->input);
	free(b->pods);
	free(b);
}
