/*
 * Several controllers, one active: the list of their addresses that an
 * agent, pod-fleetsim and podctl are given ("URL[,URL...]"), and the rule
 * for leaving one of them. Controllers in active/standby pairs share one
 * database; the standby answers every /api/v1 request but GET /health with
 * 503 and the error code "standby" (naming the active one in "active" when
 * it knows it), and an active controller that lost its database session
 * answers with 503 "not_active". Such a reply says "not here, try the
 * next": the clients go round the list on it, as on a connection that
 * fails. Pure: no I/O, so that the unit tests pin both rules.
 */
#ifndef POD_CTLLIST_H
#define POD_CTLLIST_H

#include <stddef.h>

#define CTLLIST_MAX     8   /* addresses in a list */
#define CTLLIST_URL_MAX 512 /* longest address, with its NUL */
#define CTLLIST_WHY_MAX 160 /* ctllist_passive()'s words, with the NUL */

/* The addresses, in the order they are tried. */
struct ctllist {
	int n; /* 1 to CTLLIST_MAX once parsed */
	char url[CTLLIST_MAX][CTLLIST_URL_MAX]; /* as written, less spaces */
};

/*
 * Splits text, "URL[,URL...]" with optional spaces around each address,
 * into l (overwritten). The addresses themselves are not judged: each
 * program has its rules (the agent wants http:// or https://, podctl also
 * takes "host:port"). Returns 0, or -1 with why in err: nothing given, an
 * empty address ("a,,b", a final comma), more than CTLLIST_MAX, one of
 * CTLLIST_URL_MAX characters or more, the same one twice.
 */
int ctllist_parse(
    const char *text, struct ctllist *l, char *err, size_t errlen);

/*
 * Whether an HTTP reply (status and body of len bytes, not necessarily
 * NUL-terminated) says the controller that sent it is not the active one:
 * a 503 whose error.code is "standby" or "not_active". Then returns 1 and
 * writes why in words: "standby", "standby (the active one is URL)", "not
 * active", "not active (the active one is URL)", the URL as the reply's
 * "active" member gave it (unprintable characters as '?'). Any other reply,
 * a 503 for another cause included, returns 0: it is that controller's
 * answer.
 */
int ctllist_passive(
    long status, const char *body, size_t len, char *why, size_t whylen);

#endif
