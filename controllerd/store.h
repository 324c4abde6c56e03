/*
 * The store: everything the controller must not forget, in one SQLite file
 * or one PostgreSQL database (db.h). Decisions (drain, resume, …) are
 * written synchronously before the request that made them is answered;
 * telemetry samples and liveness are queued and written once per tick in
 * one transaction, so that the event loop spends a few milliseconds a
 * second in the database however many agents report.
 */
#ifndef CTL_STORE_H
#define CTL_STORE_H

#include <jansson.h>
#include <stdint.h>

struct acct_filter;
struct acct_row;
struct alarms;
struct auth;
struct auth_token;
struct fleet;
struct selfstat;
struct depend_counts;
struct job;
struct jobs;
struct node;
struct org;
struct org_resv;
struct report_sample;

#define STORE_QUEUE_MAX 200000 /* queued samples; beyond, new ones drop */

struct store;

/* Opens (creating if needed, with its parent directory) the database at
 * path and runs the schema migrations it lacks. Returns NULL (logged) on
 * error, including a database written by a newer schema. Caller closes with
 * store_close(). */
struct store *store_open(const char *path);
/* Writes the samples still queued, then closes (store_flush_wait() first
 * to write the fleet's changes too). */
void store_close(struct store *s);
/* Why the last failed call failed, when the database itself is at fault
 * (locked by another process, disk full, not writable): a sentence for a
 * 503 reply; NULL when the failure was anything else. */
const char *store_unavailable(const struct store *s);
/* The database's file, or its server's URL without a password; borrowed. */
const char *store_where(const struct store *s);
/* Whether other controllers may share this database (PostgreSQL), so that
 * one leads and the others stand by (leader.c). */
int store_shared(const struct store *s);

/* Leadership among controllers sharing the database: a PostgreSQL session
 * advisory lock on the event loop's connection, and the table `leader`
 * (schema/012_leader.sql). Takes the lock if it is free: 1 taken, 0 held
 * by another session, -1 logged. Always 1 on SQLite. */
int store_lead_lock(struct store *s);
/* Whether this connection still holds the lock: 1 yes, 0 no (the session
 * was lost and is a new one), -1 no answer (logged). */
int store_lead_held(struct store *s);
/* Counts the epoch up and names url the active controller's, in one
 * transaction: the new epoch in *epoch. 0 or -1 logged. */
int store_lead_claim(struct store *s, const char *url, int64_t *epoch);
/* The epoch and url the last holder wrote (0 and "" if none yet). 0 or -1
 * logged. */
int store_lead_read(
    struct store *s, int64_t *epoch, char *url, size_t url_size);
/* The schema version of the open database. */
int store_schema_version(struct store *s);
/* Writes the configured pods and nodes, then loads into the fleet what the
 * database remembers of each node (id, drain state, last report,
 * accelerators). 0 or -1 (logged). */
int store_load_fleet(struct store *s, struct fleet *f);
/* A standby's read of the same, writing nothing: each configured node's
 * row id, in one query (0 for a node the active controller has not
 * written yet), so that the history the database holds can be read by
 * node name. 0 or -1 (logged). */
int store_read_node_ids(struct store *s, struct fleet *f);
/* The audit log's lines with since_ms <= time < until_ms, by actor and
 * action when not NULL: the newest `limit` of them, oldest first, as a JSON
 * array of {"id", "time", "actor", "action", "object", "detail"}. New
 * reference, or NULL on error (logged). */
json_t *store_audit(struct store *s, int64_t since_ms, int64_t until_ms,
    const char *actor, const char *action, int limit);
/* Persists n's drain fields and an audit line `action` by `who`, in one
 * transaction. 0 or -1 (logged). */
int store_put_drain(
    struct store *s, const struct node *n, const char *who, const char *action);
/* As store_put_drain(), with the audit line's detail given (NULL none)
 * rather than the drain reason: "forced over a coolant leak". */
int store_put_drain_detail(struct store *s, const struct node *n,
    const char *who, const char *action, const char *detail);
/* Loads every stored token into a (auth.h). 0 or -1 (logged). */
int store_load_tokens(struct store *s, struct auth *a);
/* Stores new token t (its hash, never the token), audited as made by who,
 * and sets t->id. 0 or -1 (logged). */
int store_put_token(struct store *s, struct auth_token *t, const char *who);
/* Marks token id revoked at when_ms, audited. 0 or -1 (logged). */
int store_revoke_token(
    struct store *s, int64_t id, int64_t when_ms, const char *who);
/* Records token id's last use (not audited). 0 or -1 (logged). */
int store_touch_token(struct store *s, int64_t id, int64_t used_ms);
/* Queues one sample of node n for the next flush. */
void store_queue_sample(
    struct store *s, const struct node *n, const struct report_sample *smp);
/* Hands queued samples, changed inventories and liveness to the writer
 * thread, unless it is still writing the last batch; never waits for the
 * database. What a batch could not write is kept for the next one (up to
 * the queue's bound; beyond, the oldest samples are dropped and counted).
 * 0, or -1 when the last batch failed (logged once per episode). */
int store_flush(struct store *s, struct fleet *f);
/* store_flush(), then waits until the writer has written it. 0 or -1. */
int store_flush_wait(struct store *s, struct fleet *f);
/* Drops sample partitions older than `days` before now_ms, through the
 * writer, and waits for it. Returns how many days were dropped, or -1. */
int store_expire(struct store *s, int64_t now_ms, int days);
/* The same, with the next batch, without waiting (the loop's way);
 * store_expired() then says how many days it dropped. */
void store_expire_later(struct store *s, int64_t now_ms, int days);
/* Days the last batch dropped (once), 0 if none or not yet, -1 failed. */
int store_expired(struct store *s);
/* Inserts new job j (its id is 0) and sets j->id. 0 or -1 (logged). */
int store_insert_job(struct store *s, struct job *j);
/* Inserts new jobs v[0..n-1] in one transaction and sets their ids; when
 * they are the tasks of an array (array_task_id >= 0), each gets v[0]'s
 * id as its array_job_id. 0, or -1 (logged; nothing stored, ids 0). */
int store_insert_jobs(struct store *s, struct job **v, int n);
/* The id of task `task` of array `array`, 0 when there is none, -1 on
 * error (logged). */
int64_t store_find_task(struct store *s, int64_t array, int task);
/* Counts the stored jobs a dependency names: job `id` and the tasks of
 * array `id` (task -1), or task `task` of array `id`, into *c (total,
 * started, ended ok, ended otherwise). 0, or -1 (logged). */
int store_dep_counts(
    struct store *s, int64_t id, int task, struct depend_counts *c);
/* Writes the dirty jobs among v[0..n-1] and their dirty ranks in one
 * transaction, then clears the dirty flags. 0 or -1 (logged; flags kept). */
int store_put_jobs(
    struct store *s, struct job **v, int n, const struct fleet *f);
/* Loads the pending and running jobs, with the ranks that matter, and the
 * `recent` most recently ended jobs into t. 0 or -1 (logged). */
int store_load_jobs(
    struct store *s, struct jobs *t, const struct fleet *f, int recent);
/* Loads one job by id, ranks included, or NULL (not found or error).
 * Caller frees with job_free(). */
struct job *store_get_job(struct store *s, int64_t id, const struct fleet *f);
/* Calls cb for every job whose last attempt ended after since_ms, with its
 * user, account, accelerators and the attempt's start and end (for fair
 * share). 0 or -1. */
int store_job_usage(struct store *s, int64_t since_ms,
    void (*cb)(void *arg, const char *user, const char *account, int accels,
        int64_t start_ms, int64_t end_ms),
    void *arg);
/* Every attempt of job `job_id`, oldest first, summed up from its stored
 * ranks: a JSON array of {"attempt", "nodes" (names by rank), "start",
 * "end", "ended_by", "exit_code", "reason"} as docs/openapi.yaml has them.
 * An attempt starts with its first rank's start at its agent (null if none
 * started) and ends with its last rank's end once every rank has ended
 * (until then end, ended_by, exit_code and reason are null). The rank whose
 * end tells most, as for the job's own state (a lost node or leak, then a
 * timeout, a launch error, a failed exit, a cancel, a clean exit), gives
 * ended_by, exit_code and reason (which nodes were lost, the exit status).
 * An empty array for a job never started or not stored. New reference, or
 * NULL on error (logged). */
json_t *store_job_attempts(struct store *s, int64_t job_id);
/* The attempts that had a rank on node `node_id` (its row id), at most
 * `max`, newest first by that rank's start (or end, if it never started;
 * one not yet started or ended first): a JSON array of {"job_id",
 * "job_name", "attempt", "start", "end", "ended_by", "exit_code",
 * "reason"}, each attempt summed up over all its ranks as in
 * store_job_attempts(). New reference, or NULL on error (logged). */
json_t *store_node_attempts(struct store *s, int64_t node_id, int max);
/* Stores (or, with name NULL, removes) the policy of (scope, target),
 * with an audit line. 0 or -1 (logged). */
int store_put_policy(struct store *s, const char *scope, const char *target,
    const char *name, const char *params_json, const char *who);
/* Calls cb for every stored policy. 0 or -1. */
int store_load_policies(struct store *s,
    void (*cb)(const char *scope, const char *target, const char *name,
        const char *params_json, void *arg),
    void *arg);
/* Stores a numeric setting with an audit line (old → new); the same
 * value again stores and audits nothing. 0 or -1. */
int store_put_setting(
    struct store *s, const char *key, double value, const char *who);
/* Reads a setting into *value; 1 found, 0 not, -1 error. */
int store_get_setting(struct store *s, const char *key, double *value);
/* Writes the dirty alarms (new ones get their id). 0 or -1. */
int store_put_alarms(struct store *s, struct alarms *a);
/* Loads the alarms not cleared, and the `recent` last cleared ones. */
int store_load_alarms(struct store *s, struct alarms *a, int recent);
/* Stores each pod's energy counter, J. 0 or -1. */
int store_put_pod_energy(
    struct store *s, const struct fleet *f, const double *energy_j);
/* Loads the pods' energy counters into energy_j (npods). 0 or -1. */
int store_load_pod_energy(
    struct store *s, const struct fleet *f, double *energy_j);
/* Stored samples of node `node_id` between from_ms and to_ms, averaged
 * over buckets of step_s seconds: a JSON array of {"t", "power_w",
 * "hottest_c", "inlet_c", "outlet_c", "flow_lpm"} with at most max_points
 * entries, oldest first. New reference, or NULL on error (logged). */
json_t *store_telemetry(struct store *s, int64_t node_id, int64_t from_ms,
    int64_t to_ms, int step_s, int max_points);
/* A history request to store_history(). */
struct store_history_q {
	int64_t node_id;        /* the node's row id */
	int accel;              /* an accelerator's index, -1 the node */
	int res;                /* enum rollup_res (rollup.h) */
	int64_t from_ms, to_ms; /* inclusive */
	int step_s;             /* bucket, s */
	int max_points;
};
/* The stored history of a node or one of its accelerators at resolution
 * h->res (raw samples, or minute or hour rollups), in buckets of step_s: a
 * JSON array of at most max_points {"t", "samples", and the mean, _min and
 * _max of each quantity} (docs/openapi.yaml, /telemetry), oldest first. A
 * rollup bucket weights each period by its samples. New reference, or NULL
 * on error (logged). */
json_t *store_history(struct store *s, const struct store_history_q *h);
/* Sets how long minute and hour rollups are kept, days, for the writer's
 * next expiry (store_expire() and store_expire_later() drop them with the
 * raw samples); 30 and 400 until set. */
void store_set_rollup_retention(struct store *s, int days_1m, int days_1h);
/* Test hook: has the writer compute the rollups of every pending period
 * closed by now_ms (rather than by the wall clock), and waits. The
 * number of periods computed, or -1. */
int store_rollup_pass(struct store *s, int64_t now_ms);
/* Samples waiting for the next flush. */
int store_queued(const struct store *s);
/* The writer's queue: its cap (samples; 0 keeps STORE_QUEUE_MAX), and
 * where it is counted (stored, dropped, depth, batch time; self borrowed,
 * NULL none). From the loop. */
void store_configure_queue(
    struct store *s, int queue_max, struct selfstat *self);

/* The organisation (store_org.c). Loads the accounts (by id, parent as an
 * index, -1 for the root), users (default account as an index), their
 * associations and the reservations (account as an index, -1 none; the
 * host list in nodes_text, owned) into o, whose arrays it allocates
 * (org_free() releases them). 0 or -1 (logged). */
int store_load_org(struct store *s, struct org *o);
/* Stores account `name`: a new one when *id is 0 (then set), else an
 * update by name. parent_id 0 only for the root. Audited as `action` by
 * who, with detail. 0 or -1 (logged). */
int store_put_account(struct store *s, int64_t *id, const char *name,
    int64_t parent_id, double shares, const char *description, const char *who,
    const char *action, const char *detail);
/* Stores user `name` with its default account (a row id) and replaces
 * its associations with accounts[0..n-1] (row ids) and their shares, in
 * one audited transaction. 0 or -1 (logged). */
int store_put_user(struct store *s, const char *name, int64_t default_id,
    const int64_t *accounts, const double *shares, int n, const char *who,
    const char *action, const char *detail);
/* Stores new reservation r (account: its name, "" none) and sets r->id,
 * audited as "reservation add" with detail. 0 or -1 (logged). */
int store_put_resv(struct store *s, struct org_resv *r, const char *account,
    const char *who, const char *detail);
/* Deletes reservation `id`, audited. 0 or -1 (logged). */
int store_delete_resv(
    struct store *s, int64_t id, const char *name, const char *who);
/* The accounting record of attempt `attempt` of job `job_id` into out.
 * 1 found, 0 not, -1 error (logged). */
int store_acct_get(
    struct store *s, int64_t job_id, int attempt, struct acct_row *out);
/* Calls cb with every accounting record that f selects (acct.h), ordered
 * by job id and attempt; the row is valid during the call only. A cb
 * returning -1 stops the walk. 0, or -1 (on error, logged, or from cb). */
int store_acct_each(struct store *s, const struct acct_filter *f,
    int (*cb)(const struct acct_row *r, void *arg), void *arg);
/* Writes the records of the running jobs among v[0..n-1] as they stand
 * (energy, peak, accelerator-hours so far), in one transaction, so that a
 * restart loses little of them. 0 or -1 (logged). */
int store_acct_put_running(
    struct store *s, struct job *const *v, int n, const struct fleet *f);
/* Deletes the records of attempts that ended before before_ms. Returns
 * how many, or -1 (logged). */
int store_acct_prune(struct store *s, int64_t before_ms);

/* Counts the stored jobs by state: count[k] for job_state k, k < n, zero
 * for a state no job has. Read from the database, not from memory, so that
 * counts of ended jobs never go down, across restarts too. 0 or -1
 * (logged). */
int store_count_jobs(struct store *s, int64_t *count, int n);

#endif
