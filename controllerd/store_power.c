/*
 * The store's power envelope (see store.h): DVFS policies by scope,
 * facility settings, alarms and the pods' energy counters. A write that
 * changes nothing stores and audits nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarms.h"
#include "fleet.h"
#include "hostlist.h"
#include "log.h"
#include "store.h"
#include "store_int.h"
#include "timeutil.h"

/* ---- the power envelope: policies, settings, alarms, energy ---- */

/* 1 when the policy stored for (scope, target) is already `name` with
 * `params_json` (name NULL: when none is stored), else 0. */
static int
same_policy(struct store *s, const char *scope, const char *target,
    const char *name, const char *params_json)
{
	struct db_stmt *st =
	    store_prepare(s, "SELECT name, params FROM policies"
	                     " WHERE scope = ? AND target = ?");
	int same;

	if (st == NULL)
		return 0;
	db_bind_text(st, 1, scope);
	db_bind_text(st, 2, target);
	if (db_step(st) != DB_ROW)
		same = name == NULL;
	else
		same = name != NULL &&
		       strcmp(db_column_text(st, 0), name) == 0 &&
		       strcmp(db_column_text(st, 1),
		           params_json ? params_json : "") == 0;
	db_finalize(st);
	return same;
}

int
store_put_policy(struct store *s, const char *scope, const char *target,
    const char *name, const char *params_json, const char *who)
{
	struct db_stmt *st;
	char object[128], detail[512];
	int rc = -1;

	if (same_policy(s, scope, target, name, params_json))
		return 0; /* nothing changes: nothing to store or audit */
	st = name != NULL
	         ? store_prepare(s,
	               "INSERT INTO policies (scope, target, name, params,"
	               " set_by, set_ms) VALUES (?, ?, ?, ?, ?, ?)"
	               " ON CONFLICT (scope, target) DO UPDATE SET"
	               " name = excluded.name, params = excluded.params,"
	               " set_by = excluded.set_by, set_ms = excluded.set_ms")
	         : store_prepare(s,
	               "DELETE FROM policies WHERE scope = ? AND target = ?");
	if (st == NULL || store_exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	db_bind_text(st, 1, scope);
	db_bind_text(st, 2, target);
	if (name != NULL) {
		db_bind_text(st, 3, name);
		db_bind_text(st, 4, params_json);
		db_bind_text(st, 5, who);
		db_bind_int64(st, 6, time_wall_ms());
	}
	snprintf(object, sizeof(object), "%s %s", scope, target);
	snprintf(detail, sizeof(detail), "%s %s", name ? name : "inherit",
	    params_json ? params_json : "");
	if (store_commit_audited(
	        s, st, "put policy", who, "policy", object, detail) == -1)
		goto fail;
	rc = 0;
fail:
	db_finalize(st);
	return rc;
}

int
store_load_policies(struct store *s,
    void (*cb)(const char *, const char *, const char *, const char *, void *),
    void *arg)
{
	struct db_stmt *st =
	    store_prepare(s, "SELECT scope, target, name, params FROM"
	                     " policies ORDER BY scope, target");

	int step;

	if (st == NULL)
		return -1;
	while ((step = db_step(st)) == DB_ROW)
		cb(db_column_text(st, 0), db_column_text(st, 1),
		    db_column_text(st, 2), db_column_text(st, 3), arg);
	db_finalize(st);
	return store_read_end(s, step, "load the policies");
}

int
store_get_setting(struct store *s, const char *key, double *value)
{
	struct db_stmt *st = store_prepare(s, "SELECT value FROM settings WHERE"
	                                      " key = ?");
	int rc = 0;

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, key);
	if (db_step(st) == DB_ROW) {
		*value = db_column_double(st, 0);
		rc = 1;
	}
	db_finalize(st);
	return rc;
}

int
store_put_setting(
    struct store *s, const char *key, double value, const char *who)
{
	struct db_stmt *st;
	char detail[128];
	double old = 0;
	int had, rc = -1;

	had = store_get_setting(s, key, &old);
	if (had == 1 && old == value)
		return 0; /* nothing changes: nothing to store or audit */
	st = store_prepare(s,
	    "INSERT INTO settings (key, value, set_by, set_ms)"
	    " VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET"
	    " value = excluded.value, set_by = excluded.set_by,"
	    " set_ms = excluded.set_ms");
	if (st == NULL || store_exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	db_bind_text(st, 1, key);
	db_bind_double(st, 2, value);
	db_bind_text(st, 3, who);
	db_bind_int64(st, 4, time_wall_ms());
	if (had == 1)
		snprintf(detail, sizeof(detail), "%g -> %g", old, value);
	else
		snprintf(detail, sizeof(detail), "unset -> %g", value);
	if (store_commit_audited(
	        s, st, "put setting", who, "set", key, detail) == -1)
		goto fail;
	rc = 0;
fail:
	db_finalize(st);
	return rc;
}

int
store_put_alarms(struct store *s, struct alarms *a)
{
	struct db_stmt *st;
	int i, rc = -1, any = 0;

	for (i = 0; i < a->n; i++)
		any |= a->v[i]->dirty;
	if (!any)
		return 0;
	st = store_prepare(s,
	    "INSERT INTO alarms (id, kind, object, message, state,"
	    " first_ms, last_ms, cleared_ms, acked_ms, acked_by, count, nodes)"
	    " VALUES (COALESCE(?, (SELECT MAX(id) FROM alarms) + 1, 1),"
	    " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE"
	    " SET kind = excluded.kind, object = excluded.object,"
	    " message = excluded.message, state = excluded.state,"
	    " first_ms = excluded.first_ms, last_ms = excluded.last_ms,"
	    " cleared_ms = excluded.cleared_ms, acked_ms = excluded.acked_ms,"
	    " acked_by = excluded.acked_by, count = excluded.count,"
	    " nodes = excluded.nodes RETURNING id");
	if (st == NULL || store_exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	for (i = 0; i < a->n; i++) {
		struct alarm *al = a->v[i];

		if (!al->dirty)
			continue;
		if (al->id > 0)
			db_bind_int64(st, 1, al->id);
		db_bind_text(st, 2, alarm_kind_name(al->kind));
		db_bind_text(st, 3, al->object);
		db_bind_text(st, 4, al->message);
		db_bind_text(st, 5, alarm_state_name(al->state));
		db_bind_int64(st, 6, al->first_ms);
		db_bind_int64(st, 7, al->last_ms);
		store_bind_opt_int64(st, 8, al->cleared_ms);
		store_bind_opt_int64(st, 9, al->acked_ms);
		if (al->acked_by[0] != '\0')
			db_bind_text(st, 10, al->acked_by);
		db_bind_int(st, 11, al->count);
		db_bind_text(st, 12, al->nodes);
		if ((al->id = store_insert_id(s, st, "put alarm")) == 0) {
			store_rollback(s);
			goto fail;
		}
	}
	if (store_exec(s, "COMMIT") == -1) {
		store_rollback(s);
		goto fail;
	}
	for (i = 0; i < a->n; i++)
		a->v[i]->dirty = 0;
	rc = 0;
fail:
	db_finalize(st);
	return rc;
}

/* The nodes of a pod's alarm still open, for the next evaluation to put
 * back in it (one that cannot be read clears once its pod's nodes all
 * report). */
static void
load_nodes(struct alarm *al)
{
	struct hostlist hl = {NULL, 0};
	char err[128];

	if (al->nodes[0] == '\0' || al->state == ALARM_CLEARED)
		return;
	if (hostlist_expand(al->nodes, 1 << 20, &hl, err, sizeof(err)) == -1) {
		log_warnx("%s: alarm %lld: nodes '%s': %s", __func__,
		    (long long)al->id, al->nodes, err);
		return;
	}
	al->load_nodes = hl.names;
	al->nload_nodes = hl.n;
}

int
store_load_alarms(struct store *s, struct alarms *a, int recent)
{
	struct db_stmt *st;
	int step;

	st = store_prepare(s,
	    "SELECT id, kind, object, message, state, first_ms,"
	    " last_ms, cleared_ms, acked_ms, acked_by, count, nodes FROM"
	    " alarms WHERE state != 'cleared' OR id IN (SELECT id"
	    " FROM alarms WHERE state = 'cleared' ORDER BY id DESC"
	    " LIMIT ?) ORDER BY id");
	if (st == NULL)
		return -1;
	db_bind_int(st, 1, recent);
	while ((step = db_step(st)) == DB_ROW) {
		struct alarm *al = calloc(1, sizeof(*al));
		const char *t;
		int k;

		if (al == NULL)
			break;
		al->id = db_column_int64(st, 0);
		t = db_column_text(st, 1);
		k = alarm_kind_parse(t ? (const char *)t : "");
		store_column_text(st, 2, al->object, sizeof(al->object));
		store_column_text(st, 3, al->message, sizeof(al->message));
		t = db_column_text(st, 4);
		al->state = alarm_state_parse(t ? (const char *)t : "cleared");
		al->first_ms = db_column_int64(st, 5);
		al->last_ms = db_column_int64(st, 6);
		al->cleared_ms = db_column_int64(st, 7);
		al->acked_ms = db_column_int64(st, 8);
		store_column_text(st, 9, al->acked_by, sizeof(al->acked_by));
		al->count = db_column_int(st, 10);
		store_column_text(st, 11, al->nodes, sizeof(al->nodes));
		load_nodes(al);
		if (k < 0 || (int)al->state < 0 || alarms_add(a, al) == -1) {
			alarm_free(al);
			continue;
		}
		al->kind = k;
	}
	db_finalize(st);
	return store_read_end(s, step, "load the alarms");
}

int
store_put_pod_energy(
    struct store *s, const struct fleet *f, const double *energy_j)
{
	struct db_stmt *st =
	    store_prepare(s, "UPDATE pods SET energy_j = ? WHERE"
	                     " name = ?");
	int p, rc = 0;

	if (st == NULL)
		return -1;
	for (p = 0; p < f->npods && rc == 0; p++) {
		db_bind_double(st, 1, energy_j[p]);
		db_bind_text(st, 2, f->pods[p].conf.name);
		rc = store_step_done(s, st, "put pod energy");
	}
	db_finalize(st);
	return rc;
}

int
store_load_pod_energy(struct store *s, const struct fleet *f, double *energy_j)
{
	struct db_stmt *st = store_prepare(s, "SELECT energy_j FROM pods WHERE"
	                                      " name = ?");
	int p;

	if (st == NULL)
		return -1;
	for (p = 0; p < f->npods; p++) {
		db_bind_text(st, 1, f->pods[p].conf.name);
		energy_j[p] =
		    db_step(st) == DB_ROW ? db_column_double(st, 0) : 0;
		db_reset(st);
	}
	db_finalize(st);
	return 0;
}
