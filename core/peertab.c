/*
 * The peer table (peertab.h): set-associative, so that a lookup looks at
 * PEERTAB_WAYS slots whatever the number of peers, and a slot is reused
 * rather than the table grown. A token bucket is kept as a count and the
 * time it was last brought up to date; it is refilled lazily when taken.
 */
#include <stdlib.h>
#include <string.h>

#include "peertab.h"

int
peertab_init(struct peertab *t, int peers)
{
	int nsets = 1;

	while (nsets * PEERTAB_WAYS < peers && nsets < (1 << 20))
		nsets *= 2;
	t->v = calloc((size_t)nsets * PEERTAB_WAYS, sizeof(*t->v));
	t->nsets = t->v != NULL ? nsets : 0;
	return t->v != NULL ? 0 : -1;
}

void
peertab_free(struct peertab *t)
{
	free(t->v);
	t->v = NULL;
	t->nsets = 0;
}

void
peertab_key(unsigned char key[16], int af, const unsigned char *addr)
{
	memset(key, 0, 16);
	if (af == 4) {
		memcpy(key, addr, 4);
		key[15] = 4; /* not the key of any IPv6 /64 */
	} else
		memcpy(key, addr, 8);
}

/* FNV-1a of the key, for its set. */
static uint32_t
hash(const unsigned char key[16])
{
	uint32_t h = 2166136261u;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return h;
}

struct peer *
peertab_get(struct peertab *t, const unsigned char key[16], double burst,
    int64_t now_ms)
{
	struct peer *set, *p, *victim = NULL;
	int i;

	set = &t->v[(hash(key) & (uint32_t)(t->nsets - 1)) * PEERTAB_WAYS];
	for (i = 0; i < PEERTAB_WAYS; i++) {
		p = &set[i];
		if (p->used && memcmp(p->key, key, 16) == 0) {
			if (now_ms > p->seen_ms)
				p->seen_ms = now_ms;
			return p;
		}
		if (!p->used) {
			if (victim == NULL || victim->used)
				victim = p;
		} else if (p->conns == 0 &&
		           (victim == NULL ||
		               (victim->used && p->seen_ms < victim->seen_ms)))
			victim = p;
	}
	if (victim == NULL)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->key, key, 16);
	victim->used = 1;
	victim->tokens = burst;
	victim->seen_ms = victim->refill_ms = now_ms;
	return victim;
}

int64_t
peer_take(struct peer *p, double rate_per_s, double burst, int64_t now_ms)
{
	double wait_ms;

	if (rate_per_s <= 0)
		return 0;
	if (now_ms > p->refill_ms) {
		p->tokens +=
		    (double)(now_ms - p->refill_ms) * rate_per_s / 1000;
		p->refill_ms = now_ms;
	}
	if (p->tokens > burst)
		p->tokens = burst;
	if (p->tokens >= 1) {
		p->tokens -= 1;
		return 0;
	}
	wait_ms = (1 - p->tokens) * 1000 / rate_per_s;
	return wait_ms < 1 ? 1 : (int64_t)wait_ms + 1;
}
