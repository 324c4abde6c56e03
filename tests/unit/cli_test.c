/*
 * Unit tests of podctl's pure parts: the option parser and comma lists
 * (args.c), the value formatting (fmt.c) and the table layout, column
 * choice and printing (table.c). Each group is a static table of cases;
 * the last line says how many passed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "check.h"
#include "fmt.h"
#include "table.h"

/* --- args ------------------------------------------------------------ */

static const struct args_opt test_opts[] = {
    {"server", 0, 1},
    {"output", 'o', 1},
    {"help", 'h', 0},
};

/*
 * Per case: name; argv as one space-separated string; flags; expected
 * result (0 or -1); then, when it succeeds, the expected values of
 * --server, --output and --help (NULL when absent) and the positionals
 * joined by spaces; when it fails, a fragment of the message.
 */
static const struct {
	const char *name;
	const char *argv;
	int flags;
	int result;
	const char *server, *output, *help;
	const char *pos_or_err;
} args_cases[] = {
    {"empty", "", 0, 0, NULL, NULL, NULL, ""},
    {"long with space", "--server http://x:1 nodes", 0, 0, "http://x:1", NULL,
        NULL, "nodes"},
    {"long with equals", "--server=http://x:1", 0, 0, "http://x:1", NULL, NULL,
        ""},
    {"short with space", "-o json pods", 0, 0, NULL, "json", NULL, "pods"},
    {"short joined", "-ojson", 0, 0, NULL, "json", NULL, ""},
    {"flag", "-h", 0, 0, NULL, NULL, "", ""},
    {"long flag", "--help x", 0, 0, NULL, NULL, "", "x"},
    {"intermixed", "node a --server s b", 0, 0, "s", NULL, NULL, "node a b"},
    {"stop at positional", "-o json node drain --server s",
        ARGS_STOP_AT_POSITIONAL, 0, NULL, "json", NULL,
        "node drain --server s"},
    {"double dash", "-o table -- -h --server", 0, 0, NULL, "table", NULL,
        "-h --server"},
    {"double dash stop", "-- -h", ARGS_STOP_AT_POSITIONAL, 0, NULL, NULL, NULL,
        "-h"},
    {"lone dash", "- x", 0, 0, NULL, NULL, NULL, "- x"},
    {"negative number", "cap -1 -o json", 0, 0, NULL, "json", NULL, "cap -1"},
    {"negative decimal", "-0.5", 0, 0, NULL, NULL, NULL, "-0.5"},
    {"negative stops", "-1 -o json", ARGS_STOP_AT_POSITIONAL, 0, NULL, NULL,
        NULL, "-1 -o json"},
    {"last wins", "-o table -o json", 0, 0, NULL, "json", NULL, ""},
    {"empty value", "--server=", 0, 0, "", NULL, NULL, ""},
    {"unknown long", "--bogus", 0, -1, NULL, NULL, NULL,
        "unknown option '--bogus'"},
    {"unknown long with value", "--bogus=1", 0, -1, NULL, NULL, NULL,
        "unknown option '--bogus'"},
    {"unknown short", "-x", 0, -1, NULL, NULL, NULL, "unknown option '-x'"},
    {"missing value", "nodes --server", 0, -1, NULL, NULL, NULL,
        "'--server' needs a value"},
    {"missing short value", "-o", 0, -1, NULL, NULL, NULL,
        "'-o' needs a value"},
    {"flag with value", "--help=yes", 0, -1, NULL, NULL, NULL,
        "'--help' takes no value"},
    {"short flag with value", "-hx", 0, -1, NULL, NULL, NULL,
        "'-h' takes no value"},
    {"prefix is not a match", "--serv x", 0, -1, NULL, NULL, NULL,
        "unknown option '--serv'"},
    {"options after positionals", "jobs x -o json --server=u", 0, 0, "u",
        "json", NULL, "jobs x"},
    {"options end at double dash", "-o json -- sleep -o table", 0, 0, NULL,
        "json", NULL, "sleep -o table"},
};

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
test_args(void)
{
	char buf[256], *argv[32], err[128], got[256], detail[512];
	struct args a;
	size_t i, len;
	int argc, r, k, ok;

	for (i = 0; i < sizeof(args_cases) / sizeof(args_cases[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", args_cases[i].argv);
		argc = 0;
		for (char *p = buf; *p != '\0' && argc < 32;) {
			argv[argc++] = p;
			p += strcspn(p, " ");
			if (*p == ' ')
				*p++ = '\0';
		}
		err[0] = '\0';
		r = args_parse(argc, argv, test_opts,
		    sizeof(test_opts) / sizeof(test_opts[0]),
		    args_cases[i].flags, &a, err, sizeof(err));
		got[0] = '\0';
		if (r == 0)
			for (k = 0, len = 0; k < a.npos; k++)
				len += snprintf(got + len, sizeof(got) - len,
				    "%s%s", k > 0 ? " " : "", a.pos[k]);
		if (args_cases[i].result == 0)
			ok = r == 0 &&
			     same(args_get(&a, "server"),
			         args_cases[i].server) &&
			     same(args_get(&a, "output"),
			         args_cases[i].output) &&
			     same(args_get(&a, "help"), args_cases[i].help) &&
			     strcmp(got, args_cases[i].pos_or_err) == 0 &&
			     args_get(&a, "nonexistent") == NULL;
		else
			ok = r == -1 &&
			     strstr(err, args_cases[i].pos_or_err) != NULL;
		snprintf(detail, sizeof(detail),
		    "result %d, positionals '%s', error '%s'", r, got, err);
		CHECK(ok, "args: %s: %s", args_cases[i].name, detail);
	}
}

/* --- comma lists ----------------------------------------------------- */

static int
is_state(const char *s)
{
	return strcmp(s, "idle") == 0 || strcmp(s, "down") == 0 ||
	       strcmp(s, "drained") == 0;
}

/* Per case: the list; the bad item expected, or NULL when it passes. */
static const struct {
	const char *list;
	const char *bad;
} list_cases[] = {
    {"idle", NULL},
    {"drained,down", NULL},
    {"idle,idle,down", NULL},
    {"sleepy", "sleepy"},
    {"drained,sleepy", "sleepy"},
    {"drained,,down", ""},
    {"drained,", ""},
    {",drained", ""},
    {"", ""},
    {"Idle", "Idle"},
};

static void
test_lists(void)
{
	char bad[32], detail[96];
	size_t i;
	int r;

	for (i = 0; i < sizeof(list_cases) / sizeof(list_cases[0]); i++) {
		snprintf(bad, sizeof(bad), "unset");
		r = args_list_check(
		    list_cases[i].list, is_state, bad, sizeof(bad));
		snprintf(detail, sizeof(detail), "result %d bad '%s'", r, bad);
		CHECK(list_cases[i].bad == NULL
		          ? r == 0
		          : r == -1 && strcmp(bad, list_cases[i].bad) == 0,
		    "list: %s: %s", list_cases[i].list, detail);
	}
}

static void
test_args_limits(void)
{
	char *argv[ARGS_MAX_POS + 1], err[128];
	struct args a;
	int i;

	for (i = 0; i < ARGS_MAX_POS + 1; i++)
		argv[i] = "x";
	CHECK(args_parse(ARGS_MAX_POS, argv, test_opts, 3, 0, &a, err,
	          sizeof(err)) == 0 &&
	          a.npos == ARGS_MAX_POS,
	    "args: %s: %s", "positionals up to the cap", err);
	CHECK(args_parse(ARGS_MAX_POS + 1, argv, test_opts, 3, 0, &a, err,
	          sizeof(err)) == -1 &&
	          strstr(err, "too many") != NULL,
	    "args: %s: %s", "positionals past the cap", err);
	/* Stopping at the first positional has no cap: argv is kept. */
	CHECK(args_parse(ARGS_MAX_POS + 1, argv, test_opts, 3,
	          ARGS_STOP_AT_POSITIONAL, &a, err, sizeof(err)) == 0 &&
	          a.npos == ARGS_MAX_POS + 1 && a.pos == argv,
	    "args: %s: %s", "stop keeps all", err);
}

/* --- fmt ------------------------------------------------------------- */

static const char *row_json =
    "{\"name\":\"pod01-n003\",\"power_w\":5230.4,\"budget_w\":1000000,"
    "\"temp_c\":61.25,\"neg\":-0.01,\"null\":null,\"text\":\"x\","
    "\"up\":127,\"total\":128,\"mem_used_mib\":12595.2,"
    "\"mem_total_mib\":81920,\"leak\":false,\"wet\":true,"
    "\"seen\":\"2026-11-27T21:05:03Z\",\"bad_time\":\"yesterday\","
    "\"future\":\"2026-11-27T21:06:00Z\"}";

#define NOW_MS 1795813503000LL /* 2026-11-27T21:05:03Z */

/*
 * Per case: name; the field (kind, member, second member, scale, places);
 * the text expected.
 */
static const struct {
	const char *name;
	struct fmt_field f;
	int64_t now_ms;
	const char *want;
} field_cases[] = {
    {"string", FMT_FIELD_STR("name"), 0, "pod01-n003"},
    {"string null", FMT_FIELD_STR("null"), 0, "-"},
    {"string missing", FMT_FIELD_STR("nope"), 0, "-"},
    {"string from number", FMT_FIELD_STR("power_w"), 0, "-"},
    {"watts", FMT_FIELD_NUM("power_w", 1, 0), 0, "5230"},
    {"zero scale is one", FMT_FIELD_NUM("power_w", 0, 1), 0, "5230.4"},
    {"kilowatts", FMT_FIELD_NUM("power_w", 1e-3, 1), 0, "5.2"},
    {"integer to kW", FMT_FIELD_NUM("budget_w", 1e-3, 1), 0, "1000.0"},
    {"rounding", FMT_FIELD_NUM("temp_c", 1, 1), 0, "61.2"},
    {"no negative zero", FMT_FIELD_NUM("neg", 1, 1), 0, "0.0"},
    {"number null", FMT_FIELD_NUM("null", 1, 1), 0, "-"},
    {"number missing", FMT_FIELD_NUM("nope", 1, 1), 0, "-"},
    {"number from string", FMT_FIELD_NUM("text", 1, 1), 0, "-"},
    {"ratio", FMT_FIELD_RATIO("up", "total", 1, 0), 0, "127/128"},
    {"ratio GiB",
        FMT_FIELD_RATIO("mem_used_mib", "mem_total_mib", 1.0 / 1024, 1), 0,
        "12.3/80.0"},
    {"ratio unknown side", FMT_FIELD_RATIO("up", "null", 1, 0), 0, "127/-"},
    {"bool false", FMT_FIELD_BOOL("leak"), 0, "no"},
    {"bool true", FMT_FIELD_BOOL("wet"), 0, "yes"},
    {"bool null", FMT_FIELD_BOOL("null"), 0, "-"},
    {"age now", FMT_FIELD_AGE("seen"), NOW_MS, "0s"},
    {"age seconds", FMT_FIELD_AGE("seen"), NOW_MS + 42999, "42s"},
    {"age minutes", FMT_FIELD_AGE("seen"), NOW_MS + 312000, "5m12s"},
    {"age hours", FMT_FIELD_AGE("seen"), NOW_MS + (3 * 3600 + 300) * 1000LL,
        "3h05m"},
    {"age days", FMT_FIELD_AGE("seen"),
        NOW_MS + (2 * 86400 + 4 * 3600) * 1000LL, "2d04h"},
    {"age in the future", FMT_FIELD_AGE("future"), NOW_MS, "0s"},
    {"age null", FMT_FIELD_AGE("null"), NOW_MS, "-"},
    {"age unparsable", FMT_FIELD_AGE("bad_time"), NOW_MS, "-"},
};

static void
test_fields(void)
{
	char buf[64], detail[128];
	const char *got;
	json_error_t e;
	json_t *row;
	size_t i;

	if ((row = json_loads(row_json, 0, &e)) == NULL) {
		CHECK(0, "fmt: %s: %s", "test row", e.text);
		return;
	}
	for (i = 0; i < sizeof(field_cases) / sizeof(field_cases[0]); i++) {
		got = fmt_field(buf, sizeof(buf), row, &field_cases[i].f,
		    field_cases[i].now_ms);
		snprintf(detail, sizeof(detail), "got '%s', want '%s'", got,
		    field_cases[i].want);
		CHECK(strcmp(got, field_cases[i].want) == 0, "fmt: %s: %s",
		    field_cases[i].name, detail);
	}
	json_decref(row);
}

static void
test_width(void)
{
	CHECK(fmt_width("") == 0, "width: %s: %s", "empty", "");
	CHECK(fmt_width("abc") == 3, "width: %s: %s", "ascii", "");
	CHECK(fmt_width("61 \xc2\xb0"
	                "C") == 5,
	    "width: %s: %s", "degree sign", "");
}

/* --- table ----------------------------------------------------------- */

#define L TABLE_LEFT
#define R TABLE_RIGHT

/* Four columns: A always, B priority 2, C priority 3 (dropped first), D
 * free text of priority 1 that may be cut to 5. */
static const struct table_col layout_cols[] = {
    {"A", 0, L, 0, FMT_FIELD_STR("a")},
    {"B", 2, R, 0, FMT_FIELD_STR("b")},
    {"C", 3, R, 0, FMT_FIELD_STR("c")},
    {"D", 1, L, 5, FMT_FIELD_STR("d")},
};

/* Per case: name; natural widths; terminal width; expected widths (0 =
 * dropped). Separators are TABLE_SEP (2) wide. */
static const struct {
	const char *name;
	int natural[4];
	int width;
	int want[4];
} layout_cases[] = {
    {"fits", {4, 4, 4, 10}, 100, {4, 4, 4, 10}},
    {"exactly", {4, 4, 4, 10}, 28, {4, 4, 4, 10}},
    {"cut text", {4, 4, 4, 10}, 25, {4, 4, 4, 7}},
    {"cut text to min", {4, 4, 4, 10}, 23, {4, 4, 4, 5}},
    {"drop, then text regains all", {4, 4, 4, 10}, 22, {4, 4, 0, 10}},
    {"drop, then text regains some", {4, 4, 4, 10}, 20, {4, 4, 0, 8}},
    {"drop two", {4, 4, 4, 10}, 15, {4, 0, 0, 9}},
    {"drop text last", {4, 4, 4, 10}, 9, {4, 0, 0, 0}},
    {"required overflow", {12, 4, 4, 10}, 5, {12, 0, 0, 0}},
    {"zero natural", {0, 0, 0, 0}, 100, {1, 1, 1, 1}},
};

static void
test_layout(void)
{
	char detail[128];
	int got[4], i, ok;
	size_t c;

	for (c = 0; c < sizeof(layout_cases) / sizeof(layout_cases[0]); c++) {
		table_layout(layout_cols, 4, layout_cases[c].natural,
		    layout_cases[c].width, got);
		for (ok = 1, i = 0; i < 4; i++)
			ok &= got[i] == layout_cases[c].want[i];
		snprintf(detail, sizeof(detail), "got %d %d %d %d", got[0],
		    got[1], got[2], got[3]);
		CHECK(ok, "layout: %s: %s", layout_cases[c].name, detail);
	}
}

/* Columns of equal priority go together: a pair is never split. */
static const struct table_col pair_cols[] = {
    {"A", 0, L, 0, FMT_FIELD_STR("a")},
    {"IN", 1, R, 0, FMT_FIELD_STR("in")},
    {"OUT", 1, R, 0, FMT_FIELD_STR("out")},
};

static void
test_layout_pairs(void)
{
	static const int natural[] = {4, 4, 4};
	char detail[64];
	int got[3];

	table_layout(pair_cols, 3, natural, 14, got);
	snprintf(
	    detail, sizeof(detail), "got %d %d %d", got[0], got[1], got[2]);
	CHECK(got[0] == 4 && got[1] == 0 && got[2] == 0, "layout: %s: %s",
	    "pair dropped together", detail);
	table_layout(pair_cols, 3, natural, 16, got);
	snprintf(
	    detail, sizeof(detail), "got %d %d %d", got[0], got[1], got[2]);
	CHECK(got[0] == 4 && got[1] == 4 && got[2] == 4, "layout: %s: %s",
	    "pair kept together", detail);
}

static const struct table_col print_cols[] = {
    {"NAME", 0, L, 0, FMT_FIELD_STR("name")},
    {"POWER_W", 1, R, 0, FMT_FIELD_NUM("power_w", 1, 0)},
    {"REASON", 2, L, 6, FMT_FIELD_STR("reason")},
};

/* Per case: terminal width and the exact text printed for print_rows. */
static const char *print_rows =
    "[{\"name\":\"n1\",\"power_w\":5230.4,\"reason\":\"cold plate swap\"},"
    "{\"name\":\"n2\",\"power_w\":null,\"reason\":null}]";

static const struct {
	const char *name;
	int width;
	int noheader;
	const char *want;
} print_cases[] = {
    {"wide", 80, 0,
        "NAME  POWER_W  REASON\n"
        "n1       5230  cold plate swap\n"
        "n2          -  -\n"},
    {"no header", 80, 1,
        "n1  5230  cold plate swap\n"
        "n2     -  -\n"},
    {"no fit", TABLE_NO_FIT, 0,
        "NAME  POWER_W  REASON\n"
        "n1       5230  cold plate swap\n"
        "n2          -  -\n"},
    {"cut", 26, 0,
        "NAME  POWER_W  REASON\n"
        "n1       5230  cold pla...\n"
        "n2          -  -\n"},
    {"dropped", 14, 0,
        "NAME  POWER_W\n"
        "n1       5230\n"
        "n2          -\n"},
};

static void
test_print(void)
{
	char *out = NULL, detail[512];
	struct table *t;
	json_error_t e;
	json_t *rows;
	size_t len, i, c;
	FILE *f;

	if ((rows = json_loads(print_rows, 0, &e)) == NULL) {
		CHECK(0, "print: %s: %s", "test rows", e.text);
		return;
	}
	for (c = 0; c < sizeof(print_cases) / sizeof(print_cases[0]); c++) {
		if ((t = table_new(print_cols, 3)) == NULL ||
		    (f = open_memstream(&out, &len)) == NULL) {
			CHECK(0, "print: %s: %s", print_cases[c].name, "setup");
			table_free(t);
			continue;
		}
		for (i = 0; i < json_array_size(rows); i++)
			table_add_row(t, json_array_get(rows, i), 0);
		table_print(
		    f, t, print_cases[c].width, print_cases[c].noheader);
		fclose(f);
		snprintf(detail, sizeof(detail), "got\n%s", out);
		CHECK(strcmp(out, print_cases[c].want) == 0, "print: %s: %s",
		    print_cases[c].name, detail);
		free(out);
		out = NULL;
		table_free(t);
	}
	json_decref(rows);
}

/* --- column choice --------------------------------------------------- */

/* Three columns shown by default and a wide one. */
static const struct table_col select_cols[] = {
    {"NAME", 0, L, 0, FMT_FIELD_STR("name")},
    {"STATE", 0, L, 0, FMT_FIELD_STR("state")},
    {"POWER_W", 1, R, 0, FMT_FIELD_NUM("power_w", 1, 0)},
    {"HEAT_W", TABLE_WIDE, R, 0, FMT_FIELD_NUM("heat_w", 1, 0)},
};

/*
 * Per case: name; --format (NULL for none); wide; the titles chosen,
 * joined by spaces, or NULL when refused with a fragment of the message.
 */
static const struct {
	const char *name;
	const char *format;
	int wide;
	const char *want;
	const char *err;
} select_cases[] = {
    {"default", NULL, 0, "NAME STATE POWER_W", NULL},
    {"wide", NULL, 1, "NAME STATE POWER_W HEAT_W", NULL},
    {"named", "name,state,power_w", 0, "NAME STATE POWER_W", NULL},
    {"reordered", "power_w,name", 0, "POWER_W NAME", NULL},
    {"wide by name", "name,heat_w", 0, "NAME HEAT_W", NULL},
    {"either case", "NAME,State", 0, "NAME STATE", NULL},
    {"repeated", "name,name", 0, "NAME NAME", NULL},
    {"one", "state", 1, "STATE", NULL},
    {"unknown", "name,watts", 0, NULL,
        "unknown column 'watts' (columns: name, state, power_w, heat_w)"},
    {"prefix is not a match", "pow", 0, NULL, "unknown column 'pow'"},
    {"empty item", "name,,state", 0, NULL, "an empty column name"},
    {"empty", "", 0, NULL, "an empty column name"},
    {"trailing comma", "name,", 0, NULL, "an empty column name"},
};

static void
test_select(void)
{
	struct table_col out[TABLE_MAX_COLS];
	char err[256], got[256], detail[640];
	size_t c, len;
	int n, i, ok;

	for (c = 0; c < sizeof(select_cases) / sizeof(select_cases[0]); c++) {
		err[0] = got[0] = '\0';
		n = table_select(select_cols, 4, select_cases[c].format,
		    select_cases[c].wide, out, err, sizeof(err));
		for (i = 0, len = 0; i < n; i++)
			len += snprintf(got + len, sizeof(got) - len, "%s%s",
			    i > 0 ? " " : "", out[i].title);
		if (select_cases[c].want != NULL)
			ok = n >= 0 && strcmp(got, select_cases[c].want) == 0;
		else
			ok =
			    n == -1 && strstr(err, select_cases[c].err) != NULL;
		snprintf(detail, sizeof(detail), "got %d '%s' err '%s'", n, got,
		    err);
		CHECK(ok, "select: %s: %s", select_cases[c].name, detail);
	}
}

int
main(void)
{
	test_args();
	test_args_limits();
	test_lists();
	test_select();
	test_fields();
	test_width();
	test_layout();
	test_layout_pairs();
	test_print();
	return check_summary("cli_test");
}
