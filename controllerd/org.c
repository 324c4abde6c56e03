/*
 * The site's organisation in memory (see org.h). This first cut knows the
 * root account, the QOS "normal" and the partition "all" (every node):
 * enough for every job to have an account, a QOS and a partition.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "ctl.h"
#include "fleet.h"
#include "log.h"
#include "org.h"
#include "prio.h"

int
org_load(struct ctl_state *st)
{
	struct org *o = &st->org;
	int i;

	org_free(o);
	o->accounts = calloc(1, sizeof(*o->accounts));
	o->qos = calloc(1, sizeof(*o->qos));
	o->partitions = calloc(1, sizeof(*o->partitions));
	if (o->accounts == NULL || o->qos == NULL || o->partitions == NULL)
		goto fail;
	snprintf(o->accounts[0].name, ORG_NAME_MAX, "root");
	o->accounts[0].parent = -1;
	o->accounts[0].shares = 1;
	o->naccounts = 1;
	snprintf(o->qos[0].name, ORG_NAME_MAX, "normal");
	o->nqos = 1;
	snprintf(o->partitions[0].name, ORG_NAME_MAX, "all");
	o->partitions[0].nodes = malloc(st->fleet->nnodes + 1);
	if (o->partitions[0].nodes == NULL)
		goto fail;
	for (i = 0; i < st->fleet->nnodes; i++)
		o->partitions[0].nodes[i] = 1;
	o->partitions[0].nmembers = st->fleet->nnodes;
	o->npartitions = 1;
	return 0;
fail:
	log_warnx("%s: out of memory", __func__);
	org_free(o);
	return -1;
}

void
org_free(struct org *o)
{
	int i;

	for (i = 0; i < o->npartitions; i++) {
		free(o->partitions[i].nodes);
		free(o->partitions[i].accounts);
	}
	for (i = 0; i < o->nresvs; i++)
		free(o->resvs[i].nodes);
	free(o->accounts);
	free(o->users);
	free(o->assocs);
	free(o->qos);
	free(o->partitions);
	free(o->resvs);
	memset(o, 0, sizeof(*o));
}

const struct org_qos *
org_qos_find(const struct org *o, const char *name)
{
	int i;

	for (i = 0; i < o->nqos; i++)
		if (strcmp(o->qos[i].name, name) == 0)
			return &o->qos[i];
	return NULL;
}

const struct org_partition *
org_partition_find(const struct org *o, const char *name)
{
	int i;

	for (i = 0; i < o->npartitions; i++)
		if (strcmp(o->partitions[i].name, name) == 0)
			return &o->partitions[i];
	return NULL;
}

int
org_account_find(const struct org *o, const char *name)
{
	int i;

	for (i = 0; i < o->naccounts; i++)
		if (strcmp(o->accounts[i].name, name) == 0)
			return i;
	return -1;
}

int
org_admit(
    struct ctl_state *st, struct job *j, char *err, size_t errlen, int *status)
{
	const struct org *o = &st->org;

	*status = 400;
	if (j->account[0] == '\0')
		snprintf(j->account, sizeof(j->account), "root");
	if (j->qos[0] == '\0')
		snprintf(
		    j->qos, sizeof(j->qos), "%s", o->qos[o->default_qos].name);
	if (j->partition[0] == '\0')
		snprintf(j->partition, sizeof(j->partition), "%s",
		    o->partitions[o->default_partition].name);
	if (org_account_find(o, j->account) < 0) {
		snprintf(err, errlen, "unknown account '%s'", j->account);
		return -1;
	}
	if (org_qos_find(o, j->qos) == NULL) {
		snprintf(err, errlen, "unknown QOS '%s'", j->qos);
		return -1;
	}
	if (org_partition_find(o, j->partition) == NULL) {
		snprintf(err, errlen, "unknown partition '%s'", j->partition);
		return -1;
	}
	if (j->reservation[0] != '\0') {
		snprintf(
		    err, errlen, "unknown reservation '%s'", j->reservation);
		return -1;
	}
	return 0;
}

int
org_fs_tree(const struct org *o, struct fs_node **v, int *n)
{
	int i;

	*n = o->naccounts;
	if ((*v = calloc(*n + 1, sizeof(**v))) == NULL)
		return -1;
	for (i = 0; i < *n; i++) {
		(*v)[i].parent = o->accounts[i].parent;
		(*v)[i].shares = o->accounts[i].shares;
	}
	return 0;
}

int
org_fs_leaf(const struct org *o, const char *user, const char *account)
{
	(void)user;
	return org_account_find(o, account);
}
