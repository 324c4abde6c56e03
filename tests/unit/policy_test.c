/*
 * policy_test: the controller's DVFS policy table (core/policy.c): known
 * names, parameters checked against their range, defaults filled in, and
 * the exact message of each refusal.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *name;
	struct policy_arg args[3];
	int nargs;
	const char *error; /* exact message, or NULL: accepted */
	const char *param; /* when accepted: the one parameter, or NULL */
	double value;      /* its value */
} cases[] = {
    {"performance", {{0}}, 0, NULL, NULL, 0},
    {"powersave", {{0}}, 0, NULL, NULL, 0},
    {"thermal", {{0}}, 0, NULL, "target_c", 80},
    {"thermal", {{"target_c", 70, 1}}, 1, NULL, "target_c", 70},
    {"energy", {{0}}, 0, NULL, "slowdown_pct", 5},
    {"power_cap", {{"cap_w", 4000, 1}}, 1, NULL, "cap_w", 4000},
    {"curtail", {{"fraction", 0.5, 1}}, 1, NULL, "fraction", 0.5},
    {"turbo", {{0}}, 0,
        "unknown policy 'turbo' (performance, powersave, power_cap, "
        "thermal, energy, curtail)",
        NULL, 0},
    {"power_cap", {{0}}, 0, "policy power_cap needs cap_w", NULL, 0},
    {"power_cap", {{"cap_w", 50, 1}}, 1, "cap_w must be a number in 100..1e+06",
        NULL, 0},
    {"thermal", {{"target_c", 0, 0}}, 1, "target_c must be a number in 30..110",
        NULL, 0},
    {"performance", {{"cap_w", 500, 1}}, 1,
        "policy performance takes no parameter 'cap_w'", NULL, 0},
    {"energy", {{"slowdown_pct", 10, 1}, {"fraction", 1, 1}}, 2,
        "policy energy takes no parameter 'fraction'", NULL, 0},
};

int
main(void)
{
	int pass = 0, fail = 0;
	size_t i;

	for (i = 0; i < N(cases); i++) {
		struct policy p;
		char err[256] = "";
		int rc = policy_check(cases[i].name, cases[i].args,
		    cases[i].nargs, &p, err, sizeof(err));
		int good;

		if (cases[i].error != NULL)
			good = rc == -1 && strcmp(err, cases[i].error) == 0;
		else if (cases[i].param == NULL)
			good = rc == 0 && strcmp(p.name, cases[i].name) == 0 &&
			       p.nparams == 0;
		else
			good = rc == 0 && strcmp(p.name, cases[i].name) == 0 &&
			       p.nparams == 1 &&
			       strcmp(p.params[0].name, cases[i].param) == 0 &&
			       p.params[0].value == cases[i].value;
		if (good) {
			pass++;
		} else {
			fail++;
			printf("FAIL case %zu (%s): rc=%d err='%s'\n", i,
			    cases[i].name, rc, err);
		}
	}
	printf("policy_test: %d passed, %d failed\n", pass, fail);
	return fail != 0 || pass == 0;
}
