/*
 * The peers of a server, by address, in a table of fixed size: how many
 * connections each has open and a token bucket for its writes. The table
 * never grows, so a flood of addresses costs no memory: a new peer takes a
 * free slot of its set, else the slot of the peer seen longest ago that has
 * no connection open (forgetting it only gives that peer a full bucket).
 * IPv6 peers are keyed by their /64, the block one host usually holds.
 */
#ifndef CORE_PEERTAB_H
#define CORE_PEERTAB_H

#include <stdint.h>

#define PEERTAB_WAYS 8 /* slots a peer may take (its set) */

struct peer {
	unsigned char key[16]; /* IPv4 in the first 4, or an IPv6 /64 */
	int used;              /* 1: the slot holds a peer */
	int conns;             /* connections open; pins the slot */
	void *user;            /* the server's own, NULL when new (its list
	                        * of the peer's connections) */
	double tokens;         /* writes it may make now */
	int64_t seen_ms;       /* last looked up, ms */
	int64_t refill_ms;     /* tokens counted up to then, ms */
};

struct peertab {
	struct peer *v; /* nsets * PEERTAB_WAYS */
	int nsets;
};

/* Sets up t for about `peers` peers (rounded up to whole sets). 0, or -1
 * when out of memory. Free with peertab_free(). */
int peertab_init(struct peertab *t, int peers);
void peertab_free(struct peertab *t);

/* The key of an address: af 4 or 6 and its 4 or 16 bytes. */
void peertab_key(unsigned char key[16], int af, const unsigned char *addr);

/* The peer with `key`, made with a full bucket of `burst` tokens when new.
 * NULL when every slot of its set holds a peer with connections open.
 * Borrowed: valid until the next call. */
struct peer *peertab_get(struct peertab *t, const unsigned char key[16],
    double burst, int64_t now_ms);

/* Takes one write token from p's bucket, refilled at rate_per_s up to
 * burst. 0 when taken; otherwise the ms until one is there (at least 1).
 * rate_per_s <= 0 means no limit. */
int64_t peer_take(
    struct peer *p, double rate_per_s, double burst, int64_t now_ms);

#endif
