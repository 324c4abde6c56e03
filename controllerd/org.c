/*
 * The site's organisation in memory (see org.h): the account tree, users
 * and their associations, loaded from the store; the QOS and partitions,
 * built from the config, each partition resolved into a byte per fleet
 * node; the reservations, from the store, resolved the same way.
 *
 * Accounts are kept parents first (the root at 0), as the fair-share tree
 * wants them: a change that could break the order (a new parent) reorders
 * the array and remaps every index that points into it. Every change is
 * stored, with its audit line, before memory changes, so that what a reply
 * acknowledged survives a restart.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "ctl.h"
#include "fleet.h"
#include "hostlist.h"
#include "log.h"
#include "org.h"
#include "prio.h"
#include "store.h"
#include "timeutil.h"

#define ORG_MAX_ACCOUNTS 100000 /* accounts the tree may hold */
#define ORG_MAX_USERS    1000000

int
org_account_find(const struct org *o, const char *name)
{
	int i;

	for (i = 0; i < o->naccounts; i++)
		if (strcmp(o->accounts[i].name, name) == 0)
			return i;
	return -1;
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

const struct org_user *
org_user_find(const struct org *o, const char *name)
{
	int i;

	for (i = 0; i < o->nusers; i++)
		if (strcmp(o->users[i].name, name) == 0)
			return &o->users[i];
	return NULL;
}

const struct org_resv *
org_resv_find(const struct org *o, const char *name)
{
	int i;

	for (i = 0; i < o->nresvs; i++)
		if (strcmp(o->resvs[i].name, name) == 0)
			return &o->resvs[i];
	return NULL;
}

/* Whether user has an association with account. */
static int
has_assoc(const struct org *o, const char *user, int account)
{
	int i;

	for (i = 0; i < o->nassocs; i++)
		if (o->assocs[i].account == account &&
		    strcmp(o->assocs[i].user, user) == 0)
			return 1;
	return 0;
}

int
org_may_charge(const struct org *o, const char *user, int account)
{
	if (account < 0)
		return 0;
	if (has_assoc(o, user, account))
		return 1;
	return !o->enforce && account == o->root &&
	       org_user_find(o, user) == NULL;
}

/* Whether account a is anc or under it. */
static int
under(const struct org *o, int a, int anc)
{
	int hops;

	for (hops = 0; a >= 0 && hops <= o->naccounts; hops++) {
		if (a == anc)
			return 1;
		a = o->accounts[a].parent;
	}
	return 0;
}

static void
free_partitions(struct org *o)
{
	int i;

	for (i = 0; i < o->npartitions; i++) {
		free(o->partitions[i].nodes);
		free(o->partitions[i].accounts);
	}
	free(o->partitions);
	o->partitions = NULL;
	o->npartitions = 0;
}

void
org_free(struct org *o)
{
	int i;

	free_partitions(o);
	for (i = 0; i < o->nresvs; i++) {
		free(o->resvs[i].nodes);
		free(o->resvs[i].nodes_text);
	}
	free(o->resvs);
	free(o->accounts);
	free(o->users);
	free(o->assocs);
	free(o->qos);
	free(o->pod_notice);
	free(o->notice_text);
	memset(o, 0, sizeof(*o));
}

/*
 * Puts the accounts parents first, the root at 0, and remaps every index
 * into them. An account its parent does not reach (a damaged database)
 * is hung under the root, with a warning. 0 or -1 (no memory).
 */
static int
reorder(struct org *o)
{
	struct org_account *v = NULL;
	int *order = NULL, *newix = NULL, n = o->naccounts, head, tail, i;

	if (n == 0)
		return 0;
	if ((v = calloc(n, sizeof(*v))) == NULL ||
	    (order = calloc(n, sizeof(*order))) == NULL ||
	    (newix = malloc(n * sizeof(*newix))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++)
		newix[i] = -1;
	tail = 0;
	for (i = 0; i < n; i++)
		if (o->accounts[i].parent < 0 &&
		    strcmp(o->accounts[i].name, "root") == 0)
			order[tail++] = i;
	if (tail != 1) {
		log_warnx("%s: no single root account", __func__);
		goto fail;
	}
	newix[order[0]] = 0;
	for (head = 0; head < n; head++) {
		if (head == tail) { /* an unreached account: under the root */
			for (i = 0; i < n && newix[i] >= 0; i++)
				continue;
			log_warnx("account %s is not under root; it is put "
			          "there",
			    o->accounts[i].name);
			o->accounts[i].parent = order[0];
			newix[i] = tail;
			order[tail++] = i;
		}
		for (i = 0; i < n; i++)
			if (newix[i] < 0 &&
			    o->accounts[i].parent == order[head]) {
				newix[i] = tail;
				order[tail++] = i;
			}
	}
	for (i = 0; i < n; i++) {
		v[i] = o->accounts[order[i]];
		if (v[i].parent >= 0)
			v[i].parent = newix[v[i].parent];
	}
	for (i = 0; i < o->nusers; i++)
		if (o->users[i].default_account >= 0)
			o->users[i].default_account =
			    newix[o->users[i].default_account];
	for (i = 0; i < o->nassocs; i++)
		o->assocs[i].account = newix[o->assocs[i].account];
	for (i = 0; i < o->nresvs; i++)
		if (o->resvs[i].account >= 0)
			o->resvs[i].account = newix[o->resvs[i].account];
	free(o->accounts);
	o->accounts = v;
	o->root = 0;
	free(order);
	free(newix);
	return 0;
nomem:
	log_warnx("%s: out of memory", __func__);
fail:
	free(v);
	free(order);
	free(newix);
	return -1;
}

/* Sets set[i] for the nodes of a host list; 0, or -1 with why. */
static int
mark_nodes(struct fleet *f, const char *list, unsigned char *set, int *count,
    char *why, size_t whylen)
{
	struct hostlist hl = {0};
	struct node *n;
	int i;

	if (hostlist_expand(list, f->nnodes, &hl, why, whylen) == -1)
		return -1;
	for (i = 0; i < hl.n; i++) {
		if ((n = fleet_node(f, hl.names[i])) == NULL) {
			snprintf(why, whylen, "no node '%s' in the fabric",
			    hl.names[i]);
			hostlist_free(&hl);
			return -1;
		}
		if (!set[n - f->nodes])
			(*count)++;
		set[n - f->nodes] = 1;
	}
	hostlist_free(&hl);
	return 0;
}

/* Calls fn for each comma-separated item of list, blanks trimmed. */
static void
each_item(const char *list, void (*fn)(const char *item, void *arg), void *arg)
{
	char item[256];
	const char *p = list, *end;
	size_t len;

	while (*p != '\0') {
		p += strspn(p, " \t,");
		end = p + strcspn(p, ",");
		len = (size_t)(end - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len > 0 && len < sizeof(item)) {
			memcpy(item, p, len);
			item[len] = '\0';
			fn(item, arg);
		}
		p = end;
	}
}

struct part_fill {
	struct org *o;
	struct fleet *f;
	struct org_partition *pt;
};

static void
add_pod(const char *item, void *arg)
{
	struct part_fill *pf = arg;
	int p = fleet_pod_index(pf->f, item), i;

	if (p < 0)
		return;
	for (i = 0; i < pf->f->nnodes; i++)
		if (pf->f->nodes[i].pod == p && !pf->pt->nodes[i]) {
			pf->pt->nodes[i] = 1;
			pf->pt->nmembers++;
		}
}

static void
add_group(const char *item, void *arg)
{
	struct part_fill *pf = arg;
	int i;

	for (i = 0; i < pf->f->nnodes; i++)
		if (strcmp(pf->f->nodes[i].group, item) == 0 &&
		    !pf->pt->nodes[i]) {
			pf->pt->nodes[i] = 1;
			pf->pt->nmembers++;
		}
}

static void
add_account(const char *item, void *arg)
{
	struct part_fill *pf = arg;
	int a = org_account_find(pf->o, item);

	if (a >= 0)
		pf->pt->accounts[pf->pt->naccounts++] = a;
}

/* Resolves the accounts a partition allows (names in the config) to
 * indices; a name no account has yet allows nothing until it is made. */
static int
resolve_accounts(struct org *o, const struct config *c)
{
	struct part_fill pf = {.o = o};
	int i;

	for (i = 0; i < o->npartitions && i < c->npartitions; i++) {
		struct org_partition *pt = &o->partitions[i];

		free(pt->accounts);
		pt->accounts = NULL;
		pt->naccounts = 0;
		if (c->partitions[i].accounts[0] == '\0')
			continue;
		if ((pt->accounts =
		            calloc(strlen(c->partitions[i].accounts) / 2 + 1,
		                sizeof(*pt->accounts))) == NULL) {
			log_warnx("%s: out of memory", __func__);
			return -1;
		}
		pf.pt = pt;
		each_item(c->partitions[i].accounts, add_account, &pf);
	}
	return 0;
}

/* The QOS and partitions of config c, into o (the old ones released). */
static int
build_config(struct org *o, struct fleet *f, const struct config *c)
{
	struct org_qos *qos;
	struct part_fill pf = {.o = o, .f = f};
	char why[256];
	int i, k;

	if ((qos = calloc(c->nqos, sizeof(*qos))) == NULL)
		goto nomem;
	for (i = 0; i < c->nqos; i++) {
		const struct qos_config *q = &c->qos[i];

		snprintf(qos[i].name, sizeof(qos[i].name), "%s", q->name);
		qos[i].priority = q->priority;
		qos[i].max_wall_s = q->max_wall_s;
		qos[i].max_jobs_per_user = q->max_jobs_per_user;
		qos[i].max_accels_per_user = q->max_accels_per_user;
		qos[i].max_jobs_per_account = q->max_jobs_per_account;
		qos[i].max_accels_per_account = q->max_accels_per_account;
	}
	/* preempt names are checked by the config: each is a QOS */
	for (i = 0; i < c->nqos; i++) {
		char item[CONFIG_TAG_MAX + 1];
		const char *p = c->qos[i].preempt, *end;

		while (*p != '\0' && qos[i].npreempt < ORG_MAX_PREEMPT) {
			size_t len;

			p += strspn(p, " \t,");
			end = p + strcspn(p, ",");
			len = (size_t)(end - p);
			while (len > 0 &&
			       (p[len - 1] == ' ' || p[len - 1] == '\t'))
				len--;
			snprintf(item, sizeof(item), "%.*s", (int)len, p);
			for (k = 0; k < c->nqos; k++)
				if (len > 0 && strcmp(qos[k].name, item) == 0)
					qos[i].preempt[qos[i].npreempt++] = k;
			p = end;
		}
	}
	free(o->qos);
	o->qos = qos;
	o->nqos = c->nqos;
	o->default_qos = 0;
	for (i = 0; i < c->nqos; i++)
		if (strcmp(qos[i].name, c->default_qos) == 0)
			o->default_qos = i;

	free_partitions(o);
	if ((o->partitions = calloc(c->npartitions, sizeof(*o->partitions))) ==
	    NULL)
		goto nomem;
	o->npartitions = c->npartitions;
	for (i = 0; i < c->npartitions; i++) {
		const struct partition_config *pc = &c->partitions[i];
		struct org_partition *pt = &o->partitions[i];

		snprintf(pt->name, sizeof(pt->name), "%s", pc->name);
		pt->default_time_s = pc->default_time_s;
		pt->max_time_s = pc->max_time_s;
		if (pc->is_default)
			o->default_partition = i;
		if ((pt->nodes = calloc(f->nnodes + 1, 1)) == NULL)
			goto nomem;
		pf.pt = pt;
		each_item(pc->pods, add_pod, &pf);
		each_item(pc->groups, add_group, &pf);
		if (pc->nodes[0] != '\0' &&
		    mark_nodes(f, pc->nodes, pt->nodes, &pt->nmembers, why,
		        sizeof(why)) == -1) {
			log_warnx("partition %s: %s", pt->name, why);
			return -1;
		}
		if (pc->pods[0] == '\0' && pc->groups[0] == '\0' &&
		    pc->nodes[0] == '\0') {
			memset(pt->nodes, 1, f->nnodes);
			pt->nmembers = f->nnodes;
		}
	}
	return resolve_accounts(o, c);
nomem:
	log_warnx("%s: out of memory", __func__);
	return -1;
}

/* Resolves reservation r's host list into its per-node bytes. */
static int
resolve_resv(struct fleet *f, struct org_resv *r, char *why, size_t whylen)
{
	free(r->nodes);
	r->nnodes = 0;
	if ((r->nodes = calloc(f->nnodes + 1, 1)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return mark_nodes(f, r->nodes_text, r->nodes, &r->nnodes, why, whylen);
}

int
org_load(struct ctl_state *st)
{
	struct org *o = &st->org;
	char why[256];
	int i;

	org_free(o);
	o->enforce = st->conf->accounts_enforce;
	if (store_load_org(st->store, o) == -1 || reorder(o) == -1)
		goto fail;
	for (i = 0; i < o->nusers; i++)
		if (o->users[i].default_account < 0)
			o->users[i].default_account = o->root;
	for (i = 0; i < o->nresvs; i++)
		if (resolve_resv(st->fleet, &o->resvs[i], why, sizeof(why)) ==
		    -1)
			log_warnx("reservation %s: %s; it reserves no node",
			    o->resvs[i].name, why);
	if (build_config(o, st->fleet, st->conf) == -1)
		goto fail;
	log_info("organisation: %d accounts, %d users, %d QOS, %d "
	         "partitions, %d reservations",
	    o->naccounts, o->nusers, o->nqos, o->npartitions, o->nresvs);
	return 0;
fail:
	log_warnx(
	    "%s: cannot load the accounts, users and reservations", __func__);
	return -1;
}

int
org_configure(struct ctl_state *st)
{
	st->org.enforce = st->conf->accounts_enforce;
	return build_config(&st->org, st->fleet, st->conf);
}

/* Sets err and *status; returns -1. */
static int refuse(int *status, int code, char *err, size_t errlen,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
refuse(int *status, int code, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	*status = code;
	return -1;
}

/* Whether the partition lets account a (or an account above it) in. */
static int
partition_allows(const struct org *o, const struct org_partition *pt, int a)
{
	int i;

	if (pt->accounts == NULL)
		return 1;
	for (i = 0; i < pt->naccounts; i++)
		if (under(o, a, pt->accounts[i]))
			return 1;
	return 0;
}

int
org_admit(
    struct ctl_state *st, struct job *j, char *err, size_t errlen, int *status)
{
	const struct org *o = &st->org;
	const struct org_user *u = org_user_find(o, j->user);
	const struct org_partition *pt;
	const struct org_qos *q;
	const struct org_resv *r;
	int64_t limit;
	int a, accels;

	if (j->account[0] == '\0') {
		if (u != NULL)
			a = u->default_account;
		else if (!o->enforce)
			a = o->root;
		else
			return refuse(status, 400, err, errlen,
			    "user '%s' has no account: an administrator adds "
			    "one with 'podctl user add %s --account ACCOUNT' "
			    "([accounts] enforce)",
			    j->user, j->user);
		snprintf(
		    j->account, sizeof(j->account), "%s", o->accounts[a].name);
	} else if ((a = org_account_find(o, j->account)) < 0)
		return refuse(status, 400, err, errlen, "unknown account '%s'",
		    j->account);
	if (!org_may_charge(o, j->user, a))
		return refuse(status, 400, err, errlen,
		    "user '%s' may not charge account '%s' (not one of its "
		    "accounts)",
		    j->user, j->account);
	if (j->qos[0] == '\0')
		snprintf(
		    j->qos, sizeof(j->qos), "%s", o->qos[o->default_qos].name);
	else if (org_qos_find(o, j->qos) == NULL)
		return refuse(
		    status, 400, err, errlen, "unknown QOS '%s'", j->qos);
	q = org_qos_find(o, j->qos);
	if (j->partition[0] == '\0')
		snprintf(j->partition, sizeof(j->partition), "%s",
		    o->partitions[o->default_partition].name);
	else if (org_partition_find(o, j->partition) == NULL)
		return refuse(status, 400, err, errlen,
		    "unknown partition '%s'", j->partition);
	pt = org_partition_find(o, j->partition);
	if (!partition_allows(o, pt, a))
		return refuse(status, 400, err, errlen,
		    "account '%s' may not use partition '%s' "
		    "(AccountNotAllowed)",
		    j->account, pt->name);
	if (j->time_limit_s <= 0)
		j->time_limit_s = pt->default_time_s > 0
		                      ? pt->default_time_s
		                      : st->conf->default_time_limit_s;
	limit = j->time_limit_s;
	if (q->max_wall_s > 0 && limit > q->max_wall_s)
		return refuse(status, 400, err, errlen,
		    "time limit %lld s is over QOS '%s' max_wall_s %lld "
		    "(QOSMaxWallDurationPerJobLimit)",
		    (long long)limit, q->name, (long long)q->max_wall_s);
	if (pt->max_time_s > 0 && limit > pt->max_time_s)
		return refuse(status, 400, err, errlen,
		    "time limit %lld s is over partition '%s' max_time_s "
		    "%lld (PartitionTimeLimit)",
		    (long long)limit, pt->name, (long long)pt->max_time_s);
	accels = j->accels_total > 0 ? j->accels_total
	                             : j->nnodes * j->accels_per_node;
	if (q->max_accels_per_user > 0 && accels > q->max_accels_per_user)
		return refuse(status, 400, err, errlen,
		    "%d accelerators is over QOS '%s' max_accels_per_user %d: "
		    "it could never run (QOSMaxGRESPerUser)",
		    accels, q->name, q->max_accels_per_user);
	if (q->max_accels_per_account > 0 && accels > q->max_accels_per_account)
		return refuse(status, 400, err, errlen,
		    "%d accelerators is over QOS '%s' max_accels_per_account "
		    "%d: it could never run (QOSMaxGRESPerAccount)",
		    accels, q->name, q->max_accels_per_account);
	if (pt->nmembers == 0)
		return refuse(status, 400, err, errlen,
		    "partition '%s' has no node", pt->name);
	if (j->reservation[0] == '\0')
		return 0;
	if ((r = org_resv_find(o, j->reservation)) == NULL)
		return refuse(status, 400, err, errlen,
		    "unknown reservation '%s'", j->reservation);
	if (r->maint)
		return refuse(status, 400, err, errlen,
		    "reservation '%s' is a maintenance window: no job runs "
		    "in it",
		    r->name);
	if (r->account >= 0 && !under(o, a, r->account))
		return refuse(status, 400, err, errlen,
		    "account '%s' may not use reservation '%s' (it is for "
		    "account '%s')",
		    j->account, r->name, o->accounts[r->account].name);
	if (r->end_ms <= time_wall_ms())
		return refuse(status, 400, err, errlen,
		    "reservation '%s' has ended", r->name);
	return 0;
}

/* ---- changes ---- */

/* Checks a name for an account, user or reservation. */
static int
check_name(
    const char *what, const char *name, char *err, size_t errlen, int *status)
{
	size_t len = strlen(name);
	size_t i;

	for (i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		        (name[i] >= 'A' && name[i] <= 'Z') ||
		        (name[i] >= '0' && name[i] <= '9') || name[i] == '-' ||
		        name[i] == '_' || name[i] == '.'))
			break;
	if (len == 0 || len >= ORG_NAME_MAX || i < len)
		return refuse(status, 400, err, errlen,
		    "%s name '%s' must be 1 to %d characters A-Z a-z 0-9 - _ .",
		    what, name, ORG_NAME_MAX - 1);
	return 0;
}

/* 503 or 500 for a failed store write, as api_reply_store_error(). */
static int
store_failed(struct ctl_state *st, const char *what, char *err, size_t errlen,
    int *status)
{
	const char *why = store_unavailable(st->store);

	if (why != NULL)
		return refuse(status, 503, err, errlen,
		    "could not store %s: %s; nothing was changed, try again",
		    what, why);
	return refuse(status, 500, err, errlen, "could not store %s", what);
}

static int
check_shares(double shares, char *err, size_t errlen, int *status)
{
	if (!isfinite(shares) || shares <= 0 || shares > 1e9)
		return refuse(status, 400, err, errlen,
		    "shares must be a number over 0 and at most 1e9");
	return 0;
}

int
org_account_add(struct ctl_state *st, const char *name, const char *parent,
    double shares, const char *description, const char *who, char *err,
    size_t errlen, int *status)
{
	struct org *o = &st->org;
	struct org_account *v, a;
	char detail[192];
	int p;

	if (check_name("account", name, err, errlen, status) == -1 ||
	    check_shares(shares, err, errlen, status) == -1)
		return -1;
	if (org_account_find(o, name) >= 0)
		return refuse(
		    status, 409, err, errlen, "account '%s' exists", name);
	if (parent == NULL || parent[0] == '\0')
		p = o->root;
	else if ((p = org_account_find(o, parent)) < 0)
		return refuse(status, 400, err, errlen,
		    "unknown account '%s' (the parent)", parent);
	if (o->naccounts >= ORG_MAX_ACCOUNTS)
		return refuse(status, 409, err, errlen, "%d accounts: no more",
		    o->naccounts);
	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "%s", name);
	snprintf(a.description, sizeof(a.description), "%s",
	    description ? description : "");
	a.parent = p;
	a.shares = shares;
	if ((v = realloc(o->accounts, (o->naccounts + 1) * sizeof(*v))) == NULL)
		return refuse(status, 500, err, errlen, "out of memory");
	o->accounts = v;
	snprintf(detail, sizeof(detail), "parent %s, shares %g",
	    o->accounts[p].name, shares);
	if (store_put_account(st->store, &a.id, name, o->accounts[p].id, shares,
	        a.description, who, "account add", detail) == -1)
		return store_failed(st, "the account", err, errlen, status);
	o->accounts[o->naccounts++] = a; /* its parent comes before it */
	(void)resolve_accounts(o, st->conf);
	log_info("account %s added by %s (%s)", name, who, detail);
	return 0;
}

int
org_account_modify(struct ctl_state *st, const char *name, const char *parent,
    double shares, const char *description, const char *who, char *err,
    size_t errlen, int *status)
{
	struct org *o = &st->org;
	struct org_account a;
	char detail[256];
	int i = org_account_find(o, name), p;
	size_t l;

	if (i < 0)
		return refuse(
		    status, 404, err, errlen, "unknown account '%s'", name);
	a = o->accounts[i];
	p = a.parent;
	if (parent != NULL) {
		if (i == o->root)
			return refuse(status, 400, err, errlen,
			    "the root account has no parent");
		if ((p = org_account_find(o, parent)) < 0)
			return refuse(status, 400, err, errlen,
			    "unknown account '%s' (the parent)", parent);
		if (under(o, p, i))
			return refuse(status, 400, err, errlen,
			    "account '%s' is under '%s': it cannot be its "
			    "parent",
			    parent, name);
	}
	if (shares >= 0 && check_shares(shares, err, errlen, status) == -1)
		return -1;
	if (shares >= 0)
		a.shares = shares;
	if (description != NULL)
		snprintf(
		    a.description, sizeof(a.description), "%s", description);
	a.parent = p;
	snprintf(detail, sizeof(detail), "parent %s, shares %g",
	    p >= 0 ? o->accounts[p].name : "-", a.shares);
	if (description != NULL) {
		l = strlen(detail);
		snprintf(detail + l, sizeof(detail) - l,
		    ", description '%.64s'", a.description);
	}
	if (store_put_account(st->store, &a.id, name,
	        p >= 0 ? o->accounts[p].id : 0, a.shares, a.description, who,
	        "account modify", detail) == -1)
		return store_failed(st, "the account", err, errlen, status);
	o->accounts[i] = a;
	/* a move may reorder the accounts: the partitions' indices too */
	if (parent != NULL &&
	    (reorder(o) == -1 || resolve_accounts(o, st->conf) == -1))
		return refuse(status, 500, err, errlen, "out of memory");
	log_info("account %s modified by %s (%s)", name, who, detail);
	return 0;
}

int
org_user_put(struct ctl_state *st, int modify, const char *name,
    const char *const *accounts, int n, const char *default_account,
    const char *who, char *err, size_t errlen, int *status)
{
	struct org *o = &st->org;
	const struct org_user *u = org_user_find(o, name);
	int ui = u != NULL ? (int)(u - o->users) : -1;
	struct org_assoc *assocs = NULL;
	struct org_user *users;
	int64_t *ids = NULL;
	double *shares = NULL;
	int *ix = NULL, i, k, dflt = -1, na, rc = -1;
	char detail[512];
	size_t l;

	if (check_name("user", name, err, errlen, status) == -1)
		return -1;
	if (!modify && u != NULL)
		return refuse(
		    status, 409, err, errlen, "user '%s' exists", name);
	if (modify && u == NULL)
		return refuse(
		    status, 404, err, errlen, "unknown user '%s'", name);
	if (!modify && (accounts == NULL || n == 0))
		return refuse(status, 400, err, errlen,
		    "a user needs at least one account");
	if (accounts == NULL) { /* keep the associations */
		for (i = 0, n = 0; i < o->nassocs; i++)
			n += strcmp(o->assocs[i].user, name) == 0;
	}
	if ((ix = calloc(n + 1, sizeof(*ix))) == NULL ||
	    (ids = calloc(n + 1, sizeof(*ids))) == NULL ||
	    (shares = calloc(n + 1, sizeof(*shares))) == NULL) {
		refuse(status, 500, err, errlen, "out of memory");
		goto done;
	}
	if (accounts == NULL) {
		for (i = 0, k = 0; i < o->nassocs; i++)
			if (strcmp(o->assocs[i].user, name) == 0) {
				ix[k] = o->assocs[i].account;
				shares[k++] = o->assocs[i].shares;
			}
	} else {
		for (i = 0; i < n; i++) {
			if ((ix[i] = org_account_find(o, accounts[i])) < 0) {
				refuse(status, 400, err, errlen,
				    "unknown account '%s'", accounts[i]);
				goto done;
			}
			for (k = 0; k < i; k++)
				if (ix[k] == ix[i]) {
					refuse(status, 400, err, errlen,
					    "account '%s' is given twice",
					    accounts[i]);
					goto done;
				}
			shares[i] = 1;
		}
	}
	if (default_account != NULL && default_account[0] != '\0') {
		if ((dflt = org_account_find(o, default_account)) < 0) {
			refuse(status, 400, err, errlen,
			    "unknown account '%s' (the default)",
			    default_account);
			goto done;
		}
	} else if (u != NULL)
		dflt = u->default_account;
	else
		dflt = ix[0];
	for (k = 0; k < n && ix[k] != dflt; k++)
		continue;
	if (k == n) {
		if (accounts != NULL || default_account == NULL ||
		    default_account[0] == '\0')
			dflt = n > 0 ? ix[0] : dflt;
		for (k = 0; k < n && ix[k] != dflt; k++)
			continue;
		if (k == n) {
			refuse(status, 400, err, errlen,
			    "the default account '%s' is not one of the "
			    "user's accounts",
			    o->accounts[dflt].name);
			goto done;
		}
	}
	snprintf(detail, sizeof(detail), "default %s, accounts",
	    o->accounts[dflt].name);
	for (i = 0; i < n; i++) {
		ids[i] = o->accounts[ix[i]].id;
		l = strlen(detail);
		snprintf(detail + l, sizeof(detail) - l, "%s%s", i ? "," : " ",
		    o->accounts[ix[i]].name);
	}
	/* room first: after the store, memory must not fail */
	na = o->nassocs + n;
	if ((assocs = calloc(na + 1, sizeof(*assocs))) == NULL ||
	    (users = realloc(o->users, (o->nusers + 1) * sizeof(*users))) ==
	        NULL) {
		refuse(status, 500, err, errlen, "out of memory");
		goto done;
	}
	o->users = users;
	if (o->nusers >= ORG_MAX_USERS) {
		refuse(
		    status, 409, err, errlen, "%d users: no more", o->nusers);
		goto done;
	}
	if (store_put_user(st->store, name, o->accounts[dflt].id, ids, shares,
	        n, who, modify ? "user modify" : "user add", detail) == -1) {
		store_failed(st, "the user", err, errlen, status);
		goto done;
	}
	for (i = 0, k = 0; i < o->nassocs; i++)
		if (strcmp(o->assocs[i].user, name) != 0)
			assocs[k++] = o->assocs[i];
	for (i = 0; i < n; i++, k++) {
		snprintf(assocs[k].user, sizeof(assocs[k].user), "%s", name);
		assocs[k].account = ix[i];
		assocs[k].shares = shares[i];
	}
	free(o->assocs);
	o->assocs = assocs;
	o->nassocs = k;
	assocs = NULL;
	if (u == NULL) {
		users = &o->users[o->nusers++];
		memset(users, 0, sizeof(*users));
		snprintf(users->name, sizeof(users->name), "%s", name);
	} else
		users = &o->users[ui];
	users->default_account = dflt;
	log_info("user %s %s by %s (%s)", name, modify ? "modified" : "added",
	    who, detail);
	rc = 0;
done:
	free(assocs);
	free(ix);
	free(ids);
	free(shares);
	return rc;
}

/* ms since the epoch as "YYYY-MM-DDTHH:MM:SSZ" (as the API shows it). */
static void
fmt_time(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
org_resv_add(struct ctl_state *st, const struct org_resv *in,
    const char *nodes_text, const char *who, char *err, size_t errlen,
    int *status)
{
	struct org *o = &st->org;
	struct org_resv r, *v;
	char why[256], detail[512], from[40], to[40];
	int i;

	memset(&r, 0, sizeof(r));
	if (check_name("reservation", in->name, err, errlen, status) == -1)
		return -1;
	if (org_resv_find(o, in->name) != NULL)
		return refuse(status, 409, err, errlen,
		    "reservation '%s' exists", in->name);
	if (in->end_ms <= in->start_ms)
		return refuse(status, 400, err, errlen,
		    "a reservation must last at least a second");
	if (in->end_ms <= time_wall_ms())
		return refuse(status, 400, err, errlen,
		    "the reservation would have ended already");
	if (in->maint && in->account >= 0)
		return refuse(status, 400, err, errlen,
		    "a maintenance reservation is for nobody: give an "
		    "account or maint, not both");
	if (!in->maint && in->account < 0)
		return refuse(status, 400, err, errlen,
		    "a reservation is for an account, or for maintenance "
		    "(maint)");
	r = *in;
	r.nodes = NULL;
	if ((r.nodes_text = strdup(nodes_text)) == NULL)
		return refuse(status, 500, err, errlen, "out of memory");
	if (resolve_resv(st->fleet, &r, why, sizeof(why)) == -1) {
		refuse(status, 400, err, errlen, "nodes: %s", why);
		goto fail;
	}
	if (r.nnodes == 0) {
		refuse(status, 400, err, errlen, "nodes: no node");
		goto fail;
	}
	for (i = 0; i < o->nresvs; i++) {
		const struct org_resv *x = &o->resvs[i];
		int k;

		if (x->end_ms <= r.start_ms || r.end_ms <= x->start_ms ||
		    x->nodes == NULL)
			continue;
		for (k = 0; k < st->fleet->nnodes; k++)
			if (x->nodes[k] && r.nodes[k]) {
				refuse(status, 409, err, errlen,
				    "node %s is in reservation '%s' then",
				    st->fleet->nodes[k].name, x->name);
				goto fail;
			}
	}
	snprintf(r.created_by, sizeof(r.created_by), "%s", who);
	r.created_ms = time_wall_ms();
	if ((v = realloc(o->resvs, (o->nresvs + 1) * sizeof(*v))) == NULL) {
		refuse(status, 500, err, errlen, "out of memory");
		goto fail;
	}
	o->resvs = v;
	fmt_time(r.start_ms, from, sizeof(from));
	fmt_time(r.end_ms, to, sizeof(to));
	snprintf(detail, sizeof(detail), "%s to %s, %s, %.200s", from, to,
	    r.maint ? "maintenance" : o->accounts[r.account].name,
	    r.nodes_text);
	if (store_put_resv(st->store, &r,
	        r.account >= 0 ? o->accounts[r.account].name : "", who,
	        detail) == -1) {
		store_failed(st, "the reservation", err, errlen, status);
		goto fail;
	}
	o->resvs[o->nresvs++] = r;
	log_info("reservation %s added by %s: %s", r.name, who, detail);
	return 0;
fail:
	free(r.nodes);
	free(r.nodes_text);
	return -1;
}

int
org_resv_delete(struct ctl_state *st, const char *name, const char *who,
    char *err, size_t errlen, int *status)
{
	struct org *o = &st->org;
	const struct org_resv *r = org_resv_find(o, name);
	int i;

	if (r == NULL)
		return refuse(
		    status, 404, err, errlen, "unknown reservation '%s'", name);
	i = (int)(r - o->resvs);
	if (store_delete_resv(st->store, r->id, r->name, who) == -1)
		return store_failed(
		    st, "the reservation's removal", err, errlen, status);
	log_info("reservation %s deleted by %s", name, who);
	free(o->resvs[i].nodes);
	free(o->resvs[i].nodes_text);
	memmove(&o->resvs[i], &o->resvs[i + 1],
	    (o->nresvs - i - 1) * sizeof(*o->resvs));
	o->nresvs--;
	return 0;
}

int
org_fs_tree(const struct org *o, struct fs_node **v, int *n)
{
	struct fs_node *t;
	int i;

	*v = NULL;
	*n = 0;
	if ((t = calloc(o->naccounts + o->nassocs + 1, sizeof(*t))) == NULL) {
		log_warnx("%s: out of memory", __func__);
		return -1;
	}
	for (i = 0; i < o->naccounts; i++) {
		t[i].parent = o->accounts[i].parent;
		t[i].shares = o->accounts[i].shares;
	}
	for (i = 0; i < o->nassocs; i++) {
		t[o->naccounts + i].parent = o->assocs[i].account;
		t[o->naccounts + i].shares = o->assocs[i].shares;
	}
	*v = t;
	*n = o->naccounts + o->nassocs;
	return 0;
}

int
org_fs_leaf(const struct org *o, const char *user, const char *account)
{
	int a = org_account_find(o, account), i;

	for (i = 0; a >= 0 && i < o->nassocs; i++)
		if (o->assocs[i].account == a &&
		    strcmp(o->assocs[i].user, user) == 0)
			return o->naccounts + i;
	return -1;
}
