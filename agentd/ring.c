/*
 * The sample ring: see ring.h. A plain circular array; `head` is the oldest
 * sample, and acknowledgement only ever trims from that end, because
 * sequence numbers increase with position. Slots are touched only when
 * written, so the pages of a buffer that never fills are never faulted in.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ring.h"

struct ring *
ring_new(size_t cap, int naccel)
{
	struct ring *r = NULL;

	if (cap < 1 || cap > RING_MAX_SAMPLES || naccel < 0 ||
	    naccel > RING_MAX_ACCELS) {
		log_warnx("%s: bad size %zu samples of %d accelerators",
		    __func__, cap, naccel);
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->slot = calloc(cap, sizeof(*r->slot))) == NULL ||
	    (naccel > 0 &&
	        (r->accel = calloc(cap * naccel, sizeof(*r->accel))) == NULL)) {
		log_warn("%s: %zu samples", __func__, cap);
		goto fail;
	}
	r->cap = cap;
	r->naccel = naccel;
	return r;
fail:
	ring_free(r);
	return NULL;
}

void
ring_free(struct ring *r)
{
	if (r == NULL)
		return;
	free(r->accel);
	free(r->slot);
	free(r);
}

struct sample *
ring_push(struct ring *r)
{
	struct sample *s;
	size_t i;

	if (r->len == r->cap) {
		r->head = (r->head + 1) % r->cap;
		r->len--;
		r->dropped++;
	}
	i = (r->head + r->len) % r->cap;
	r->len++;
	s = &r->slot[i];
	memset(s, 0, sizeof(*s));
	s->naccel = r->naccel;
	if (r->naccel > 0) {
		s->accels = &r->accel[i * r->naccel];
		memset(s->accels, 0, r->naccel * sizeof(*s->accels));
	}
	return s;
}

const struct sample *
ring_at(const struct ring *r, size_t i)
{
	return &r->slot[(r->head + i) % r->cap];
}

size_t
ring_len(const struct ring *r)
{
	return r->len;
}

size_t
ring_ack(struct ring *r, uint64_t seq)
{
	size_t n = 0;

	while (r->len > 0 && r->slot[r->head].seq <= seq) {
		r->head = (r->head + 1) % r->cap;
		r->len--;
		n++;
	}
	/* An empty ring starts over at slot 0, so an agent whose controller
	 * keeps up touches only the first pages of its buffer. */
	if (r->len == 0)
		r->head = 0;
	return n;
}
