/*
 * pod-schedsim and the controller read one configuration file with two
 * key tables (tools/schedsim/simconf.c, controllerd/config.c): this reads
 * the same files with both and checks that every scheduling value agrees,
 * so that a key, a default or a range changed on one side only fails here
 * rather than making a replay quietly differ from the site it models.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "simconf.h"

/* The files both read (from tests/unit): the shipped example of a shared
 * site, one with every default, and the golden inputs of [priority] and of
 * QOS and partitions. */
static const char *const files[] = {
    "../../packaging/examples/controller-shared-site.conf",
    "data/config/minimal.conf",
    "data/config/priority.conf",
    "data/config/org.conf",
};

static void
agree(const char *file)
{
	const char *path = file;
	char err[512];
	struct config *c;
	struct simconf s;
	int i, k;

	c = config_load(path, err, sizeof(err));
	if (!CHECK(c != NULL, "%s: %s", file, err))
		return;
	if (!CHECK(simconf_load(&s, path, err, sizeof(err)) == 0, "%s: %s",
	        file, err))
		goto done;
	CHECK(s.policy == c->sched_policy, "%s", file);
	CHECK(s.age_weight_per_h == c->age_weight_per_h, "%s", file);
	CHECK(s.age_cap_h == c->age_cap_h, "%s", file);
	CHECK(s.starve_after_h == c->starve_after_h, "%s", file);
	CHECK(s.w.fairshare == c->w_fairshare && s.w.jobsize == c->w_jobsize &&
	          s.w.qos == c->w_qos && s.w.operator_ == c->w_operator &&
	          s.w.favor_small == c->jobsize_favor_small &&
	          s.w.half_life_h == c->half_life_h,
	    "%s: [priority]", file);
	CHECK(
	    s.nqos == c->nqos, "%s: %d QOS against %d", file, s.nqos, c->nqos);
	for (i = 0; i < s.nqos && i < c->nqos; i++) {
		const struct simconf_qos *q = &s.qos[i];
		const struct qos_config *r = &c->qos[i];

		CHECK(
		    strcmp(q->name, r->name) == 0 &&
		        q->priority == r->priority &&
		        q->max_wall_s == r->max_wall_s &&
		        q->max_jobs_per_user == r->max_jobs_per_user &&
		        q->max_accels_per_user == r->max_accels_per_user &&
		        q->max_jobs_per_account == r->max_jobs_per_account &&
		        q->max_accels_per_account == r->max_accels_per_account,
		    "%s: QOS %s", file, r->name);
	}
	CHECK(strcmp(s.qos[s.default_qos].name, c->default_qos) == 0,
	    "%s: default QOS %s against %s", file, s.qos[s.default_qos].name,
	    c->default_qos);
	/* the controller always has a partition; the simulation's none is
	 * its "all" */
	k = s.npart > 0 ? s.npart : 1;
	CHECK(k == c->npartitions, "%s: %d partitions against %d", file, k,
	    c->npartitions);
	for (i = 0; i < s.npart && i < c->npartitions; i++) {
		const struct simconf_part *p = &s.part[i];
		const struct partition_config *r = &c->partitions[i];

		CHECK(strcmp(p->name, r->name) == 0 &&
		          p->is_default == r->is_default &&
		          p->default_time_s == r->default_time_s &&
		          p->max_time_s == r->max_time_s &&
		          strcmp(p->accounts, r->accounts) == 0,
		    "%s: partition %s", file, r->name);
	}
done:
	config_free(c);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < NELEM(files); i++)
		agree(files[i]);
	return check_summary("simconf_agree_test");
}
