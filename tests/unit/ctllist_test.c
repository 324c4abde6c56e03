/*
 * Lists of controllers (common/ctllist.c): splitting "URL[,URL...]" with
 * its refusals, and which replies send a client on to the next controller
 * (a standby's 503, an active one's without its database) and which are
 * that controller's answer. Each group is a static table of cases.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "ctllist.h"

/*
 * Splitting. Per case: the text; the addresses expected joined by '|',
 * or NULL when refused, with a fragment of the message.
 */
static const struct {
	const char *text;
	const char *want;
	const char *err;
} parse_cases[] = {
    {"http://127.0.0.1:8470", "http://127.0.0.1:8470", NULL},
    {"http://a:8470,http://b:8470", "http://a:8470|http://b:8470", NULL},
    {" http://a:8470 ,\thttp://b:8470 ", "http://a:8470|http://b:8470", NULL},
    {"a:8470,b:8470,c", "a:8470|b:8470|c", NULL},
    {"1,2,3,4,5,6,7,8", "1|2|3|4|5|6|7|8", NULL},
    {"", NULL, "no address given"},
    {"  ", NULL, "no address given"},
    {",http://a", NULL, "address 1 of the list is empty"},
    {"http://a,,http://b", NULL, "address 2 of the list is empty"},
    {"http://a, ,http://b", NULL, "address 2 of the list is empty"},
    {"http://a,", NULL, "address 2 of the list is empty"},
    {"1,2,3,4,5,6,7,8,9", NULL, "more than 8 addresses"},
    {"http://a,http://b,http://a", NULL, "'http://a' is given twice"},
};

static void
test_parse(void)
{
	struct ctllist l;
	char got[CTLLIST_MAX * CTLLIST_URL_MAX], err[256];
	size_t i, len;
	int k, rc;

	for (i = 0; i < NELEM(parse_cases); i++) {
		err[0] = '\0';
		rc = ctllist_parse(parse_cases[i].text, &l, err, sizeof(err));
		if (parse_cases[i].want == NULL) {
			CHECK(
			    rc == -1 && strstr(err, parse_cases[i].err) != NULL,
			    "case %zu '%s': got %d '%s'", i,
			    parse_cases[i].text, rc, err);
			continue;
		}
		got[0] = '\0';
		for (k = 0, len = 0; rc == 0 && k < l.n; k++)
			len += snprintf(got + len, sizeof(got) - len, "%s%s",
			    k > 0 ? "|" : "", l.url[k]);
		CHECK(rc == 0 && strcmp(got, parse_cases[i].want) == 0,
		    "case %zu '%s': got %d '%s' (%s)", i, parse_cases[i].text,
		    rc, got, err);
	}
}

/* An address as long as a list may hold, and one longer. */
static void
test_long(void)
{
	static char text[2 * CTLLIST_URL_MAX + 16];
	struct ctllist l;
	char err[256];

	memset(text, 'a', CTLLIST_URL_MAX - 1);
	text[CTLLIST_URL_MAX - 1] = '\0';
	CHECK(ctllist_parse(text, &l, err, sizeof(err)) == 0 && l.n == 1 &&
	          strlen(l.url[0]) == CTLLIST_URL_MAX - 1,
	    "%s", err);
	snprintf(
	    text + CTLLIST_URL_MAX - 1, sizeof(text) - CTLLIST_URL_MAX, "a,b");
	CHECK(
	    ctllist_parse(text, &l, err, sizeof(err)) == -1 &&
	        strstr(err, "address 1 of the list is longer than 511") != NULL,
	    "%s", err);
}

/*
 * Replies. Per case: the status and body; 1 when the client goes on to
 * the next controller, with the words it gives.
 */
static const struct {
	long status;
	const char *body;
	int passive;
	const char *why;
} reply_cases[] = {
    {503,
        "{\"error\":{\"code\":\"standby\",\"message\":\"this controller is "
        "the standby; the active controller is at http://b:8470\","
        "\"active\":\"http://b:8470\"}}",
        1, "standby (the active one is http://b:8470)"},
    {503, "{\"error\":{\"code\":\"standby\",\"message\":\"m\"}}", 1, "standby"},
    {503,
        "{\"error\":{\"code\":\"standby\",\"message\":\"m\",\"active\":\"\"}}",
        1, "standby"},
    {503, "{\"error\":{\"code\":\"standby\",\"active\":null}}", 1, "standby"},
    {503,
        "{\"error\":{\"code\":\"not_active\",\"message\":\"lost the "
        "database\",\"active\":\"http://a:8470\"}}",
        1, "not active (the active one is http://a:8470)"},
    {503, "{\"error\":{\"code\":\"not_active\",\"message\":\"m\"}}", 1,
        "not active"},
    /* a bell and an escape in the address are not printed as such */
    {503,
        "{\"error\":{\"code\":\"standby\",\"active\":\"http://"
        "x\\u0007\\u001b\"}}",
        1, "standby (the active one is http://x?\?)"},
    /* the controller's answer, not a reason to go elsewhere */
    {503, "{\"error\":{\"code\":\"overloaded\",\"message\":\"busy\"}}", 0,
        NULL},
    {503, "<html>503 Service Unavailable</html>", 0, NULL},
    {503, "", 0, NULL},
    {503, "{\"error\":\"standby\"}", 0, NULL},
    {503, "{\"error\":{\"code\":7}}", 0, NULL},
    {500, "{\"error\":{\"code\":\"standby\",\"message\":\"m\"}}", 0, NULL},
    {200, "{\"error\":{\"code\":\"standby\",\"message\":\"m\"}}", 0, NULL},
    {404, "{\"error\":{\"code\":\"not_active\",\"message\":\"m\"}}", 0, NULL},
};

static void
test_passive(void)
{
	char why[CTLLIST_WHY_MAX];
	size_t i;
	int rc;

	for (i = 0; i < NELEM(reply_cases); i++) {
		why[0] = '\0';
		rc = ctllist_passive(reply_cases[i].status, reply_cases[i].body,
		    strlen(reply_cases[i].body), why, sizeof(why));
		CHECK(rc == reply_cases[i].passive &&
		          (rc == 0 || strcmp(why, reply_cases[i].why) == 0),
		    "case %zu: got %d '%s'", i, rc, why);
	}
	/* the body need not end in a NUL: len bytes of it are read */
	CHECK(ctllist_passive(503, "{\"error\":{\"code\":\"standby\"}}garbage",
	          28, why, sizeof(why)) == 1 &&
	      strcmp(why, "standby") == 0);
	CHECK(ctllist_passive(503, NULL, 0, why, sizeof(why)) == 0);
}

int
main(void)
{
	test_parse();
	test_long();
	test_passive();
	return check_summary("ctllist_test");
}
