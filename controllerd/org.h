/*
 * The site's organisation, in memory: the account tree with its shares,
 * the users and the accounts they may charge, the QOS and partitions (from
 * the config), and the reservations (from the store). The store is the
 * truth; this is what the submit path and every scheduling pass read
 * without touching SQLite. Changes go through the store first, then here.
 */
#ifndef CTL_ORG_H
#define CTL_ORG_H

#include <stddef.h>
#include <stdint.h>

#include "jobs.h"

struct ctl_state;
struct fs_node;

#define ORG_NAME_MAX    JOB_TAG_MAX
#define ORG_MAX_PREEMPT 8 /* QOS one QOS may preempt */

struct org_account {
	int64_t id;
	char name[ORG_NAME_MAX];
	int parent;    /* index into org.accounts; -1 for the root ("root") */
	double shares; /* among its siblings */
	char description[128];
};

/* A user's membership of one account (Slurm's association). */
struct org_assoc {
	char user[ORG_NAME_MAX];
	int account;   /* index into org.accounts */
	double shares; /* among the account's users and sub-accounts */
};

struct org_user {
	char name[ORG_NAME_MAX];
	int default_account; /* index into org.accounts */
};

struct org_qos {
	char name[ORG_NAME_MAX];
	int64_t priority;             /* larger goes first */
	int64_t max_wall_s;           /* 0: none */
	int max_jobs_per_user;        /* running at once; 0: none */
	int max_accels_per_user;      /* 0: none */
	int max_jobs_per_account;     /* 0: none */
	int max_accels_per_account;   /* 0: none */
	int preempt[ORG_MAX_PREEMPT]; /* indices of QOS it may requeue */
	int npreempt;
};

struct org_partition {
	char name[ORG_NAME_MAX];
	unsigned char *nodes; /* per fleet node: 1 member */
	int nmembers;
	int64_t default_time_s; /* 0: the scheduler's default */
	int64_t max_time_s;     /* 0: the scheduler's maximum */
	int *accounts;          /* indices allowed; NULL: every account */
	int naccounts;
};

struct org_resv {
	int64_t id;
	char name[ORG_NAME_MAX];
	int64_t start_ms, end_ms;
	int maint;            /* maintenance: nobody runs there */
	int account;          /* the account it is for; -1: none */
	unsigned char *nodes; /* per fleet node: 1 reserved */
	int announced;        /* its notice was raised */
	char *nodes_text;     /* the host list as given; owned */
	int nnodes;           /* nodes reserved */
	char created_by[64];
	int64_t created_ms;
	int active; /* resv.c drained its nodes for it */
};

struct org {
	struct org_account *accounts; /* the root first, parents first */
	int naccounts;
	struct org_user *users;
	int nusers;
	struct org_assoc *assocs;
	int nassocs;
	struct org_qos *qos; /* from the config; at least "normal" */
	int nqos;
	int default_qos;
	struct org_partition *partitions; /* from the config; at least one */
	int npartitions;
	int default_partition;
	struct org_resv *resvs;
	int nresvs;
	int enforce; /* [accounts] enforce: associations required */
	int root;    /* index of the account "root" (0) */
	/* per pod: its maintenance notice for the alarm rules, NULL none
	 * (resv.c); pod_notice[p] points into notice_text */
	const char **pod_notice;
	char *notice_text; /* npods × ORG_NOTICE_MAX */
};

#define ORG_NOTICE_MAX 512 /* a pod's maintenance notice, with its NUL */

/* Loads the organisation from the config and the store into st->org.
 * 0, or -1 (logged). */
int org_load(struct ctl_state *st);
void org_free(struct org *o);
/* Takes a reloaded config's QOS and partitions (SIGHUP). 0, or -1 with the
 * running ones kept (logged). */
int org_configure(struct ctl_state *st);

/*
 * Admission of a submission (queue_submit()): fills j's empty account, QOS
 * and partition with the defaults (the user's default account, the
 * default QOS and partition) and the time limit with the partition's
 * default; refuses, with *status 400 and err naming it, an unknown account,
 * QOS, partition or reservation, an account the user may not charge, a
 * partition the account may not use, and what can never run (a time limit
 * over the QOS's or partition's maximum, more accelerators than the QOS
 * allows a user or account). 0 or -1.
 */
int org_admit(
    struct ctl_state *st, struct job *j, char *err, size_t errlen, int *status);

const struct org_qos *org_qos_find(const struct org *o, const char *name);
const struct org_partition *org_partition_find(
    const struct org *o, const char *name);
int org_account_find(const struct org *o, const char *name); /* -1 */

const struct org_user *org_user_find(const struct org *o, const char *name);
const struct org_resv *org_resv_find(const struct org *o, const char *name);
/* Whether user may charge account (index): an association, or, without
 * [accounts] enforce, "root" for a user who has none. */
int org_may_charge(const struct org *o, const char *user, int account);

/*
 * Changes, each stored and audited (as `who`) before memory changes.
 * Each returns 0, or -1 with err and *status (400 bad input, 404 unknown,
 * 409 a name taken, 5xx the store: err then says so).
 */
/* Adds account `name` under `parent` ("" for root) with shares. */
int org_account_add(struct ctl_state *st, const char *name, const char *parent,
    double shares, const char *description, const char *who, char *err,
    size_t errlen, int *status);
/* Changes an account: parent (NULL keep; a move may not make a cycle),
 * shares (< 0 keep), description (NULL keep). */
int org_account_modify(struct ctl_state *st, const char *name,
    const char *parent, double shares, const char *description, const char *who,
    char *err, size_t errlen, int *status);
/* Adds user `name`, or with `modify` replaces an existing one's
 * associations (accounts[0..n-1], each with shares 1; NULL with modify:
 * kept) and default account ("" or NULL: the first of accounts, kept on
 * modify). */
int org_user_put(struct ctl_state *st, int modify, const char *name,
    const char *const *accounts, int n, const char *default_account,
    const char *who, char *err, size_t errlen, int *status);
/* Adds reservation r (its name, times, maint, account set; nodes_text the
 * host list, borrowed). */
int org_resv_add(struct ctl_state *st, const struct org_resv *r,
    const char *nodes_text, const char *who, char *err, size_t errlen,
    int *status);
/* Deletes reservation `name` (its drains are undone by the next tick). */
int org_resv_delete(struct ctl_state *st, const char *name, const char *who,
    char *err, size_t errlen, int *status);

/*
 * The fair-share tree: accounts then associations, parents first, as
 * fs_compute() takes it (parent and shares filled, usage 0). *v is
 * malloc'ed (caller frees), *n its length. 0 or -1.
 */
int org_fs_tree(const struct org *o, struct fs_node **v, int *n);
/* The node of (user, account) in org_fs_tree()'s order, -1 if none. */
int org_fs_leaf(const struct org *o, const char *user, const char *account);

#endif
