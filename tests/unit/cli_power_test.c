/*
 * Unit tests of podctl's power parts (powreq.c): strict numbers, the body
 * of "policy set" from its options and words, the bodies of "power cap"
 * and "power curtail", the text of a policy's parameters, and the budget
 * line of "power get" under a cap or a curtailment. Each group
 * is a static table of cases; the last line says how many passed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "powreq.h"

#define MAX_WORDS 8

/* The body as compact JSON with sorted keys, or "(null)". Caller frees. */
static char *
dump(json_t *body)
{
	if (body == NULL)
		return strdup("(null)");
	return json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
}

/* --- numbers ---------------------------------------------------------- */

/* Per case: the text; 0 with the value, or -1. */
static const struct {
	const char *s;
	int result;
	double v;
} number_cases[] = {
    {"0", 0, 0},
    {"850", 0, 850},
    {"850.5", 0, 850.5},
    {"-3", 0, -3},
    {"-0.25", 0, -0.25},
    {"007", 0, 7},
    {"12345678901234567890", 0, 12345678901234567890.0},
    {"", -1, 0},
    {"-", -1, 0},
    {".5", -1, 0},
    {"5.", -1, 0},
    {"+5", -1, 0},
    {" 5", -1, 0},
    {"5 ", -1, 0},
    {"1e3", -1, 0},
    {"0x10", -1, 0},
    {"inf", -1, 0},
    {"nan", -1, 0},
    {"1,5", -1, 0},
    {"1.2.3", -1, 0},
    {"--1", -1, 0},
    {"abc", -1, 0},
    {"123456789012345678901234567890123", -1, 0},
};

static void
test_numbers(void)
{
	char detail[128];
	size_t i;
	double v;
	int r;

	for (i = 0; i < sizeof(number_cases) / sizeof(number_cases[0]); i++) {
		v = -999;
		r = powreq_parse_number(number_cases[i].s, &v);
		snprintf(detail, sizeof(detail), "result %d, value %g", r, v);
		CHECK(r == number_cases[i].result &&
		          (r == -1 || v == number_cases[i].v),
		    "number: %s: %s", number_cases[i].s, detail);
	}
}

/* --- policy set ------------------------------------------------------- */

/*
 * Per case: name; --pod and --node (NULL when not given); the words
 * NAME [KEY=VALUE...] as one space-separated string; then the body as
 * compact JSON with sorted keys, or NULL with a fragment of the message.
 */
static const struct {
	const char *name;
	const char *pod, *node;
	const char *words;
	const char *body;
	const char *err;
} policy_cases[] = {
    {"fleet", NULL, NULL, "performance",
        "{\"name\":\"performance\",\"params\":{},\"scope\":\"fleet\"}", NULL},
    {"fleet powersave", NULL, NULL, "powersave",
        "{\"name\":\"powersave\",\"params\":{},\"scope\":\"fleet\"}", NULL},
    {"node cap", NULL, "pod01-n003", "power_cap cap_w=5000",
        "{\"name\":\"power_cap\",\"params\":{\"cap_w\":5000},"
        "\"scope\":\"node\",\"target\":\"pod01-n003\"}",
        NULL},
    {"pod thermal", "pod01", NULL, "thermal target_c=72.5",
        "{\"name\":\"thermal\",\"params\":{\"target_c\":72.5},"
        "\"scope\":\"pod\",\"target\":\"pod01\"}",
        NULL},
    {"energy", NULL, NULL, "energy slowdown_pct=5",
        "{\"name\":\"energy\",\"params\":{\"slowdown_pct\":5},"
        "\"scope\":\"fleet\"}",
        NULL},
    {"curtail", "pod02", NULL, "curtail fraction=0.25",
        "{\"name\":\"curtail\",\"params\":{\"fraction\":0.25},"
        "\"scope\":\"pod\",\"target\":\"pod02\"}",
        NULL},
    {"no params given", NULL, NULL, "power_cap",
        "{\"name\":\"power_cap\",\"params\":{},\"scope\":\"fleet\"}", NULL},
    {"negative value", NULL, NULL, "thermal target_c=-5",
        "{\"name\":\"thermal\",\"params\":{\"target_c\":-5},"
        "\"scope\":\"fleet\"}",
        NULL},
    {"inherit node", NULL, "pod01-n003", "inherit",
        "{\"name\":\"inherit\",\"params\":{},\"scope\":\"node\","
        "\"target\":\"pod01-n003\"}",
        NULL},
    {"inherit pod", "pod01", NULL, "inherit",
        "{\"name\":\"inherit\",\"params\":{},\"scope\":\"pod\","
        "\"target\":\"pod01\"}",
        NULL},
    {"inherit fleet", NULL, NULL, "inherit", NULL, "no policy to inherit"},
    {"inherit with params", "pod01", NULL, "inherit cap_w=1", NULL,
        "takes no parameters"},
    {"unknown policy", NULL, NULL, "turbo", NULL, "unknown policy 'turbo'"},
    {"policy case", NULL, NULL, "Performance", NULL, "unknown policy"},
    {"no policy", NULL, NULL, "", NULL, "missing the policy name"},
    {"param of another policy", NULL, NULL, "thermal cap_w=5000", NULL,
        "policy thermal has no parameter 'cap_w' (it takes only "
        "target_c)"},
    {"param of no policy", NULL, NULL, "performance cap_w=1", NULL,
        "it takes no parameters"},
    {"kW not W", NULL, NULL, "power_cap cap_kw=5", NULL,
        "no parameter 'cap_kw'"},
    {"not a number", NULL, NULL, "power_cap cap_w=abc", NULL,
        "cap_w needs a number such as 5000 or 0.25, not 'abc'"},
    {"empty value", NULL, NULL, "power_cap cap_w=", NULL, "needs a number"},
    {"exponent", NULL, NULL, "power_cap cap_w=5e3", NULL, "needs a number"},
    {"trailing junk", NULL, NULL, "power_cap cap_w=5000W", NULL,
        "needs a number"},
    {"no equals", NULL, NULL, "power_cap cap_w", NULL,
        "'cap_w' is not a parameter (KEY=VALUE)"},
    {"no key", NULL, NULL, "power_cap =5", NULL, "is not a parameter"},
    {"twice", NULL, NULL, "power_cap cap_w=1 cap_w=2", NULL,
        "'cap_w' given twice"},
    {"both targets", "pod01", "pod01-n003", "performance", NULL,
        "at most one of --pod and --node"},
    {"bad pod", "Pod 1", NULL, "performance", NULL, "invalid pod name"},
    {"bad node", NULL, "", "performance", NULL, "invalid node name"},
};

static void
test_policy(void)
{
	char buf[256], *words[MAX_WORDS], err[256], detail[768], *got;
	json_t *body;
	size_t i;
	int n, ok;

	for (i = 0; i < sizeof(policy_cases) / sizeof(policy_cases[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", policy_cases[i].words);
		n = 0;
		for (char *p = buf; *p != '\0' && n < MAX_WORDS;) {
			words[n++] = p;
			p += strcspn(p, " ");
			if (*p == ' ')
				*p++ = '\0';
		}
		err[0] = '\0';
		body = powreq_policy_body(policy_cases[i].pod,
		    policy_cases[i].node, words, n, err, sizeof(err));
		got = dump(body);
		if (policy_cases[i].body != NULL)
			ok = got != NULL &&
			     strcmp(got, policy_cases[i].body) == 0;
		else
			ok = body == NULL &&
			     strstr(err, policy_cases[i].err) != NULL;
		snprintf(detail, sizeof(detail), "body %s, error '%s'",
		    got ? got : "(none)", err);
		CHECK(ok, "policy: %s: %s", policy_cases[i].name, detail);
		free(got);
		json_decref(body);
	}
}

/* --- power cap and curtail -------------------------------------------- */

/* Per case: the argument; the body as compact JSON, or NULL with a
 * fragment of the message. */
struct body_case {
	const char *s;
	const char *body;
	const char *err;
};

static const struct body_case cap_cases[] = {
    {"none", "{\"cap_w\":null}", NULL},
    {"850", "{\"cap_w\":850000}", NULL},
    {"850.5", "{\"cap_w\":850500}", NULL},
    {"1", "{\"cap_w\":1000}", NULL},
    {"1.0005", "{\"cap_w\":1001}", NULL},
    {"1.1", "{\"cap_w\":1100}", NULL},
    {"1000000", "{\"cap_w\":1000000000}", NULL},
    {"0", NULL, "from 1 to 1000000 kW, not '0'"},
    {"0.0", NULL, "from 1 to 1000000 kW"},
    {"0.999", NULL, "from 1 to 1000000 kW"},
    {"-1", NULL, "from 1 to 1000000 kW, not '-1'"},
    {"abc", NULL, "a number of kW such as 850 or 850.5, or 'none'"},
    {"", NULL, "a number of kW"},
    {"None", NULL, "a number of kW"},
    {"850kW", NULL, "a number of kW"},
    {"8.5e2", NULL, "a number of kW"},
    {"1000000.1", NULL, "from 1 to 1000000 kW"},
};

static const struct body_case curtail_cases[] = {
    {"0", "{\"curtail_pct\":0}", NULL},
    {"-0", "{\"curtail_pct\":0}", NULL},
    {"20", "{\"curtail_pct\":20}", NULL},
    {"12.5", "{\"curtail_pct\":12.5}", NULL},
    {"100", "{\"curtail_pct\":100}", NULL},
    {"100.0", "{\"curtail_pct\":100.0}", NULL},
    {"100.5", NULL, "from 0 to 100"},
    {"101", NULL, "from 0 to 100 (0 ends it), not '101'"},
    {"-1", NULL, "from 0 to 100"},
    {"-0.5", NULL, "from 0 to 100"},
    {"abc", NULL, "not 'abc'"},
    {"20%", NULL, "not '20%'"},
    {"", NULL, "from 0 to 100"},
};

static void
test_bodies(const char *group, const struct body_case *cases, size_t n,
    json_t *(*build)(const char *, char *, size_t))
{
	char err[256], detail[512], *got;
	json_t *body;
	size_t i;
	int ok;

	for (i = 0; i < n; i++) {
		err[0] = '\0';
		body = build(cases[i].s, err, sizeof(err));
		got = dump(body);
		if (cases[i].body != NULL)
			ok = got != NULL && strcmp(got, cases[i].body) == 0;
		else
			ok = body == NULL && strstr(err, cases[i].err) != NULL;
		snprintf(detail, sizeof(detail), "body %s, error '%s'",
		    got ? got : "(none)", err);
		CHECK(ok, "%s: %s: %s", group, cases[i].s, detail);
		free(got);
		json_decref(body);
	}
}

/* --- parameters as text ------------------------------------------------ */

/* Per case: name; a policy as JSON; its text, as "policy get" shows it. */
static const struct {
	const char *name;
	const char *json;
	const char *text;
} text_cases[] = {
    {"no params", "{\"name\":\"performance\",\"params\":{}}", "performance"},
    {"params missing", "{\"name\":\"performance\"}", "performance"},
    {"integer", "{\"name\":\"power_cap\",\"params\":{\"cap_w\":5000}}",
        "power_cap cap_w=5000"},
    {"whole real", "{\"name\":\"power_cap\",\"params\":{\"cap_w\":5000.0}}",
        "power_cap cap_w=5000"},
    {"fraction", "{\"name\":\"curtail\",\"params\":{\"fraction\":0.25}}",
        "curtail fraction=0.25"},
    {"sorted", "{\"name\":\"x\",\"params\":{\"b\":2,\"a\":1,\"c\":\"on\"}}",
        "x a=1 b=2 c=\"on\""},
    {"null", "null", "-"},
    {"no name", "{\"params\":{\"a\":1}}", "-"},
};

static void
test_text(void)
{
	char buf[128], detail[256];
	json_t *v;
	size_t i;

	for (i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++) {
		v = json_loads(text_cases[i].json, JSON_DECODE_ANY, NULL);
		powreq_policy_text(buf, sizeof(buf), v);
		snprintf(detail, sizeof(detail), "got '%s'", buf);
		CHECK(strcmp(buf, text_cases[i].text) == 0, "text: %s: %s",
		    text_cases[i].name, detail);
		json_decref(v);
	}
	/* A text longer than the buffer is cut, not overrun. */
	v = json_loads("{\"a\":1,\"b\":2,\"c\":3}", 0, NULL);
	powreq_params_text(buf, 8, v);
	CHECK(strcmp(buf, "a=1 b=2") == 0, "text: %s: %s", "cut", buf);
	json_decref(v);
}

/* --- budgets ------------------------------------------------------------ */

/* Per case: name; the fabric or a pod of GET /api/v1/power as JSON; the
 * budget as "power get" shows it; the words of CAPPED_BY. */
static const struct {
	const char *name;
	const char *json;
	const char *text;
	const char *by;
} budget_cases[] = {
    {"uncapped",
        "{\"budget_w\":850000,\"configured_budget_w\":850000,"
        "\"budget_capped_by\":null}",
        "850.0 kW budget", ""},
    {"facility cap",
        "{\"budget_w\":30000,\"configured_budget_w\":850000,"
        "\"budget_capped_by\":\"facility_cap\"}",
        "30.0 kW budget, capped by the facility cap (850.0 kW configured)",
        "facility cap"},
    {"curtailment",
        "{\"budget_w\":23750.5,\"configured_budget_w\":1700000,"
        "\"budget_capped_by\":\"curtailment\"}",
        "23.8 kW budget, capped by the curtailment (1700.0 kW configured)",
        "curtailment"},
    {"a later reason", "{\"budget_w\":1000,\"budget_capped_by\":\"bms\"}",
        "1.0 kW budget, capped by the bms (- kW configured)", "bms"},
    {"older server", "{\"budget_w\":850000}", "850.0 kW budget", ""},
    {"no budget", "{}", "- kW budget", ""},
    {"not an object", "[]", "- kW budget", ""},
};

static void
test_budgets(void)
{
	char buf[128], detail[256];
	const char *by;
	json_t *v;
	size_t i;

	for (i = 0; i < sizeof(budget_cases) / sizeof(budget_cases[0]); i++) {
		v = json_loads(budget_cases[i].json, JSON_DECODE_ANY, NULL);
		powreq_budget_text(buf, sizeof(buf), v);
		by = powreq_capped_by_text(v);
		snprintf(detail, sizeof(detail), "got '%s', capped by '%s'",
		    buf, by);
		CHECK(v != NULL && strcmp(buf, budget_cases[i].text) == 0 &&
		          strcmp(by, budget_cases[i].by) == 0,
		    "budget: %s: %s", budget_cases[i].name, detail);
		json_decref(v);
	}
}

int
main(void)
{
	test_numbers();
	test_policy();
	test_bodies("cap", cap_cases, sizeof(cap_cases) / sizeof(cap_cases[0]),
	    powreq_cap_body);
	test_bodies("curtail", curtail_cases,
	    sizeof(curtail_cases) / sizeof(curtail_cases[0]),
	    powreq_curtail_body);
	test_text();
	test_budgets();
	return check_summary("cli_power_test");
}
