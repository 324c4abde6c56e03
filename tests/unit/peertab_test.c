/*
 * peertab_test: the peer table (core/peertab.c): token buckets taken and
 * refilled at their rate, the wait they give back, IPv6 peers keyed by
 * their /64, and the table's fixed size: peers with connections open are
 * never forgotten, the others make room oldest first.
 */
#include <string.h>

#include "check.h"
#include "peertab.h"

/* One step of a bucket: at now_ms, a take gives `wait` (0: allowed). */
struct step {
	int64_t now_ms;
	int64_t wait;
};

static const struct {
	const char *name;
	double rate, burst;
	struct step steps[8];
	int n;
} buckets[] = {
    {"burst then refused", 1, 2, {{0, 0}, {0, 0}, {0, 1001}}, 3},
    {"refill at the rate", 2, 1, {{0, 0}, {100, 401}, {500, 0}, {500, 501}}, 4},
    {"refill stops at the burst", 10, 2,
        {{0, 0}, {0, 0}, {60000, 0}, {60000, 0}, {60000, 101}}, 5},
    {"no limit", 0, 0, {{0, 0}, {0, 0}, {0, 0}}, 3},
    {"clock going back is no refill", 1, 1, {{1000, 0}, {500, 1001}}, 2},
};

static int
case_buckets(void)
{
	struct peertab t;
	unsigned char a[4] = {10, 0, 0, 1}, key[16];
	size_t i;
	int s;

	for (i = 0; i < NELEM(buckets); i++) {
		struct peer *p;

		REQUIRE(peertab_init(&t, 16) == 0);
		peertab_key(key, 4, a);
		p = peertab_get(&t, key, buckets[i].burst, 0);
		REQUIRE(p != NULL, "%s", buckets[i].name);
		for (s = 0; s < buckets[i].n; s++) {
			int64_t w = peer_take(p, buckets[i].rate,
			    buckets[i].burst, buckets[i].steps[s].now_ms);

			CHECK(w == buckets[i].steps[s].wait,
			    "%s step %d: wait %lld, want %lld", buckets[i].name,
			    s, (long long)w,
			    (long long)buckets[i].steps[s].wait);
		}
		peertab_free(&t);
	}
	return 0;
fail:
	peertab_free(&t);
	return -1;
}

static int
case_keys(void)
{
	unsigned char a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 1, 2, 3, 4},
	              b[16], v4[4] = {32, 1, 13, 184}, ka[16], kb[16], k4[16];

	memcpy(b, a, 16);
	b[15] = 99; /* same /64, another host */
	peertab_key(ka, 6, a);
	peertab_key(kb, 6, b);
	peertab_key(k4, 4, v4);
	CHECK(memcmp(ka, kb, 16) == 0, "one /64, one peer");
	b[7] = 2; /* another /64 */
	peertab_key(kb, 6, b);
	CHECK(memcmp(ka, kb, 16) != 0, "another /64, another peer");
	CHECK(memcmp(ka, k4, 16) != 0, "IPv4 apart from IPv6");
	return 0;
}

static int
case_bounded(void)
{
	struct peertab t;
	unsigned char addr[4] = {10, 0, 0, 0}, key[16];
	struct peer *p, *first;
	int i, got = 0, pinned = 0;

	REQUIRE(peertab_init(&t, 1) == 0); /* one set */
	REQUIRE(t.nsets == 1);
	peertab_key(key, 4, addr);
	first = peertab_get(&t, key, 5, 0);
	REQUIRE(first != NULL);
	first->conns = 1;
	/* a flood of addresses reuses the other slots */
	for (i = 1; i < 1000; i++) {
		addr[2] = (unsigned char)(i >> 8);
		addr[3] = (unsigned char)i;
		peertab_key(key, 4, addr);
		if ((p = peertab_get(&t, key, 5, i)) != NULL)
			got++;
	}
	CHECK(got == 999, "every new peer got a slot (%d)", got);
	addr[2] = addr[3] = 0;
	peertab_key(key, 4, addr);
	CHECK(peertab_get(&t, key, 5, 2000) == first,
	    "a peer with a connection open is kept");
	/* every slot pinned: no room, and nobody forgotten */
	for (i = 0; i < PEERTAB_WAYS; i++)
		if (t.v[i].used) {
			t.v[i].conns = 1;
			pinned++;
		}
	CHECK(pinned == PEERTAB_WAYS);
	addr[3] = 250;
	addr[2] = 250;
	peertab_key(key, 4, addr);
	CHECK(peertab_get(&t, key, 5, 3000) == NULL, "full set: NULL");
	peertab_free(&t);
	return 0;
fail:
	peertab_free(&t);
	return -1;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
    {"buckets", case_buckets},
    {"keys", case_keys},
    {"bounded", case_bounded},
};

int
main(void)
{
	size_t i;

	for (i = 0; i < NELEM(cases); i++)
		RUN_CASE(cases[i].name, cases[i].fn());
	return check_summary("peertab_test");
}
