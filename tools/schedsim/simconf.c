/*
 * The controller's configuration as pod-schedsim reads it (see simconf.h).
 * Keys are one static table, as in the controller's parser: section, key,
 * type, range, and where the value goes. A [qos NAME] or [partition NAME]
 * section makes a new entry on its first key; the keys after it fill it.
 * The fabric's names are generated in topology order, and the controller's
 * names sort in that order (zero-padded numbers), so a name is found by
 * binary search.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "hostlist.h"
#include "names.h"
#include "simconf.h"

#define SIMCONF_MAX_HOSTS 200000 /* names one list may expand to */

enum sc_target { SC_TOP, SC_QOS, SC_PART };
enum sc_type { SC_INT, SC_DOUBLE, SC_BOOL, SC_ENUM, SC_STR };

static const char *const policy_words[] = {
    "fcfs", "easy", "conservative", NULL};
static const char *const favor_words[] = {"large", "small", NULL};

/*
 * Keyword table. Columns: section, key, type, lower and upper bound
 * (numbers), which struct the value goes to (the config, the current
 * QOS, the current partition), the field's offset there, its size
 * (strings) and the allowed words (enums, stored as their index). The
 * ranges are the controller's.
 */
static const struct sc_key {
	const char *section;
	const char *key;
	enum sc_type type;
	double min, max;
	enum sc_target target;
	size_t off, size;
	const char *const *words;
} keys[] = {
    {"scheduler", "policy", SC_ENUM, 0, 0, SC_TOP,
        offsetof(struct simconf, policy), 0, policy_words},
    {"scheduler", "age_weight_per_h", SC_DOUBLE, 0, 1e6, SC_TOP,
        offsetof(struct simconf, age_weight_per_h), 0, NULL},
    {"scheduler", "age_cap_h", SC_INT, 0, 87600, SC_TOP,
        offsetof(struct simconf, age_cap_h), 0, NULL},
    {"scheduler", "starve_after_h", SC_INT, 0, 87600, SC_TOP,
        offsetof(struct simconf, starve_after_h), 0, NULL},
    {"priority", "weight_fairshare", SC_DOUBLE, 0, 1e9, SC_TOP,
        offsetof(struct simconf, w.fairshare), 0, NULL},
    {"priority", "weight_jobsize", SC_DOUBLE, 0, 1e9, SC_TOP,
        offsetof(struct simconf, w.jobsize), 0, NULL},
    {"priority", "jobsize_favor", SC_ENUM, 0, 0, SC_TOP,
        offsetof(struct simconf, w.favor_small), 0, favor_words},
    {"priority", "weight_qos", SC_DOUBLE, 0, 1e9, SC_TOP,
        offsetof(struct simconf, w.qos), 0, NULL},
    {"priority", "weight_operator", SC_DOUBLE, 0, 1e6, SC_TOP,
        offsetof(struct simconf, w.operator_), 0, NULL},
    {"priority", "half_life_h", SC_DOUBLE, 0, 87600, SC_TOP,
        offsetof(struct simconf, w.half_life_h), 0, NULL},
    {"qos", "priority", SC_INT, 0, 1e9, SC_QOS,
        offsetof(struct simconf_qos, priority), 0, NULL},
    {"qos", "max_wall_s", SC_INT, 0, 366 * 86400, SC_QOS,
        offsetof(struct simconf_qos, max_wall_s), 0, NULL},
    {"qos", "max_jobs_per_user", SC_INT, 0, 1e7, SC_QOS,
        offsetof(struct simconf_qos, max_jobs_per_user), 0, NULL},
    {"qos", "max_accels_per_user", SC_INT, 0, 1e8, SC_QOS,
        offsetof(struct simconf_qos, max_accels_per_user), 0, NULL},
    {"qos", "max_jobs_per_account", SC_INT, 0, 1e7, SC_QOS,
        offsetof(struct simconf_qos, max_jobs_per_account), 0, NULL},
    {"qos", "max_accels_per_account", SC_INT, 0, 1e8, SC_QOS,
        offsetof(struct simconf_qos, max_accels_per_account), 0, NULL},
    {"qos", "preempt", SC_STR, 0, 0, SC_QOS,
        offsetof(struct simconf_qos, preempt), SIMCONF_LIST_MAX, NULL},
    {"partition", "pods", SC_STR, 0, 0, SC_PART,
        offsetof(struct simconf_part, pods), SIMCONF_LIST_MAX, NULL},
    {"partition", "groups", SC_STR, 0, 0, SC_PART,
        offsetof(struct simconf_part, groups), SIMCONF_LIST_MAX, NULL},
    {"partition", "nodes", SC_STR, 0, 0, SC_PART,
        offsetof(struct simconf_part, nodes), SIMCONF_LIST_MAX, NULL},
    {"partition", "accounts", SC_STR, 0, 0, SC_PART,
        offsetof(struct simconf_part, accounts), SIMCONF_LIST_MAX, NULL},
    {"partition", "default", SC_BOOL, 0, 0, SC_PART,
        offsetof(struct simconf_part, is_default), 0, NULL},
    {"partition", "default_time_s", SC_INT, 0, 366 * 86400, SC_PART,
        offsetof(struct simconf_part, default_time_s), 0, NULL},
    {"partition", "max_time_s", SC_INT, 0, 366 * 86400, SC_PART,
        offsetof(struct simconf_part, max_time_s), 0, NULL},
};

/* Sections of which the simulation reads every key; in others it reads
 * what the table has and skips the rest. */
static const char *const strict_sections[] = {"priority", "qos", "partition"};

static const struct sc_key *
find_key(const struct conf_entry *e)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].section, e->section) == 0 &&
		    strcmp(keys[i].key, e->key) == 0)
			return &keys[i];
	return NULL;
}

static int
is_strict(const char *section)
{
	size_t i;

	for (i = 0; i < sizeof(strict_sections) / sizeof(strict_sections[0]);
	     i++)
		if (strcmp(strict_sections[i], section) == 0)
			return 1;
	return 0;
}

static int
set_value(const struct sc_key *k, const struct conf_entry *e, void *base,
    char *err, size_t errlen)
{
	char *p = (char *)base + k->off;
	long l;
	double d;
	int b, i;

	switch (k->type) {
	case SC_INT:
		if (conf_int(e, (long)k->min, (long)k->max, &l, err, errlen) ==
		    -1)
			return -1;
		*(int64_t *)(void *)p = l;
		return 0;
	case SC_DOUBLE:
		if (conf_double(e, k->min, k->max, &d, err, errlen) == -1)
			return -1;
		*(double *)(void *)p = d;
		return 0;
	case SC_BOOL:
		if (conf_bool(e, &b, err, errlen) == -1)
			return -1;
		*(int *)(void *)p = b;
		return 0;
	case SC_ENUM:
		for (i = 0; k->words[i] != NULL; i++)
			if (strcmp(k->words[i], e->value) == 0) {
				*(int *)(void *)p = i;
				return 0;
			}
		conf_error(err, errlen, e, "unknown value '%s'", e->value);
		return -1;
	case SC_STR:
		return conf_str(e, p, k->size, err, errlen);
	}
	return -1;
}

int
simconf_qos_find(const struct simconf *c, const char *name)
{
	int i;

	for (i = 0; i < c->nqos; i++)
		if (strcmp(c->qos[i].name, name) == 0)
			return i;
	return -1;
}

int
simconf_part_find(const struct simconf *c, const char *name)
{
	int i;

	for (i = 0; i < c->npart; i++)
		if (strcmp(c->part[i].name, name) == 0)
			return i;
	return -1;
}

/* The entry a [qos NAME] or [partition NAME] key fills: found, or new. */
static void *
named_entry(
    struct simconf *c, const struct conf_entry *e, char *err, size_t errlen)
{
	int qos = strcmp(e->section, "qos") == 0;
	int i =
	    qos ? simconf_qos_find(c, e->arg) : simconf_part_find(c, e->arg);
	int max = qos ? SIMCONF_MAX_QOS : SIMCONF_MAX_PART;
	int *n = qos ? &c->nqos : &c->npart;
	char *name;

	if (e->arg[0] == '\0' || strlen(e->arg) >= SIMCONF_NAME_MAX ||
	    !names_valid(e->arg)) {
		snprintf(err, errlen,
		    "%s: [%s] needs a name of 1 to %d of "
		    "[a-z0-9-_.]",
		    e->where, e->section, SIMCONF_NAME_MAX - 1);
		return NULL;
	}
	if (i >= 0)
		return qos ? (void *)&c->qos[i] : (void *)&c->part[i];
	if (*n == max) {
		snprintf(err, errlen, "%s: more than %d [%s] sections",
		    e->where, max, e->section);
		return NULL;
	}
	i = (*n)++;
	if (qos) {
		name = c->qos[i].name;
		snprintf(
		    c->qos[i].where, sizeof(c->qos[i].where), "%s", e->where);
	} else {
		name = c->part[i].name;
		snprintf(
		    c->part[i].where, sizeof(c->part[i].where), "%s", e->where);
	}
	snprintf(name, SIMCONF_NAME_MAX, "%s", e->arg);
	return qos ? (void *)&c->qos[i] : (void *)&c->part[i];
}

/* Each QOS's preempt list names other QOS, at most 8, as the controller
 * requires. 0, or -1 with the reason in err. */
static int
check_preempt(const struct simconf *c, char *err, size_t errlen)
{
	const char *p, *end;
	char item[SIMCONF_NAME_MAX];
	int i, k, n;

	for (i = 0; i < c->nqos; i++) {
		for (n = 0, p = c->qos[i].preempt; *p != '\0'; p = end) {
			while (*p == ' ' || *p == ',')
				p++;
			end = p + strcspn(p, ", ");
			if (end == p)
				break;
			snprintf(item, sizeof(item), "%.*s", (int)(end - p), p);
			k = simconf_qos_find(c, item);
			if (k < 0 || k == i || ++n > 8) {
				snprintf(err, errlen,
				    "%s: [qos %s] preempt: %s '%s'",
				    c->qos[i].where, c->qos[i].name,
				    k == i  ? "a QOS cannot preempt itself"
				    : k < 0 ? "no such QOS"
				            : "at most 8 QOS",
				    item);
				return -1;
			}
		}
	}
	return 0;
}

/* The controller's defaults (controllerd/config.c, core/prio.h). */
static void
defaults(struct simconf *c)
{
	memset(c, 0, sizeof(*c));
	c->policy = 1; /* easy */
	c->age_weight_per_h = 60;
	c->age_cap_h = 168;
	c->w.operator_ = 1;
	c->w.favor_small = 1;
	c->w.half_life_h = 168;
}

int
simconf_load(struct simconf *c, const char *path, char *err, size_t errlen)
{
	const struct conf_entry *e;
	const struct sc_key *k;
	struct conf *cf;
	char default_qos[SIMCONF_NAME_MAX] = "";
	const char *default_where = NULL;
	void *base;
	size_t i;
	int ndefault = 0, p;

	defaults(c);
	if ((cf = conf_load(path, err, errlen)) == NULL)
		return -1;
	for (i = 0; i < cf->n; i++) {
		e = &cf->v[i];
		if (strcmp(e->section, "scheduler") == 0 &&
		    strcmp(e->key, "default_qos") == 0) {
			if (conf_str(e, default_qos, sizeof(default_qos), err,
			        errlen) == -1)
				goto fail;
			default_where = e->where;
			continue;
		}
		if ((k = find_key(e)) == NULL) {
			if (!is_strict(e->section))
				continue;
			snprintf(err, errlen, "%s: unknown key '%s' in [%s]",
			    e->where, e->key, e->section);
			goto fail;
		}
		if (k->target == SC_TOP) {
			if (e->arg[0] != '\0') {
				snprintf(err, errlen,
				    "%s: [%s] takes no argument", e->where,
				    e->section);
				goto fail;
			}
			base = c;
		} else if ((base = named_entry(c, e, err, errlen)) == NULL) {
			goto fail;
		}
		if (set_value(k, e, base, err, errlen) == -1)
			goto fail;
	}
	if (c->nqos == 0) {
		c->nqos = 1;
		snprintf(c->qos[0].name, sizeof(c->qos[0].name), "normal");
	}
	/* unset: "normal" if there is one, else the first, as the
	 * controller chooses */
	if (default_qos[0] == '\0')
		snprintf(default_qos, sizeof(default_qos), "%s",
		    simconf_qos_find(c, "normal") >= 0 ? "normal"
		                                       : c->qos[0].name);
	if (check_preempt(c, err, errlen) == -1)
		goto fail;
	if ((c->default_qos = simconf_qos_find(c, default_qos)) < 0) {
		snprintf(err, errlen, "%s: default_qos: no [qos %s]",
		    default_where != NULL ? default_where : path, default_qos);
		goto fail;
	}
	for (p = 0; p < c->npart; p++) {
		if (c->part[p].is_default) {
			ndefault++;
			c->default_part = p;
		}
		if (c->part[p].max_time_s > 0 &&
		    c->part[p].default_time_s > c->part[p].max_time_s) {
			snprintf(err, errlen,
			    "%s: [partition %s] default_time_s above "
			    "max_time_s",
			    c->part[p].where, c->part[p].name);
			goto fail;
		}
	}
	if (ndefault > 1) {
		snprintf(
		    err, errlen, "%s: more than one default partition", path);
		goto fail;
	}
	c->w.age_per_h = c->age_weight_per_h;
	c->w.age_cap_h = c->age_cap_h;
	conf_free(cf);
	return 0;
fail:
	conf_free(cf);
	return -1;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/*
 * Marks the units named by list (a host list) among the n names in table
 * (sorted, NAME_MAX_LEN each): unit u's members are nodes [u * per, (u +
 * 1) * per) of the pod, but groups are uneven, so first[] (n + 1 entries)
 * gives each unit's first node. Returns the number of names, or -1.
 */
static int
mark_units(const char *list, const char *what, const char *table, int n,
    const int *first, unsigned char *member, char *err, size_t errlen)
{
	struct hostlist hl;
	const char *hit;
	int i, u, nd;

	if (list[0] == '\0')
		return 0;
	if (hostlist_expand(list, SIMCONF_MAX_HOSTS, &hl, err, errlen) == -1)
		return -1;
	for (i = 0; i < hl.n; i++) {
		hit = bsearch(hl.names[i], table, n, NAME_MAX_LEN, name_cmp);
		if (hit == NULL) {
			snprintf(err, errlen, "%s: no %s '%s' in the fabric",
			    list, what, hl.names[i]);
			hostlist_free(&hl);
			return -1;
		}
		u = (int)((hit - table) / NAME_MAX_LEN);
		for (nd = first[u]; nd < first[u + 1]; nd++)
			member[nd] = 1;
	}
	i = hl.n;
	hostlist_free(&hl);
	return i;
}

int
simconf_partition_nodes(const struct simconf_part *p, int npods,
    int nodes_per_pod, int groups_per_pod, unsigned char *member, char *err,
    size_t errlen)
{
	int nnodes = npods * nodes_per_pod, ngroups = npods * groups_per_pod;
	int gsize = (nodes_per_pod + groups_per_pod - 1) / groups_per_pod;
	int gw = groups_per_pod >= 100 ? 3 : 2;
	int n = ngroups > nnodes ? ngroups : nnodes;
	char *table, pod[NAME_MAX_LEN];
	int *first, i, k, g, count = -1;

	table = calloc((size_t)n, NAME_MAX_LEN);
	first = calloc((size_t)n + 1, sizeof(int));
	if (table == NULL || first == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i <= npods; i++)
		first[i] = i * nodes_per_pod;
	for (i = 0; i < npods; i++)
		names_pod(table + (size_t)i * NAME_MAX_LEN, NAME_MAX_LEN, i + 1,
		    npods);
	if (mark_units(
	        p->pods, "pod", table, npods, first, member, err, errlen) == -1)
		goto fail;
	/* groups: the simulation's (pod-schedsim's build_fabric()) */
	for (i = 0; i < npods; i++) {
		names_pod(pod, sizeof(pod), i + 1, npods);
		for (g = 0; g < groups_per_pod; g++) {
			k = i * groups_per_pod + g;
			snprintf(table + (size_t)k * NAME_MAX_LEN, NAME_MAX_LEN,
			    "%.40s-g%0*d", pod, gw, g + 1);
			first[k] = i * nodes_per_pod +
			           (g * gsize < nodes_per_pod ? g * gsize
			                                      : nodes_per_pod);
		}
	}
	first[ngroups] = nnodes;
	if (mark_units(p->groups, "group", table, ngroups, first, member, err,
	        errlen) == -1)
		goto fail;
	for (i = 0; i < npods; i++) {
		names_pod(pod, sizeof(pod), i + 1, npods);
		for (k = 0; k < nodes_per_pod; k++)
			names_node(table + ((size_t)i * nodes_per_pod + k) *
			                       NAME_MAX_LEN,
			    NAME_MAX_LEN, pod, k + 1, nodes_per_pod);
	}
	for (i = 0; i <= nnodes; i++)
		first[i] = i;
	if (mark_units(p->nodes, "node", table, nnodes, first, member, err,
	        errlen) == -1)
		goto fail;
	count = 0;
	for (i = 0; i < nnodes; i++) {
		if (p->pods[0] == '\0' && p->groups[0] == '\0' &&
		    p->nodes[0] == '\0')
			member[i] = 1; /* none named: every node */
		count += member[i] != 0;
	}
fail:
	free(table);
	free(first);
	return count;
}

int
simconf_part_allows(const struct simconf_part *p, const char *account)
{
	const char *s = p->accounts, *end;
	size_t len = strlen(account);

	if (s[0] == '\0')
		return 1;
	while (*s != '\0') {
		while (*s == ' ' || *s == ',')
			s++;
		end = s;
		while (*end != '\0' && *end != ',' && *end != ' ')
			end++;
		if ((size_t)(end - s) == len && strncmp(s, account, len) == 0)
			return 1;
		s = end;
	}
	return 0;
}
