/*
 * The configuration parsers. Golden files for the controller's parser
 * (controllerd/config.c): each case is data/config/NAME.conf in, and
 * data/config/NAME.out holds the normalized configuration (config_dump) or
 * the error line it must produce; run with POD_UPDATE_GOLDEN=1 to rewrite
 * the .out files, then review the diff. Then two static tables: the INI
 * dialect every daemon shares (common/conf.c), its entries and its
 * "file:line" refusals; and short controller files, each written to a
 * temporary t.conf, accepted with a line their dump must hold or refused
 * with the exact "t.conf:LINE: ..." message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "conf.h"
#include "config.h"

static const char *const cases[] = {
    "minimal",     /* an empty [controller]: every default */
    "override",    /* fabric defaults and a [pod NAME] override */
    "quoted",      /* quoted values and comments */
    "unknown_key", /* refused with file:line */
    "unknown_section", "bad_number", "out_of_range", "bad_listen",
    "no_such_pod", "too_many_groups", "no_equals", "key_outside_section",
    "pod_without_name", "bad_policy", "scheduler", "priority", "bad_favor",
    "time_limits",         /* no default time limit, a maximum */
    "time_limit_lowered",  /* a maximum below the default lowers it */
    "time_limit_over_max", /* a default over the maximum: refused */
    "health",              /* [health] rules */
    "bad_health",          /* a requeue that is not true or false */
    "quoted_edges",        /* values the dump must quote to keep */
    "pod_nodes_first",     /* fewer nodes, then fewer groups */
    "org",                 /* [qos NAME], [partition NAME], [accounts] */
    "org_bad_node",        /* a partition's node outside the fabric */
    "pg",                  /* a PostgreSQL database, an advertised URL */
    "pg_retention",        /* retention set in the file: kept on PostgreSQL */
    "pg_no_secret",        /* PostgreSQL without node_secret_file */
    "pg_lease",            /* a lease as long as the fence: refused */
    "pg_bad_url",          /* a libpq URL libpq refuses */
    "bad_advertise",       /* an advertised URL without http(s):// */
    "bad_controllers",     /* one of the site's controllers without it */
    "dup_controllers",     /* a controller named twice */
};

/*
 * The shared INI dialect. Columns: the text (as the file "t.conf"); the
 * entries it splits into as "[section arg] key=value@where;", or NULL;
 * the exact message when refused, or NULL.
 */
static const struct {
	const char *text, *entries, *err;
} conf_cases[] = {
    {"", "", NULL},
    {"# only a comment\n; and another\n\n", "", NULL},
    {"[a]\nk = v\n", "[a ] k=v@t.conf:2;", NULL},
    {"  [a  x1 ]  \n\tk\t=\tv w \n", "[a x1] k=v w@t.conf:2;", NULL},
    {"[a]\nk = \"  spaced # not a comment \"\n",
        "[a ] k=  spaced # not a comment @t.conf:2;", NULL},
    {"[a]\nk =\n", "[a ] k=@t.conf:2;", NULL},
    {"[a]\nk = v\r\n[b]\nk = w", "[a ] k=v@t.conf:2;[b ] k=w@t.conf:4;", NULL},
    {"[a]\nk = a=b\n", "[a ] k=a=b@t.conf:2;", NULL},
    {"k = v\n", NULL, "t.conf:1: k: key outside any [section]"},
    {"[a]\n\nnot a pair\n", NULL, "t.conf:3: expected 'key = value'"},
    {"[a\nk = v\n", NULL, "t.conf:1: section header needs a closing ']'"},
    {"[a] x\n", NULL, "t.conf:1: section header needs a closing ']'"},
    {"[]\n", NULL, "t.conf:1: bad section name ''"},
    {"[a b c]\n", NULL, "t.conf:1: bad section argument 'b c'"},
    {"[a]\nk k = v\n", NULL, "t.conf:2: bad key 'k k'"},
    {"[a]\n= v\n", NULL, "t.conf:2: bad key ''"},
    {"[a]\nk = \"open\n", NULL, "t.conf:2: k: unterminated quoted value"},
};

/*
 * Controller files. Columns: the text of t.conf; a line its config_dump
 * must hold when accepted (NULL when refused); the exact message after the
 * directory when refused.
 */
static const struct {
	const char *text, *dump_line, *err;
} config_cases[] = {
    {"", "heartbeat_timeout_s = 10", NULL},
    {"[controller]\nretention_days = 30\n", "retention_days = 30", NULL},
    {"", "limit_exempt = 127.0.0.1, ::1\n", NULL},
    {"[controller]\nlimit_exempt =\n", "limit_exempt =\n", NULL},
    {"[controller]\nwrite_rate_per_s = 0.5\nwrite_burst = 3\n",
        "write_rate_per_s = 0.5\nwrite_burst = 3\n", NULL},
    {"[controller]\nheader_timeout_s = 0\n", NULL,
        "t.conf:2: header_timeout_s: 0 is outside 1..3600"},
    {"[controller]\nmax_per_peer = 0\n", NULL,
        "t.conf:2: max_per_peer: 0 is outside 1..1000000"},
    {"[scheduler]\npolicy = conservative\n", "policy = conservative", NULL},
    {"[power]\nfacility_cap_kw = 1.5\n", "facility_cap_kw = 1.5", NULL},
    {"[fabric]\npods = 2\n[pod pod02]\naccels_per_node = 4\n", "[pod pod02]",
        NULL},
    {"[controller]\nheartbeat_timeout_s = 1\n", NULL,
        "t.conf:2: heartbeat_timeout_s: 1 is outside 2..3600"},
    {"[accounting]\nretention_days = 30\n",
        "[accounting]\nretention_days = 30\n", NULL},
    {"", "[accounting]\nretention_days = 400\n", NULL},
    {"[accounting]\nretention_days = 0\n", NULL,
        "t.conf:2: retention_days: 0 is outside 1..36500"},
    {"[controller]\nretention_days = 7d\n", NULL,
        "t.conf:2: retention_days: '7d' is not an integer"},
    {"[controller]\nlisten = 127.0.0.1\n", NULL,
        "t.conf:2: listen: '127.0.0.1' is not ADDRESS:PORT"},
    {"[controller]\ndatabase =\n", NULL,
        "t.conf:2: database: needs a value of 1 to 4095 characters"},
    {"[controller]\ntls_cert = /nonexistent/c.pem\n", NULL,
        "t.conf:2: [controller] tls_cert and tls_key go together: set both, "
        "or neither for plain HTTP"},
    {"[controller]\nlisten = 127.0.0.1:1\ntls_key = /nonexistent/k.pem\n", NULL,
        "t.conf:3: [controller] tls_cert and tls_key go together: set both, "
        "or neither for plain HTTP"},
    {"[controller]\ntls_cert = /nonexistent/c.pem\n"
     "tls_key = /nonexistent/k.pem\n",
        NULL,
        "t.conf:2: tls_cert: cannot read /nonexistent/c.pem: No such file or "
        "directory"},
    {"[controller]\ntls_cert = /dev/null\ntls_key = /nonexistent/k.pem\n", NULL,
        "t.conf:3: tls_key: cannot read /nonexistent/k.pem: No such file or "
        "directory"},
    {"[controller]\ntls_cert = /dev/null\ntls_key = /dev/null\n", NULL,
        "t.conf:3: tls_key: /dev/null is readable or writable by others "
        "(mode 0666); chmod o-rwx it"},
    /* an argument on a section without keys goes unnoticed */
    {"[controller x]\n", "heartbeat_timeout_s = 10", NULL},
    {"[controller x]\nlisten = 127.0.0.1:1\n", NULL,
        "t.conf:2: [controller] takes no argument"},
    {"[power]\nfacility_cap_kw = -1\n", NULL,
        "t.conf:2: facility_cap_kw: -1 is outside 0..1e+07"},
    {"[alarms]\nmax_supply_c = hot\n", NULL,
        "t.conf:2: max_supply_c: 'hot' is not a number"},
    {"[scheduler]\n\n\npolicy = sjf\n", NULL,
        "t.conf:4: policy: 'sjf' is not one of fcfs, easy, conservative"},
    {"[fabric]\npods = 2\n[pod pod01]\ngroups = 0\n", NULL,
        "t.conf:4: groups: 0 is outside 1..4096"},
    {"[fabric]\nnodes_per_pod = 4\n[pod pod01]\nflavour = x\n", NULL,
        "t.conf:4: unknown key 'flavour' in [pod]"},
    {"[modbus]\nallow_write = 10.0.0.0/33\n", NULL,
        "t.conf:2: allow_write: '/33' is not a prefix length for 10.0.0.0"},
    {"[agent]\nserver = x\n", NULL, "t.conf:2: unknown section [agent]"},
    /* the organisation: QOS, partitions (built-in ones without) */
    {"", "[qos normal]\npriority = 0\n", NULL},
    {"", "[partition all]\ndefault = true\n", NULL},
    {"", "default_qos = normal\nmaint_notice_h = 24\n", NULL},
    {"[qos high]\npriority = 5\n", "default_qos = high\n", NULL},
    {"[partition a]\npods = pod01\n[partition b]\n"
     "max_time_s = 60\n",
        "[partition a]\npods = pod01\ndefault = true\n", NULL},
    {"[qos]\npriority = 1\n", NULL,
        "t.conf:2: [qos] needs a name of 1 to 63 characters A-Z a-z 0-9 - _ "
        ". as in [qos normal]"},
    {"[qos a]\nmax_wall_s = -1\n", NULL,
        "t.conf:2: max_wall_s: -1 is outside 0..31622400"},
    {"[qos a]\nflavour = x\n", NULL,
        "t.conf:2: unknown key 'flavour' in [qos]"},
    {"[scheduler]\ndefault_qos = gold\n[qos normal]\npriority = 1\n", NULL,
        "t.conf:2: default_qos: no [qos gold] in the file"},
    {"[qos a]\n\npreempt = b\n", NULL,
        "t.conf:3: [qos a] preempt: no such QOS 'b'"},
    {"[qos a]\npreempt = a\n", NULL,
        "t.conf:2: [qos a] preempt: a QOS cannot preempt itself"},
    {"[partition a]\npods = pod02\n", NULL,
        "t.conf:2: [partition a] pods: no pod 'pod02' in the fabric"},
    {"[partition a]\ngroups = pod01-g9\n", NULL,
        "t.conf:2: [partition a] groups: no group 'pod01-g9' in the "
        "fabric"},
    {"[partition a]\nnodes = pod01-n[1-2\n", NULL,
        "t.conf:2: [partition a] nodes: host list 'pod01-n[1-2': '[' "
        "without ']'"},
    {"[partition a]\naccounts = a b\n", NULL,
        "t.conf:2: [partition a] accounts: 'a b' is not an account name"},
    {"[partition a]\ndefault = yes\n", NULL,
        "t.conf:2: default: 'yes' is not one of false, true"},
    {"[partition a]\ndefault = true\n[partition b]\ndefault = true\n", NULL,
        "t.conf:4: [partition b] default: partition a is the default "
        "already"},
    {"[partition a]\ndefault_time_s = 70\nmax_time_s = 60\n", NULL,
        "t.conf:2: [partition a] default_time_s (70) is longer than "
        "max_time_s (60)"},
    {"[accounts]\nenforce = 1\n", NULL,
        "t.conf:2: enforce: '1' is not one of false, true"},
    /* groups need not divide the nodes evenly */
    {"[fabric]\nnodes_per_pod = 4\ngroups_per_pod = 3\n", "groups = 3", NULL},
};

/* Checks the shared dialect's table. */
static void
test_conf(void)
{
	char err[256], got[1024];
	struct conf *c;
	size_t i, k, len;

	for (i = 0; i < NELEM(conf_cases); i++) {
		err[0] = got[0] = '\0';
		c = conf_parse(conf_cases[i].text, "t.conf", err, sizeof(err));
		if (c == NULL) {
			CHECK(conf_cases[i].err != NULL &&
			          strcmp(err, conf_cases[i].err) == 0,
			    "conf case %zu: refused with '%s'", i, err);
			continue;
		}
		for (k = 0; k < c->n; k++) {
			len = strlen(got);
			snprintf(got + len, sizeof(got) - len,
			    "[%s %s] %s=%s@%s;", c->v[k].section, c->v[k].arg,
			    c->v[k].key, c->v[k].value, c->v[k].where);
		}
		conf_free(c);
		CHECK(conf_cases[i].entries != NULL &&
		          strcmp(got, conf_cases[i].entries) == 0,
		    "conf case %zu: accepted as '%s'", i, got);
	}
}

/* Checks the controller files' table, in a temporary directory. */
static void
test_config(void)
{
	char dir[] = "/tmp/pod-config-test-XXXXXX", path[64], err[512],
	     want[600], dump[65536];
	struct config *c;
	FILE *f, *mem;
	size_t i;

	if (!CHECK(mkdtemp(dir) != NULL, "mkdtemp"))
		return;
	snprintf(path, sizeof(path), "%s/t.conf", dir);
	for (i = 0; i < NELEM(config_cases); i++) {
		if (!CHECK((f = fopen(path, "w")) != NULL, "%s", path))
			break;
		fputs(config_cases[i].text, f);
		fclose(f);
		err[0] = '\0';
		c = config_load(path, err, sizeof(err));
		if (c == NULL) {
			snprintf(want, sizeof(want), "%s/%s", dir,
			    config_cases[i].err ? config_cases[i].err : "");
			CHECK(config_cases[i].err != NULL &&
			          strcmp(err, want) == 0,
			    "config case %zu: refused with '%s'", i, err);
			continue;
		}
		mem = fmemopen(dump, sizeof(dump), "w");
		config_dump(c, mem);
		fclose(mem);
		config_free(c);
		CHECK(config_cases[i].dump_line != NULL &&
		          strstr(dump, config_cases[i].dump_line) != NULL,
		    "config case %zu: accepted as\n%s", i, dump);
	}
	unlink(path);
	rmdir(dir);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (f == NULL)
		return NULL;
	buf = calloc(1, 65536);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

int
main(void)
{
	int update = getenv("POD_UPDATE_GOLDEN") != NULL;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char in[256], out[256], err[512], got[65536], *want;
		struct config *c;
		FILE *mem;

		snprintf(in, sizeof(in), "data/config/%s.conf", cases[i]);
		snprintf(out, sizeof(out), "data/config/%s.out", cases[i]);
		mem = fmemopen(got, sizeof(got), "w");
		if ((c = config_load(in, err, sizeof(err))) != NULL) {
			config_dump(c, mem);
			config_free(c);
		} else {
			fprintf(mem, "error: %s\n", err);
		}
		fclose(mem);
		if (update) {
			FILE *f = fopen(out, "w");

			fputs(got, f);
			fclose(f);
		}
		want = slurp(out);
		CHECK(want != NULL && strcmp(want, got) == 0,
		    "%s\n--- want\n%s--- got\n%s", cases[i],
		    want ? want : "(missing)\n", got);
		free(want);
	}
	test_conf();
	test_config();
	return check_summary("config_test");
}
