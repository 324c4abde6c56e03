/*
 * The sample ring: the agent's bounded memory of samples the controller has
 * not acknowledged yet. Storage is allocated once, for `cap` samples of
 * `naccel` accelerators each, so a controller that stays away for an hour
 * costs no allocation on the sampling path. When full, a push overwrites the
 * oldest sample and counts it as dropped: the most recent hour is worth more
 * than the first one. Accelerator readings are kept as floats (the report
 * rounds them to a tenth anyway) except the energy counter, which grows
 * without bound and keeps a double.
 */
#ifndef AGENT_RING_H
#define AGENT_RING_H

#include <stddef.h>
#include <stdint.h>

#define RING_MAX_SAMPLES 86400 /* one day at 1 s */
#define RING_MAX_ACCELS  64    /* accelerators per node (protocol limit) */

/* One accelerator in one sample; a field counts when its POD_F_* bit is set
 * in `valid`. */
struct sample_accel {
	uint32_t valid;     /* POD_F_* bits */
	float power_w;      /* W */
	float temp_c;       /* °C */
	float clock_mhz;    /* MHz */
	float util_pct;     /* 0–100 % */
	float mem_used_mib; /* MiB */
	double energy_j;    /* plugin's counter, J */
};

/* The node's coolant loop in one sample, as valid bits say. */
struct sample_loop {
	uint32_t valid;     /* POD_F_* bits */
	float supply_c;     /* coolant in, °C */
	float return_c;     /* coolant out, °C */
	float flow_lpm;     /* L/min */
	float pressure_kpa; /* kPa */
	float capacity_w;   /* the pod CDU's capacity, W (CDU plugins) */
	float pump_pct;     /* coolant pump speed, % */
	int leak;           /* 1: leak detected */
};

struct sample {
	uint64_t seq;   /* 1, 2, … per boot id */
	int64_t t_ms;   /* wall clock, ms since the epoch */
	double power_w; /* node power, W; NaN unknown */
	int has_loop;   /* 0: no cooling plugin */
	struct sample_loop loop;
	int naccel;                  /* entries in accels */
	struct sample_accel *accels; /* in the ring's storage */
};

struct ring {
	struct sample *slot;        /* cap slots */
	struct sample_accel *accel; /* cap * naccel readings */
	size_t cap;                 /* samples kept at most */
	size_t head;                /* slot of the oldest sample */
	size_t len;                 /* samples held */
	int naccel;                 /* accelerators per sample */
	uint64_t dropped;           /* samples overwritten unacknowledged */
};

/* Creates a ring of cap (1..RING_MAX_SAMPLES) samples with naccel
 * (0..RING_MAX_ACCELS) accelerators each. Returns NULL (logged) on a bad
 * size or no memory. Caller frees with ring_free(). */
struct ring *ring_new(size_t cap, int naccel);
void ring_free(struct ring *r);
/* Appends a sample and returns it for the caller to fill: zeroed but for
 * `accels` and `naccel`, valid until the next push. A full ring drops its
 * oldest sample first and counts it in `dropped`. Never fails. */
struct sample *ring_push(struct ring *r);
/* The i-th oldest sample (0 <= i < ring_len()); borrowed. */
const struct sample *ring_at(const struct ring *r, size_t i);
size_t ring_len(const struct ring *r);
/* Forgets the samples at the old end whose seq is at most `seq` (the
 * controller holds them). Returns how many went. */
size_t ring_ack(struct ring *r, uint64_t seq);

#endif
