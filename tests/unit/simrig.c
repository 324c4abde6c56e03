/*
 * The simulated-node test rig (see simrig.h): plugin instances, the
 * coupling the agent does between them on every tick, and the agent's power
 * code in between, in virtual time.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "simrig.h"

static void
test_log(
    const struct pod_host *host, enum pod_log_level level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (level > POD_LOG_WARN)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("  (plugin said: %s)\n", line);
}

void
rig_close(struct rig *r)
{
	if (r->pctx != NULL)
		r->pl->power->desc->fini(r->pctx);
	if (r->cctx != NULL)
		r->pl->cooling->desc->fini(r->cctx);
	r->pctx = r->cctx = NULL;
}

int
rig_open(struct rig *r, const struct plugins *pl, uint64_t seed,
    const struct pod_kv *pconf, int npconf, const struct pod_kv *cconf,
    int ncconf)
{
	struct pod_device accels[DVFS_MAX_ACCELS];
	int i;

	memset(r, 0, sizeof(*r));
	r->pl = pl;
	r->ph.node = r->ch.node = "pod01-n001";
	r->ph.seed = seed;
	r->ch.seed = seed ^ 0x5a5a5a5a5a5a5a5aull;
	r->ph.log = r->ch.log = test_log;
	r->ph.conf = pconf;
	r->ph.nconf = npconf;
	r->ch.conf = cconf;
	r->ch.nconf = ncconf;
	r->now_ms = T0_MS;
	r->inode = -1;
	r->silent_s = 0;
	if (pl->power->desc->init(&r->ph, &r->pctx) == -1 ||
	    pl->cooling->desc->init(&r->ch, &r->cctx) == -1)
		goto fail;
	r->ndev =
	    pl->power->desc->ops->devices(r->pctx, r->dev, POD_MAX_DEVICES);
	for (i = 0; i < r->ndev; i++) {
		if (r->dev[i].domain == POD_DOMAIN_ACCEL)
			accels[r->naccel++] = r->dev[i];
		else if (r->dev[i].domain == POD_DOMAIN_NODE)
			r->inode = i;
	}
	if (r->inode < 0 || r->naccel == 0)
		goto fail;
	power_init(&r->pw, accels, r->naccel, 2, 10);
	r->s.naccel = r->naccel;
	r->s.accels = r->sacc;
	for (i = 0; i < r->naccel; i++) {
		r->applied[i] = NAN;
		r->membound[i] = NAN;
	}
	return 0;
fail:
	printf("  cannot open the rig\n");
	rig_close(r);
	return -1;
}

/* Every accelerator in [from, to) runs work of util and membound, and the
 * agent knows how memory-bound it is. */
void
rig_load(struct rig *r, int from, int to, double util, double membound)
{
	int i;

	for (i = from; i < to && i < r->naccel; i++) {
		r->load[i].util = util;
		r->load[i].membound = membound;
		r->membound[i] = util > 0 ? membound : NAN;
	}
}

void
rig_policy(struct rig *r, const char *json)
{
	struct power_want w;
	json_t *o;
	char err[256];

	if ((o = json_loads(json, 0, NULL)) == NULL ||
	    power_parse(o, &w, err, sizeof(err)) == -1) {
		printf("  bad test policy %s\n", json);
		abort();
	}
	json_decref(o);
	power_set(&r->pw, &w);
}

void
rig_apply(struct rig *r)
{
	struct pod_control c = {.set = POD_CTL_CLOCK};
	int i;

	for (i = 0; i < r->naccel; i++) {
		if (fabs(r->pw.caps_mhz[i] - r->applied[i]) < 0.5)
			continue;
		c.clock_max_mhz = r->pw.caps_mhz[i];
		if (r->pl->power->desc->ops->control(r->pctx, i, &c) == 0)
			r->applied[i] = c.clock_max_mhz;
		r->controls++;
	}
}

/* One agent tick, one simulated second after the last. */
int
rig_step(struct rig *r)
{
	const struct pod_plugin_ops *pops = r->pl->power->desc->ops;
	const struct pod_plugin_ops *cops = r->pl->cooling->desc->ops;
	struct pod_env env;
	struct sample_loop *l = &r->s.loop;
	struct sample_accel *sa;
	double dt_s = r->nsteps > 0 ? 1.0 : 0.0;
	int i;

	if (r->nsteps++ > 0)
		r->now_ms += 1000;
	env.coolant_c = NAN;
	env.heat_w = r->nsteps > 1 ? r->ps[r->inode].power_w : NAN;
	env.load = NULL;
	env.nload = 0;
	cops->environ(r->cctx, &env);
	if (cops->read(r->cctx, r->now_ms, &r->cs, 1) == -1)
		return -1;
	r->s.has_loop = 1;
	l->valid = r->cs.valid;
	l->supply_c = r->cs.supply_c;
	l->return_c = r->cs.return_c;
	l->flow_lpm = r->cs.flow_lpm;
	l->leak = r->cs.leak;
	if (power_loop(&r->pw, l, dt_s))
		rig_apply(r);
	env.coolant_c = (r->cs.supply_c + r->cs.return_c) / 2;
	env.heat_w = NAN;
	env.load = r->load;
	env.nload = r->ndev;
	pops->environ(r->pctx, &env);
	if (pops->read(r->pctx, r->now_ms, r->ps, r->ndev) == -1)
		return -1;
	for (i = 0; i < r->naccel; i++) {
		sa = &r->sacc[i];
		sa->valid = r->ps[i].valid;
		sa->power_w = r->ps[i].power_w;
		sa->temp_c = r->ps[i].temp_c;
		sa->clock_mhz = r->ps[i].clock_mhz;
		sa->util_pct = r->ps[i].util_pct;
	}
	r->s.power_w = r->ps[r->inode].power_w;
	power_step(&r->pw, &r->s, r->membound, dt_s, r->silent_s);
	rig_apply(r);
	return 0;
}

int
rig_run(struct rig *r, int seconds)
{
	int i;

	for (i = 0; i < seconds; i++)
		if (rig_step(r) == -1)
			return -1;
	return 0;
}

double
rig_node_w(const struct rig *r)
{
	return r->ps[r->inode].power_w;
}
