/*
 * redfish_test: the Redfish client of the Redfish plugins
 * (plugins/common/redfish.c) where no service is needed: the connection
 * keys (url forms, password file, tls_verify, timeout_ms) and their
 * checks together, the @odata.id and number helpers, the Location header
 * to the session's path, cooling/redfish's pump mean (rfmap.c), and the
 * error text
 * of a request that cannot connect. Requests against a service are in
 * tests/integration/test_redfish_plugins.py.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "check.h"
#include "redfish.h"
#include "rfmap.h"

struct logbuf {
	char line[16][256];
	int n;
};

static void
test_log(
    const struct pod_host *host, enum pod_log_level level, const char *fmt, ...)
{
	struct logbuf *b = host->opaque;
	va_list ap;

	(void)level;
	if (b->n >= 16)
		return;
	va_start(ap, fmt);
	vsnprintf(b->line[b->n++], sizeof(b->line[0]), fmt, ap);
	va_end(ap);
}

static int
logged(const struct logbuf *b, const char *needle)
{
	int i, n = 0;

	for (i = 0; i < b->n; i++)
		n += strstr(b->line[i], needle) != NULL;
	return n;
}

/* One key through redfish_conf_key(): its return, cf as it left it. */
static int
one_key(const char *key, const char *value, struct redfish_conf *cf,
    struct logbuf *lb)
{
	struct pod_kv kv = {key, value, "t.conf:7"};
	struct pod_host host = {.node = "n", .log = test_log, .opaque = lb};

	return redfish_conf_key(&host, &kv, cf);
}

/*
 * The url forms. value: as configured; rc: redfish_conf_key's answer;
 * url: what is kept ("" when refused).
 */
static const struct {
	const char *value;
	int rc;
	const char *url;
} url_cases[] = {
    {"https://bmc.example", 1, "https://bmc.example"},
    {"https://bmc.example:8443/", 1, "https://bmc.example:8443"},
    {"https://[fd00::1]:443", 1, "https://[fd00::1]:443"},
    {"http://bmc.example", -1, ""},
    {"https://", -1, ""},
    {"https:///redfish", -1, ""},
    {"https://bmc.example/redfish/v1", -1, ""},
    {"bmc.example", -1, ""},
};

static int
test_urls(void)
{
	struct redfish_conf cf;
	struct logbuf lb;
	size_t i;
	int rc;

	for (i = 0; i < NELEM(url_cases); i++) {
		memset(&lb, 0, sizeof(lb));
		redfish_conf_default(&cf, 1000);
		rc = one_key("url", url_cases[i].value, &cf, &lb);
		CHECK(rc == url_cases[i].rc, "%s: %d", url_cases[i].value, rc);
		CHECK(strcmp(cf.url, url_cases[i].url) == 0, "%s: '%s'",
		    url_cases[i].value, cf.url);
		if (rc == -1)
			CHECK(logged(&lb, "t.conf:7: url: ") == 1, "%s: %s",
			    url_cases[i].value, lb.line[0]);
	}
	return 0;
}

/*
 * The other keys. key, value: as configured; rc: the answer; said: a text
 * the refusal must hold (NULL: none).
 */
static const struct {
	const char *key, *value;
	int rc;
	const char *said;
} key_cases[] = {
    {"tls_verify", "false", 1, NULL},
    {"tls_verify", "off", -1, "t.conf:7: tls_verify: 'off'"},
    {"timeout_ms", "50", 1, NULL},
    {"timeout_ms", "49", -1, "want an integer 50..60000"},
    {"timeout_ms", "2s", -1, "t.conf:7: timeout_ms"},
    {"user", "", -1, "t.conf:7: user"},
    {"ca_file", "/nonexistent/ca.pem", -1, "No such file"},
    {"chassis", "1", 0, NULL},
};

static int
test_keys(void)
{
	struct redfish_conf cf;
	struct logbuf lb;
	size_t i;
	int rc;

	for (i = 0; i < NELEM(key_cases); i++) {
		memset(&lb, 0, sizeof(lb));
		redfish_conf_default(&cf, 1000);
		rc = one_key(key_cases[i].key, key_cases[i].value, &cf, &lb);
		CHECK(rc == key_cases[i].rc, "%s=%s: %d", key_cases[i].key,
		    key_cases[i].value, rc);
		if (key_cases[i].said != NULL)
			CHECK(logged(&lb, key_cases[i].said) == 1, "%s: %s",
			    key_cases[i].key, lb.line[0]);
		else
			CHECK(
			    lb.n == 0, "%s: %s", key_cases[i].key, lb.line[0]);
	}
	redfish_conf_default(&cf, 1000);
	one_key("tls_verify", "false", &cf, &lb);
	CHECK(cf.tls_verify == 0);
	one_key("timeout_ms", "1234", &cf, &lb);
	CHECK(cf.timeout_ms == 1234);
	return 0;
}

/* The password: the first line only, from a file others cannot read. */
static int
test_password_file(void)
{
	char path[] = "/tmp/redfish_test.XXXXXX";
	struct redfish_conf cf;
	struct logbuf lb;
	FILE *f = NULL;
	int fd;

	REQUIRE((fd = mkstemp(path)) != -1);
	REQUIRE((f = fdopen(fd, "w")) != NULL);
	fputs("pass word\r\nnext line\n", f);
	fclose(f);
	f = NULL;
	memset(&lb, 0, sizeof(lb));
	redfish_conf_default(&cf, 1000);
	CHECK(one_key("password_file", path, &cf, &lb) == 1, "%s", lb.line[0]);
	CHECK(strcmp(cf.password, "pass word") == 0, "'%s'", cf.password);
	CHECK(cf.have_password == 1);
	chmod(path, 0644);
	memset(&lb, 0, sizeof(lb));
	redfish_conf_default(&cf, 1000);
	CHECK(one_key("password_file", path, &cf, &lb) == -1);
	CHECK(logged(&lb, "mode 0644") == 1, "%s", lb.line[0]);
	CHECK(logged(&lb, "pass word") == 0, "the password logged");
	CHECK(cf.password[0] == '\0');
	unlink(path);
	return 0;
fail:
	if (f != NULL)
		fclose(f);
	unlink(path);
	return -1;
}

/* The keys together: url needed, user and password_file together, and a
 * warning once for tls_verify = false. */
static int
test_check(void)
{
	struct redfish_conf cf;
	struct logbuf lb;
	struct pod_host host = {.node = "n", .log = test_log, .opaque = &lb};

	memset(&lb, 0, sizeof(lb));
	redfish_conf_default(&cf, 1000);
	CHECK(redfish_conf_check(&host, &cf, "power") == -1);
	CHECK(logged(&lb, "[power] plugin redfish needs url") == 1);
	one_key("url", "https://bmc", &cf, &lb);
	one_key("user", "admin", &cf, &lb);
	memset(&lb, 0, sizeof(lb));
	CHECK(redfish_conf_check(&host, &cf, "power") == -1);
	CHECK(logged(&lb, "t.conf:7: [power] plugin redfish: user and "
	                  "password_file go together") == 1,
	    "%s", lb.line[0]);
	cf.have_password = 1;
	cf.tls_verify = 0;
	memset(&lb, 0, sizeof(lb));
	CHECK(redfish_conf_check(&host, &cf, "cooling") == 0);
	CHECK(lb.n == 1 && logged(&lb, "tls_verify = false") == 1, "%s",
	    lb.line[0]);
	return 0;
}

/* @odata.id links, collection members and sensor readings. */
static int
test_json_helpers(void)
{
	json_t *o;
	double v = -1;

	o = json_loads("{\"EnvironmentMetrics\": {\"@odata.id\": \"/a/b\"},"
	               " \"Members\": [{\"@odata.id\": \"/m/1\"}, {}],"
	               " \"PowerWatts\": {\"Reading\": 812.5},"
	               " \"EnergykWh\": {\"Reading\": null},"
	               " \"Model\": \"X\", \"CoolingCapacityWatts\": 250000}",
	    0, NULL);
	REQUIRE(o != NULL);
	CHECK(strcmp(redfish_link(o, "EnvironmentMetrics"), "/a/b") == 0);
	CHECK(redfish_link(o, "Power") == NULL);
	CHECK(redfish_link(o, "Model") == NULL);
	CHECK(redfish_nmembers(o) == 2);
	CHECK(strcmp(redfish_member(o, 0), "/m/1") == 0);
	CHECK(redfish_member(o, 1) == NULL);
	CHECK(redfish_member(o, 2) == NULL);
	CHECK(redfish_number(o, "PowerWatts", "Reading", &v) == 0 && v == 812.5,
	    "%g", v);
	CHECK(redfish_number(o, "EnergykWh", "Reading", &v) == -1);
	CHECK(redfish_number(o, "Model", NULL, &v) == -1);
	CHECK(redfish_number(o, "CoolingCapacityWatts", NULL, &v) == 0 &&
	          v == 250000,
	    "%g", v);
	json_decref(o);
	return 0;
fail:
	return -1;
}

/*
 * A login reply's Location, as libcurl hands its header line over, to the
 * path the session's DELETE goes to: "" is none (the session is then
 * taken from the reply's body). line: the header line; path: expected.
 */
static const struct {
	const char *line;
	const char *path;
} location_cases[] = {
    {"Location: /redfish/v1/SessionService/Sessions/7\r\n",
        "/redfish/v1/SessionService/Sessions/7"},
    {"location:\t https://10.0.0.5:443/redfish/v1/Sessions/a  \r\n",
        "/redfish/v1/Sessions/a"},
    /* Found by fuzz_redfish (corpus redfish/location-bare-host): the
     * bare host's "/" would have had the session DELETE /. */
    {"Location: https://applicat\r\n", ""},
    {"Location: https://bmc/\r\n", ""},
    {"Location: Sessions/7\r\n", ""},
    {"Location:\r\n", ""},
    {"X-Location: /a\r\n", ""},
};

/* Header values and the session's path from a Location. */
static int
test_location(void)
{
	char loc[REDFISH_PATH_MAX], tok[8];
	size_t i;

	for (i = 0; i < NELEM(location_cases); i++) {
		loc[0] = '\0';
		redfish_header_value(location_cases[i].line,
		    strlen(location_cases[i].line), "Location", loc,
		    sizeof(loc));
		CHECK(strcmp(redfish_path_of(loc), location_cases[i].path) == 0,
		    "%s: '%s'", location_cases[i].line, redfish_path_of(loc));
	}
	/* A token that does not fit is not taken, rather than cut. */
	snprintf(tok, sizeof(tok), "old");
	redfish_header_value("X-Auth-Token: 0123456789\r\n", 26, "X-Auth-Token",
	    tok, sizeof(tok));
	CHECK(strcmp(tok, "old") == 0, "'%s'", tok);
	redfish_header_value(
	    "x-auth-token: abc\r\n", 19, "X-Auth-Token", tok, sizeof(tok));
	CHECK(strcmp(tok, "abc") == 0, "'%s'", tok);
	return 0;
}

/* Pumps whose speeds add up past a double's range are no reading, not an
 * infinite one (found by fuzz_redfish: corpus redfish/pump-overflow). */
static int
test_pump_overflow(void)
{
	struct rfcdu_reading rd;
	struct rfmap_tally t;
	json_t *pump;

	memset(&rd, 0, sizeof(rd));
	memset(&t, 0, sizeof(t));
	pump = json_loads(
	    "{\"PumpSpeedPercent\": {\"Reading\": 1.5e308}}", 0, NULL);
	REQUIRE(pump != NULL);
	rfmap_pump(pump, &t);
	rfmap_pump(pump, &t);
	rfmap_done(&t, &rd);
	CHECK(t.pumps == 2 && !(rd.valid & POD_F_PUMP), "valid %#x %g",
	    rd.valid, rd.pump_pct);
	json_decref(pump);
	pump = json_loads("{\"PumpSpeedPercent\": {\"Reading\": 60}}", 0, NULL);
	REQUIRE(pump != NULL);
	memset(&t, 0, sizeof(t));
	rfmap_pump(pump, &t);
	rfmap_done(&t, &rd);
	CHECK((rd.valid & POD_F_PUMP) && rd.pump_pct == 60);
	json_decref(pump);
	return 0;
fail:
	return -1;
}

/* A request that cannot connect: a short, stable text, no reply. */
static int
test_cannot_connect(void)
{
	struct redfish_conf cf;
	struct redfish *r;
	json_t *j = (json_t *)&j;

	redfish_conf_default(&cf, 2000);
	snprintf(cf.url, sizeof(cf.url), "https://127.0.0.1:1");
	REQUIRE((r = redfish_new(&cf, NULL)) != NULL);
	CHECK(redfish_get(r, "/redfish/v1", &j) == -1);
	CHECK(j == NULL);
	CHECK(strcmp(redfish_error(r), "GET /redfish/v1: cannot connect") == 0,
	    "'%s'", redfish_error(r));
	CHECK(redfish_logins(r) == 0);
	redfish_free(r);
	return 0;
fail:
	return -1;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
    {"urls", test_urls},
    {"keys", test_keys},
    {"password_file", test_password_file},
    {"check", test_check},
    {"json_helpers", test_json_helpers},
    {"location", test_location},
    {"pump_overflow", test_pump_overflow},
    {"cannot_connect", test_cannot_connect},
};

int
main(void)
{
	size_t i;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (i = 0; i < NELEM(cases); i++)
		RUN_CASE(cases[i].name, cases[i].fn());
	curl_global_cleanup();
	return check_summary("redfish_test");
}
