/*
 * redfish_rig: one instance of a Redfish plugin (or any plugin) held as
 * pod-agentd holds it (plugrig.h), driven line by line on stdin by
 * tests/integration/test_redfish_plugins.py, which owns the Redfish mock
 * and its certificates. What the agent never does on its own today (a
 * power limit through control(), fini() and the session's end) is checked
 * this way.
 *
 *	redfish_rig KIND NAME [KEY=VALUE...]
 *
 * It prints "init ok" or "init failed", then answers each command with
 * one line of JSON:
 *
 *	read            the first device's sample
 *	dev             the first device
 *	control W       control() with a power limit of W: {"rc": 0}
 *	fini            fini() now (the log stays): {"rc": 0}
 *	log             every line logged so far, an array
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pod/plugin_util.h>

#include "plugrig.h"

static struct plugrig rig;

static void
rig_log(const struct plugrig *r)
{
	int i;
	const char *c;

	printf("[");
	for (i = 0; i < r->nlog && i < PLUGRIG_LOG_MAX; i++) {
		printf("%s\"", i ? ", " : "");
		for (c = r->log[i]; *c; c++)
			if (*c == '"' || *c == '\\')
				printf("\\%c", *c);
			else if ((unsigned char)*c >= ' ')
				putchar(*c);
		printf("\"");
	}
	printf("]\n");
}

static void
rig_read(struct plugrig *r)
{
	struct pod_sample s[POD_MAX_DEVICES];

	if (r->ctx == NULL || r->ndev < 1 ||
	    plugrig_read(r, pod_clock_ms(CLOCK_MONOTONIC), s) == -1) {
		printf("{\"rc\": -1}\n");
		return;
	}
	printf("{\"rc\": 0, \"valid\": %u, \"t_ms\": %lld, \"power_w\": %.17g, "
	       "\"energy_j\": %.17g, \"temp_c\": %.17g, \"supply_c\": %.17g, "
	       "\"return_c\": %.17g, \"flow_lpm\": %.17g, "
	       "\"pressure_kpa\": %.17g, \"pump_pct\": %.17g, "
	       "\"capacity_w\": %.17g, \"leak\": %d}\n",
	    s[0].valid, (long long)s[0].t_ms, s[0].power_w, s[0].energy_j,
	    s[0].temp_c, s[0].supply_c, s[0].return_c, s[0].flow_lpm,
	    s[0].pressure_kpa, s[0].pump_pct, s[0].capacity_w, s[0].leak);
}

static void
rig_dev(const struct plugrig *r)
{
	const struct pod_device *d = &r->dev[0];

	if (r->ndev < 1) {
		printf("{}\n");
		return;
	}
	printf("{\"name\": \"%s\", \"model\": \"%s\", \"domain\": %d, "
	       "\"caps\": %u, "
	       "\"power_min_w\": %.17g, \"power_max_w\": %.17g, "
	       "\"tdp_w\": %.17g}\n",
	    d->name, d->model, (int)d->domain, d->caps, d->power_min_w,
	    d->power_max_w, d->tdp_w);
}

int
main(int argc, char **argv)
{
	struct pod_control c;
	char line[256];
	double w;

	if (argc < 3) {
		fprintf(
		    stderr, "usage: redfish_rig KIND NAME [KEY=VALUE...]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("init %s\n", plugrig_open(&rig, argv[1], argv[2], "pod01-n001",
	                        (const char *const *)argv + 3) == 0
	                        ? "ok"
	                        : "failed");
	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (strncmp(line, "read", 4) == 0) {
			rig_read(&rig);
		} else if (strncmp(line, "dev", 3) == 0) {
			rig_dev(&rig);
		} else if (sscanf(line, "control %lf", &w) == 1) {
			memset(&c, 0, sizeof(c));
			c.set = POD_CTL_POWER_LIMIT;
			c.power_limit_w = w;
			printf("{\"rc\": %d}\n",
			    rig.ctx && rig.pl->desc->ops->control
			        ? rig.pl->desc->ops->control(rig.ctx, 0, &c)
			        : -1);
		} else if (strncmp(line, "fini", 4) == 0) {
			if (rig.ctx != NULL)
				rig.pl->desc->fini(rig.ctx);
			rig.ctx = NULL;
			printf("{\"rc\": 0}\n");
		} else if (strncmp(line, "log", 3) == 0) {
			rig_log(&rig);
		} else {
			printf("{\"error\": \"unknown command\"}\n");
		}
	}
	plugrig_close(&rig);
	return 0;
}
