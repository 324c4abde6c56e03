/*
 * Unit tests of the agent core's pure parts (agentd/): the sample ring, the
 * backoff delays, the report body and reply of docs/agent-protocol.md (its
 * power member included), the desired power settings, and the
 * configuration's file:line errors. Each case is a function in the table
 * at the bottom; a failed check prints where and goes on to the next case.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentconf.h"
#include "backoff.h"
#include "check.h"
#include "conf.h"
#include "jsonx.h"
#include "log.h"
#include "power.h"
#include "report.h"
#include "wire.h"
#include "ring.h"

/* Pushes samples with seq from..to into r. */
static void
push_range(struct ring *r, uint64_t from, uint64_t to)
{
	struct sample *s;
	uint64_t q;

	for (q = from; q <= to; q++) {
		s = ring_push(r);
		s->seq = q;
		s->t_ms = 1000 * (int64_t)q;
		if (s->naccel > 0)
			s->accels[0].power_w = (float)q;
	}
}

static int
t_ring_overflow(void)
{
	struct ring *r;
	int rc = -1;

	if ((r = ring_new(4, 2)) == NULL)
		return -1;
	push_range(r, 1, 6);
	if (ring_len(r) != 4 || r->dropped != 2 || ring_at(r, 0)->seq != 3 ||
	    ring_at(r, 3)->seq != 6 || ring_at(r, 0)->accels[0].power_w != 3 ||
	    ring_at(r, 3)->accels[0].power_w != 6)
		goto fail;
	rc = 0;
fail:
	if (rc == -1)
		fprintf(stderr, "%s: ring holds %zu from %llu, dropped %llu\n",
		    __func__, ring_len(r),
		    (unsigned long long)ring_at(r, 0)->seq,
		    (unsigned long long)r->dropped);
	ring_free(r);
	return rc;
}

static int
t_ring_ack(void)
{
	struct ring *r;
	int rc = -1;

	if ((r = ring_new(5, 1)) == NULL)
		return -1;
	push_range(r, 1, 7); /* wraps: holds 3..7 */
	if (ring_ack(r, 2) != 0 || ring_len(r) != 5)
		goto fail;
	if (ring_ack(r, 4) != 2 || ring_len(r) != 3 || ring_at(r, 0)->seq != 5)
		goto fail;
	push_range(r, 8, 9); /* room again: nothing dropped */
	if (r->dropped != 2 || ring_len(r) != 5 || ring_at(r, 4)->seq != 9)
		goto fail;
	/* An acknowledgement beyond the newest empties the ring. */
	if (ring_ack(r, 100) != 5 || ring_len(r) != 0)
		goto fail;
	rc = 0;
fail:
	ring_free(r);
	return rc;
}

static int
t_ring_reuse_zeroes(void)
{
	struct ring *r;
	struct sample *s;
	int rc = -1;

	if ((r = ring_new(1, 1)) == NULL)
		return -1;
	s = ring_push(r);
	s->seq = 1;
	s->has_loop = 1;
	s->accels[0].valid = POD_F_POWER;
	s = ring_push(r); /* the same slot, overwritten */
	if (s->seq != 0 || s->has_loop != 0 || s->accels[0].valid != 0 ||
	    s->naccel != 1 || r->dropped != 1)
		goto fail;
	if (ring_new(0, 1) != NULL || ring_new(2, RING_MAX_ACCELS + 1) != NULL)
		goto fail;
	rc = 0;
fail:
	ring_free(r);
	return rc;
}

static int
t_backoff_sequence(void)
{
	static const int64_t want[] = {
	    1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000};
	unsigned i;

	/* u = 0.5 is the middle of the jitter band: no jitter. */
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK(backoff_delay_ms(i, 0.5) == want[i]);
	CHECK(backoff_delay_ms(1000, 0.5) == BACKOFF_MAX_MS);
	CHECK(backoff_max_ms(0.5) == BACKOFF_MAX_MS);
	return 0;
}

static int
t_backoff_jitter(void)
{
	int64_t base, lo, hi, d;
	unsigned f;
	double u;

	for (f = 0; f < 40; f++) {
		base = f < 5 ? (int64_t)BACKOFF_BASE_MS << f : BACKOFF_MAX_MS;
		lo = (int64_t)(base * (1 - BACKOFF_JITTER));
		hi = (int64_t)(base * (1 + BACKOFF_JITTER));
		for (u = 0; u < 1; u += 0.0625) {
			d = backoff_delay_ms(f, u);
			CHECK(d >= lo && d <= hi);
		}
		CHECK(backoff_delay_ms(f, 0) == lo);
		CHECK(backoff_delay_ms(f, 0.999999) >= hi - 1);
		/* Out-of-range randomness is clamped, not trusted. */
		CHECK(backoff_delay_ms(f, -3) == lo);
		CHECK(backoff_delay_ms(f, 7) <= hi);
	}
	/* Jitter actually spreads: not all equal. */
	CHECK(backoff_delay_ms(3, 0.1) != backoff_delay_ms(3, 0.9));
	return 0;
}

/* A delay a controller asked for (Retry-After): never sooner, at most
 * the jitter later, spread, and out-of-range randomness clamped. */
static int
t_backoff_after(void)
{
	int64_t d, hi = (int64_t)(4000 * (1 + BACKOFF_JITTER));
	double u;

	for (u = 0; u < 1; u += 0.0625) {
		d = backoff_after_ms(4000, u);
		CHECK(d >= 4000 && d < hi, "u %g: %lld ms", u, (long long)d);
	}
	CHECK(backoff_after_ms(4000, 0) == 4000);
	CHECK(backoff_after_ms(4000, -3) == 4000);
	CHECK(
	    backoff_after_ms(4000, 7) < hi && backoff_after_ms(4000, 7) > 4000);
	CHECK(backoff_after_ms(1000, 0.1) != backoff_after_ms(1000, 0.9));
	return 0;
}

/* Three samples: full, accel 1 unread and no loop, everything unread. */
static struct ring *
fixed_ring(void)
{
	struct ring *r;
	struct sample *s;

	if ((r = ring_new(8, 2)) == NULL)
		return NULL;
	s = ring_push(r);
	s->seq = 17;
	s->t_ms = 1795900000000LL;
	s->power_w = 6200.54;
	s->has_loop = 1;
	s->loop.valid = POD_F_SUPPLY | POD_F_RETURN | POD_F_FLOW |
	                POD_F_PRESSURE | POD_F_LEAK;
	s->loop.supply_c = 30.0f;
	s->loop.return_c = 39.8f;
	s->loop.flow_lpm = 9.0f;
	s->loop.pressure_kpa = 120.0f;
	s->loop.leak = 1;
	s->accels[0].valid = POD_F_POWER | POD_F_ENERGY | POD_F_TEMP |
	                     POD_F_CLOCK | POD_F_UTIL | POD_F_MEM;
	s->accels[0].power_w = 612.0f;
	s->accels[0].energy_j = 10230.5;
	s->accels[0].temp_c = 61.3f;
	s->accels[0].clock_mhz = 1980.0f;
	s->accels[0].util_pct = 87.0f;
	s->accels[0].mem_used_mib = 61440.0f;
	s->accels[1].valid = POD_F_POWER;
	s->accels[1].power_w = 100.04f;

	s = ring_push(r);
	s->seq = 18;
	s->t_ms = 1795900001000LL;
	s->power_w = NAN;
	s->accels[0].valid = POD_F_TEMP;
	s->accels[0].temp_c = 50.0f;

	s = ring_push(r);
	s->seq = 19;
	s->t_ms = 1795900002000LL;
	s->power_w = NAN;
	s->has_loop = 1; /* a cooling plugin that read nothing */
	return r;
}

static int
t_report_shape(void)
{
	struct report_head h;
	struct pod_device dev[2];
	struct ring *r = NULL;
	json_t *root = NULL, *inv = NULL, *pinv, *s0, *s1, *s2, *a, *loop;
	char *text = NULL, err[256];
	size_t len;
	int rc = -1;

	memset(&h, 0, sizeof(h));
	memset(dev, 0, sizeof(dev));
	snprintf(dev[0].model, sizeof(dev[0].model), "SIM-X700");
	dev[0].clock_min_mhz = 600;
	dev[0].clock_max_mhz = 1980;
	dev[0].power_max_w = 700;
	dev[0].tdp_w = 700;
	dev[0].temp_crit_c = 90;
	dev[0].mem_total_mib = 81920;
	dev[1] = dev[0];
	if ((r = fixed_ring()) == NULL ||
	    (inv = report_inventory("sim", NULL, dev, 2)) == NULL)
		goto fail;
	h.boot_id = "5f0c2a9e1b7d4c36";
	h.interval_ms = 1000;
	h.desired_version = 3;
	h.dropped_samples = 2;
	h.inventory = inv;
	h.jobs = NULL;
	if ((text = report_build(&h, r, 3, &len)) == NULL ||
	    len != strlen(text) ||
	    (root = jsonx_parse(text, len, err, sizeof(err))) == NULL)
		goto fail;
	REQUIRE(strcmp(json_string_value(json_object_get(root, "boot_id")),
	            "5f0c2a9e1b7d4c36") == 0);
	REQUIRE(json_is_string(json_object_get(root, "agent_version")));
	REQUIRE(
	    json_integer_value(json_object_get(root, "interval_ms")) == 1000);
	REQUIRE(
	    json_integer_value(json_object_get(root, "desired_version")) == 3);
	REQUIRE(
	    json_integer_value(json_object_get(root, "dropped_samples")) == 2);
	/* No job known: an empty array, never absent. */
	REQUIRE(json_is_array(json_object_get(root, "jobs")) &&
	        json_array_size(json_object_get(root, "jobs")) == 0);
	pinv = json_object_get(root, "inventory");
	REQUIRE(strcmp(json_string_value(json_object_get(pinv, "power_plugin")),
	            "sim") == 0);
	REQUIRE(json_is_null(json_object_get(pinv, "cooling_plugin")));
	a = json_array_get(json_object_get(pinv, "accelerators"), 1);
	REQUIRE(json_integer_value(json_object_get(a, "index")) == 1);
	REQUIRE(json_number_value(json_object_get(a, "tdp_w")) == 700);
	REQUIRE(strcmp(json_string_value(json_object_get(a, "model")),
	            "SIM-X700") == 0);

	REQUIRE(json_array_size(json_object_get(root, "samples")) == 3);
	s0 = json_array_get(json_object_get(root, "samples"), 0);
	s1 = json_array_get(json_object_get(root, "samples"), 1);
	s2 = json_array_get(json_object_get(root, "samples"), 2);
	REQUIRE(json_integer_value(json_object_get(s0, "seq")) == 17);
	REQUIRE(
	    json_integer_value(json_object_get(s0, "t_ms")) == 1795900000000LL);
	REQUIRE(json_number_value(json_object_get(s0, "power_w")) == 6200.5);
	a = json_array_get(json_object_get(s0, "accels"), 0);
	REQUIRE(json_number_value(json_object_get(a, "temp_c")) == 61.3);
	REQUIRE(json_number_value(json_object_get(a, "energy_j")) == 10230.5);
	REQUIRE(json_number_value(json_object_get(a, "mem_used_mib")) == 61440);
	/* Rounded on the way out: no float noise in the text. */
	REQUIRE(strstr(text, "\"temp_c\":61.3,") != NULL);
	a = json_array_get(json_object_get(s0, "accels"), 1);
	REQUIRE(json_number_value(json_object_get(a, "power_w")) == 100.0);
	REQUIRE(json_is_null(json_object_get(a, "temp_c")));
	loop = json_object_get(s0, "loop");
	REQUIRE(json_number_value(json_object_get(loop, "return_c")) == 39.8);
	REQUIRE(json_is_true(json_object_get(loop, "leak")));

	REQUIRE(json_is_null(json_object_get(s1, "power_w")));
	REQUIRE(json_is_null(json_object_get(s1, "loop")));
	REQUIRE(json_array_size(json_object_get(s1, "accels")) == 2);
	REQUIRE(json_is_null(json_array_get(json_object_get(s1, "accels"), 1)));
	loop = json_object_get(s2, "loop");
	REQUIRE(json_is_object(loop) &&
	        json_is_null(json_object_get(loop, "supply_c")) &&
	        json_is_null(json_object_get(loop, "leak")));
	rc = 0;
fail:
	json_decref(root);
	json_decref(inv);
	free(text);
	ring_free(r);
	return rc;
}

static int
t_report_batch(void)
{
	struct report_head h = {
	    "0123456789abcdef", 1000, 0, 0, NULL, NULL, NULL};
	struct ring *r;
	json_t *root = NULL, *samples;
	char *text = NULL, err[256];
	size_t len;
	int rc = -1;

	/* docs/agent-protocol.md: at most 120 samples a request */
	if (REPORT_BATCH_MAX != 120 || (r = ring_new(300, 0)) == NULL)
		return -1;
	push_range(r, 1, 300);
	ring_ack(r, 10);
	if ((text = report_build(&h, r, REPORT_BATCH_MAX, &len)) == NULL ||
	    (root = jsonx_parse(text, len, err, sizeof(err))) == NULL)
		goto fail;
	samples = json_object_get(root, "samples");
	if (json_array_size(samples) != 120 ||
	    json_integer_value(
	        json_object_get(json_array_get(samples, 0), "seq")) != 11 ||
	    json_integer_value(
	        json_object_get(json_array_get(samples, 119), "seq")) != 130 ||
	    json_object_get(root, "inventory") != NULL)
		goto fail;
	rc = 0;
fail:
	json_decref(root);
	free(text);
	ring_free(r);
	return rc;
}

/* Reply bodies: the text, 0 or -1 expected, and the ack and version. */
static const struct {
	const char *body;
	int rc;
	uint64_t ack;
	int has_desired;
	int64_t version;
} replies[] = {
    {"{\"ack_seq\": 17, \"desired\": {\"version\": 3}}", 0, 17, 1, 3},
    {"{\"ack_seq\": 0}", 0, 0, 0, 0},
    {"{\"ack_seq\": 5, \"desired\": null}", 0, 5, 0, 0},
    {"{\"ack_seq\": 5, \"desired\": {\"version\": 2, \"jobs\": []}}", 0, 5, 1,
        2},
    {"{\"desired\": {\"version\": 3}}", -1, 0, 0, 0},
    {"{\"ack_seq\": \"17\"}", -1, 0, 0, 0},
    {"{\"ack_seq\": -1}", -1, 0, 0, 0},
    {"{\"ack_seq\": 1, \"desired\": {}}", -1, 0, 0, 0},
    {"{\"ack_seq\": 1, \"desired\": 4}", -1, 0, 0, 0},
    {"[1]", -1, 0, 0, 0},
    {"<html>bad gateway</html>", -1, 0, 0, 0},
};

static int
t_reply_parse(void)
{
	static struct reply rep;
	char err[256];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
		err[0] = '\0';
		rc = report_parse_reply(replies[i].body,
		    strlen(replies[i].body), &rep, err, sizeof(err));
		if (rc != replies[i].rc) {
			fprintf(stderr, "%s: %s: got %d (%s)\n", __func__,
			    replies[i].body, rc, err);
			return -1;
		}
		if (rc == -1) {
			CHECK(err[0] != '\0');
			continue;
		}
		CHECK((uint64_t)rep.ack_seq == replies[i].ack);
		CHECK(rep.has_desired == replies[i].has_desired);
		CHECK(rep.desired.version == replies[i].version);
		wire_reply_free(&rep);
	}
	return 0;
}

static int
t_error_text(void)
{
	const char *api = "{\"error\":{\"code\":\"not_found\","
	                  "\"message\":\"no node 'x'\"}}";
	const char *html = "<html>\n502 Bad Gateway</html>";
	char out[64];

	report_error_text(api, strlen(api), out, sizeof(out));
	CHECK(strcmp(out, "not_found: no node 'x'") == 0);
	report_error_text(html, strlen(html), out, sizeof(out));
	CHECK(strcmp(out, "<html> 502 Bad Gateway</html>") == 0);
	report_error_text("", 0, out, sizeof(out));
	CHECK(out[0] == '\0');
	return 0;
}

/* Configurations that must be refused, and the start of the message. */
static const struct {
	const char *text;
	const char *want;
} bad_confs[] = {
    {"[agent]\nserver = http://a\nfoo = 1\n", "test.conf:3: foo: unknown key"},
    {"[agent]\n\ninterval_ms = 5\n", "test.conf:3: interval_ms: 5 is "
                                     "outside"},
    {"[agent]\ninterval_ms = fast\n", "test.conf:2: interval_ms: 'fast' "
                                      "is not an integer"},
    {"[agent]\nbuffer_samples = 0\n", "test.conf:2: buffer_samples:"},
    {"[agent]\nname = Pod 1\n", "test.conf:2: name:"},
    {"[agent]\nserver = ftp://x\n", "test.conf:2: server: 'ftp://x' is "
                                    "not an http"},
    /* a list of controllers: each address judged, the list as a whole */
    {"[agent]\nserver = http://a:8470,ftp://b\n",
        "test.conf:2: server: 'ftp://b' is not an http"},
    {"[agent]\nserver = http://a:8470, http://b:8470/x?y\n",
        "test.conf:2: server: 'http://b:8470/x?y' is not a server URL"},
    {"[agent]\nserver = http://a:8470,,http://b:8470\n",
        "test.conf:2: server: 'http://a:8470,,http://b:8470': address 2 "
        "of the list is empty"},
    {"[agent]\nserver = http://a:8470,\n",
        "test.conf:2: server: 'http://a:8470,': address 2 of the list is "
        "empty"},
    {"[agent]\nserver = http://a:8470, http://a:8470/\n",
        "test.conf:2: server: 'http://a:8470' is given twice"},
    {"[agent]\nserver = http://a,http://b,http://c,http://d,http://e,"
     "http://f,http://g,http://h,http://i\n",
        "test.conf:2: server: 'http://a,http://b,http://c,http://d,"
        "http://e,http://f,http://g,http://h,http://i': more than 8 "
        "addresses"},
    {"[agent]\nseed = -1\n", "test.conf:2: seed:"},
    {"[agent]\nname = a\nname = b\n", "test.conf:3: name: given twice "
                                      "(first at test.conf:2)"},
    {"# hello\n[agnet]\nname = a\n", "test.conf:3: unknown section "
                                     "[agnet]"},
    {"[agent x]\nname = a\n", "test.conf:2: [agent x]: [agent] takes no "
                              "argument"},
    {"[power]\naccels = 4\n", "test.conf:2: [power] needs 'plugin = NAME'"},
    {"[power]\nplugin = sim\nplugin = nvml\n", "test.conf:3: plugin: "
                                               "given twice"},
    {"[cooling]\nplugin = ../x\n", "test.conf:2: plugin: '../x' is not "
                                   "a plugin name"},
    {"[agent]\nname\n", "test.conf:2: expected 'key = value'"},
    {"[agent]\nguard_min_flow_lpm = -1\n", "test.conf:2: "
                                           "guard_min_flow_lpm: -1 is "
                                           "outside"},
    {"[agent]\nguard_clear_s = soon\n", "test.conf:2: guard_clear_s: "
                                        "'soon' is not a number"},
    {"[jobs]\nallow_root = maybe\n", "test.conf:2: allow_root:"},
    {"[jobs]\nallow_root = true\nallow_root = false\n",
        "test.conf:3: allow_root: given twice (first at test.conf:2)"},
    {"[jobs]\nallow_users = all\n",
        "test.conf:2: allow_users: unknown key in [jobs]"},
    {"[power]\nplugin = sim\n[power cpu]\nroot = /x\n",
        "test.conf:4: [power cpu] needs 'plugin = NAME'"},
    {"[power cpu]\nplugin = rapl\n", "test.conf:2: [power cpu] comes "
                                     "beside a [power] section"},
    {"[power]\nplugin = sim\n[power a]\nplugin = rapl\n[power b]\n"
     "plugin = nvml\n[power c]\nplugin = redfish\n[power d]\n"
     "plugin = command\n",
        "test.conf:10: [power d]: more than 3 [power NAME] sections"},
    {"[agent]\nnode_power_limit = maybe\n", "test.conf:2: "
                                            "node_power_limit:"},
    {"[agent]\nstale_after_ms = 10\n", "test.conf:2: stale_after_ms: 10 "
                                       "is outside"},
};

static int
t_conf_errors(void)
{
	struct agent_conf ac;
	struct conf *c;
	char err[512];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(bad_confs) / sizeof(bad_confs[0]); i++) {
		err[0] = '\0';
		agentconf_init(&ac);
		c = conf_parse(
		    bad_confs[i].text, "test.conf", err, sizeof(err));
		rc = c == NULL ? -1 : agentconf_parse(c, &ac, err, sizeof(err));
		conf_free(c);
		agentconf_free(&ac);
		if (rc != -1 || strncmp(err, bad_confs[i].want,
		                    strlen(bad_confs[i].want)) != 0) {
			fprintf(stderr,
			    "%s: case %zu: got %d '%s', want "
			    "'%s'\n",
			    __func__, i, rc, err, bad_confs[i].want);
			return -1;
		}
	}
	return 0;
}

static int
t_conf_ok(void)
{
	static const char text[] = "[agent]\n"
	                           "server = https://ctl.example:8470/\n"
	                           "name = pod01-n007\n"
	                           "interval_ms = 500\n"
	                           "buffer_samples = 7200\n"
	                           "seed = 42\n"
	                           "guard_min_flow_lpm = 1.5\n"
	                           "guard_clear_s = 30\n"
	                           "[power]\n"
	                           "plugin = sim\n"
	                           "accels = 4\n"
	                           "fault = hot@30\n"
	                           "[cooling]\n"
	                           "plugin = sim\n"
	                           "[jobs]\n"
	                           "allow_root = yes\n"
	                           "[power cpu]\n"
	                           "plugin = rapl\n"
	                           "root = /tmp/rapl\n"
	                           "[power bmc]\n"
	                           "plugin = redfish\n";
	struct agent_conf ac;
	struct conf *c;
	char err[512];
	int rc = -1;

	agentconf_init(&ac);
	CHECK(ac.interval_ms == AGENT_DEFAULT_INTERVAL_MS &&
	      ac.buffer_samples == AGENT_DEFAULT_BUFFER && ac.servers.n == 1 &&
	      strcmp(ac.servers.url[0], AGENT_DEFAULT_SERVER) == 0 &&
	      strcmp(ac.state_dir, AGENT_DEFAULT_STATE_DIR) == 0 &&
	      ac.guard_min_flow_lpm == 2 && ac.guard_clear_s == 10 &&
	      ac.jobs_allow_root == 0);
	if ((c = conf_parse(text, "agent.conf", err, sizeof(err))) == NULL)
		goto fail;
	if (agentconf_parse(c, &ac, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", __func__, err);
		goto fail;
	}
	if (ac.servers.n != 1 ||
	    strcmp(ac.servers.url[0], "https://ctl.example:8470") != 0 ||
	    ac.jobs_allow_root != 1 || strcmp(ac.name, "pod01-n007") != 0 ||
	    ac.interval_ms != 500 || ac.buffer_samples != 7200 ||
	    !ac.seed_set || ac.seed != 42 ||
	    strcmp(ac.power_plugin, "sim") != 0 ||
	    strcmp(ac.cooling_plugin, "sim") != 0 || ac.power_kv.n != 2 ||
	    ac.cooling_kv.n != 0 ||
	    strcmp(ac.power_kv.v[1].key, "fault") != 0 ||
	    strcmp(ac.power_kv.v[1].value, "hot@30") != 0 ||
	    strcmp(ac.power_kv.v[1].where, "agent.conf:12") != 0 ||
	    ac.guard_min_flow_lpm != 1.5 || ac.guard_clear_s != 30)
		goto fail;
	/* [power NAME] sections, in the file's order, each its own keys. */
	if (ac.nextra_power != 2 ||
	    strcmp(ac.extra_power[0].label, "cpu") != 0 ||
	    strcmp(ac.extra_power[0].plugin, "rapl") != 0 ||
	    ac.extra_power[0].kv.n != 1 ||
	    strcmp(ac.extra_power[0].kv.v[0].where, "agent.conf:19") != 0 ||
	    strcmp(ac.extra_power[1].plugin, "redfish") != 0 ||
	    ac.extra_power[1].kv.n != 0 ||
	    ac.stale_ms != AGENT_DEFAULT_STALE_MS || ac.node_power_limit != 0)
		goto fail;
	/* The seed from a name is stable from run to run and build to
	 * build (64-bit FNV-1a of the name), and tells names apart. */
	if (agentconf_name_seed("pod01-n001") != 0x5af9753ed69224dbULL ||
	    agentconf_name_seed("pod01-n002") != 0x5af9763ed692268eULL)
		goto fail;
	rc = 0;
fail:
	conf_free(c);
	agentconf_free(&ac);
	return rc;
}

/* server: one controller, or an active/standby pair or more, tried in the
 * order given; a final '/' and the spaces around each dropped. --server
 * takes the same through agentconf_set_server(). */
static int
t_conf_servers(void)
{
	static const char text[] = "[agent]\n"
	                           "server = http://ctl-a:8470/ , "
	                           "https://ctl-b.example:8470\n";
	struct agent_conf ac;
	struct conf *c;
	char err[512];

	agentconf_init(&ac);
	c = conf_parse(text, "agent.conf", err, sizeof(err));
	REQUIRE(c != NULL, "%s", err);
	REQUIRE(agentconf_parse(c, &ac, err, sizeof(err)) == 0, "%s", err);
	CHECK(ac.servers.n == 2, "%d", ac.servers.n);
	CHECK(strcmp(ac.servers.url[0], "http://ctl-a:8470") == 0, "%s",
	    ac.servers.url[0]);
	CHECK(strcmp(ac.servers.url[1], "https://ctl-b.example:8470") == 0,
	    "%s", ac.servers.url[1]);
	/* the command line's replaces the file's, and one stays one */
	CHECK(agentconf_set_server(
	          &ac, "http://10.0.0.1:8470", err, sizeof(err)) == 0);
	CHECK(ac.servers.n == 1 &&
	      strcmp(ac.servers.url[0], "http://10.0.0.1:8470") == 0);
	/* a refused list leaves the one in force */
	CHECK(agentconf_set_server(
	          &ac, "http://x,gopher://y", err, sizeof(err)) == -1 &&
	          strstr(err, "'gopher://y'") != NULL,
	    "%s", err);
	CHECK(ac.servers.n == 1 &&
	      strcmp(ac.servers.url[0], "http://10.0.0.1:8470") == 0);
fail:
	conf_free(c);
	agentconf_free(&ac);
	return 0;
}

/*
 * desired.power objects: the text, 0 or -1 expected, and what must come
 * out (policy, its parameter, cap_w, fallback_cap_w, fallback_after_s;
 * -1 for NaN) or the start of the refusal.
 */
static const struct {
	const char *text;
	int rc;
	enum dvfs_policy policy;
	double param, cap_w, fallback_cap_w, after_s;
	const char *why;
} powers[] = {
    {"{\"policy\": \"energy\", \"params\": {\"slowdown_pct\": 5}, "
     "\"cap_w\": 5200.0, \"fallback_cap_w\": 3000.0, "
     "\"fallback_after_s\": 30}",
        0, DVFS_ENERGY, 5, 5200, 3000, 30, NULL},
    {"{\"policy\": \"energy\"}", 0, DVFS_ENERGY, 5, -1, -1, 30, NULL},
    {"{\"policy\": \"thermal\", \"params\": null, \"cap_w\": null}", 0,
        DVFS_THERMAL, 80, -1, -1, 30, NULL},
    {"{\"policy\": \"power_cap\", \"params\": {\"cap_w\": 4000}}", 0,
        DVFS_POWER_CAP, 4000, -1, -1, 30, NULL},
    {"{\"policy\": \"curtail\", \"params\": {\"fraction\": 0.5, "
     "\"target_c\": 70}}",
        0, DVFS_CURTAIL, 0.5, -1, -1, 30, NULL},
    {"{}", 0, DVFS_PERFORMANCE, -1, -1, -1, 30, NULL},
    {"{\"policy\": \"turbo\"}", -1, 0, 0, 0, 0, 0, "'policy' must be"},
    {"{\"policy\": 3}", -1, 0, 0, 0, 0, 0, "'policy' must be"},
    {"{\"policy\": \"power_cap\"}", -1, 0, 0, 0, 0, 0,
        "params: power_cap needs cap_w"},
    {"{\"policy\": \"power_cap\", \"params\": {\"cap_w\": \"4kW\"}}", -1, 0, 0,
        0, 0, 0, "'params.cap_w' must be a number"},
    {"{\"policy\": \"curtail\", \"params\": {\"fraction\": 1.5}}", -1, 0, 0, 0,
        0, 0, "params: curtail needs fraction"},
    {"{\"policy\": \"thermal\", \"params\": {\"target_c\": 500}}", -1, 0, 0, 0,
        0, 0, "params: thermal needs target_c"},
    {"{\"policy\": \"energy\", \"params\": [5]}", -1, 0, 0, 0, 0, 0,
        "'params' must be an object"},
    {"{\"cap_w\": -5}", -1, 0, 0, 0, 0, 0, "'cap_w' must be a positive"},
    {"{\"fallback_cap_w\": \"x\"}", -1, 0, 0, 0, 0, 0,
        "'fallback_cap_w' must be"},
    {"{\"fallback_after_s\": -1}", -1, 0, 0, 0, 0, 0,
        "'fallback_after_s' must be"},
    {"[]", -1, 0, 0, 0, 0, 0, "'power' must be an object"},
};

/* -1 in the table stands for NaN. */
static int
same_or_nan(double got, double want)
{
	return want == -1 ? isnan(got) : got == want;
}

static double
want_param(const struct power_want *w)
{
	switch (w->policy.policy) {
	case DVFS_POWER_CAP:
		return w->policy.cap_w;
	case DVFS_THERMAL:
		return w->policy.target_c;
	case DVFS_ENERGY:
		return w->policy.slowdown_pct;
	case DVFS_CURTAIL:
		return w->policy.fraction;
	default:
		return NAN;
	}
}

static int
t_power_parse(void)
{
	struct power_want w;
	json_t *o;
	char err[256];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(powers) / sizeof(powers[0]); i++) {
		err[0] = '\0';
		if ((o = jsonx_parse(powers[i].text, strlen(powers[i].text),
		         err, sizeof(err))) == NULL)
			return -1;
		rc = power_parse(o, &w, err, sizeof(err));
		json_decref(o);
		if (rc != powers[i].rc ||
		    (rc == -1 && strncmp(err, powers[i].why,
		                     strlen(powers[i].why)) != 0) ||
		    (rc == 0 &&
		        (w.policy.policy != powers[i].policy ||
		            !same_or_nan(want_param(&w), powers[i].param) ||
		            !same_or_nan(w.cap_w, powers[i].cap_w) ||
		            !same_or_nan(
		                w.fallback_cap_w, powers[i].fallback_cap_w) ||
		            w.fallback_after_s != powers[i].after_s))) {
			fprintf(stderr, "%s: case %zu %s: got %d '%s'\n",
			    __func__, i, powers[i].text, rc, err);
			return -1;
		}
	}
	return 0;
}

/* The report's "power" member, as the protocol shows it. */
static int
t_power_report(void)
{
	struct pod_device dev[3];
	struct power p;
	struct report_head h;
	struct ring *r = NULL;
	double applied[3] = {1980, 1650, NAN};
	json_t *pj = NULL, *root = NULL, *o, *g;
	char *text = NULL, err[256];
	size_t len;
	int i, rc = -1;

	memset(dev, 0, sizeof(dev));
	for (i = 0; i < 3; i++) {
		dev[i].clock_min_mhz = 600;
		dev[i].clock_max_mhz = 1980;
		dev[i].tdp_w = 700;
		dev[i].temp_crit_c = 90;
	}
	power_init(&p, dev, 3, 2, 10);
	p.guard.overtemp[2] = 1;
	p.node_cap_w = 5200;
	memset(&h, 0, sizeof(h));
	h.boot_id = "0123456789abcdef";
	if ((r = ring_new(4, 3)) == NULL ||
	    (pj = power_json(&p, applied)) == NULL)
		goto fail;
	h.power = pj;
	if ((text = report_build(&h, r, 0, &len)) == NULL ||
	    (root = jsonx_parse(text, len, err, sizeof(err))) == NULL)
		goto fail;
	o = json_object_get(root, "power");
	g = json_object_get(o, "guard");
	REQUIRE(strcmp(json_string_value(json_object_get(o, "policy")),
	            "performance") == 0);
	REQUIRE(json_number_value(json_object_get(o, "cap_w")) == 5200);
	REQUIRE(json_is_false(json_object_get(o, "limiting")));
	REQUIRE(json_is_false(json_object_get(o, "fallback")));
	REQUIRE(strstr(text, "\"clock_caps_mhz\":[1980,1650,null]") != NULL);
	REQUIRE(json_is_false(json_object_get(g, "leak")));
	REQUIRE(json_is_false(json_object_get(g, "lowflow")));
	REQUIRE(strstr(text, "\"overtemp\":[2]") != NULL);
	rc = 0;
fail:
	json_decref(root);
	json_decref(pj);
	free(text);
	ring_free(r);
	return rc;
}

/* The cases: a name for the report, and the function (0 pass, -1 fail). */
static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
    {"ring overflow drops the oldest", t_ring_overflow},
    {"ring ack trims acknowledged samples", t_ring_ack},
    {"ring reuses slots zeroed", t_ring_reuse_zeroes},
    {"backoff doubles to its cap", t_backoff_sequence},
    {"backoff jitter stays within 20 %", t_backoff_jitter},
    {"backoff: the delay a controller asked for", t_backoff_after},
    {"report shape and nulls", t_report_shape},
    {"report batch is the oldest 120", t_report_batch},
    {"reply parsing", t_reply_parse},
    {"error reply text", t_error_text},
    {"config errors carry file:line", t_conf_errors},
    {"config parses into agent_conf", t_conf_ok},
    {"server takes a list of controllers", t_conf_servers},
    {"desired.power parsing", t_power_parse},
    {"report carries the power member", t_power_report},
};

int
main(void)
{
	size_t i;

	log_init("agent_test", LOG_LVL_ERROR);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		RUN_CASE(cases[i].name, cases[i].fn());
	return check_summary("agent_test");
}
