/*
 * The store's power envelope (see store.h): DVFS policies by scope,
 * facility settings, alarms and the pods' energy counters. A write that
 * changes nothing stores and audits nothing.
 */
#include <sqlite3.h>
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
	sqlite3_stmt *st = store_prepare(s, "SELECT name, params FROM policies"
	                                    " WHERE scope = ? AND target = ?");
	int same;

	if (st == NULL)
		return 0;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, target, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		same = name == NULL;
	else
		same = name != NULL &&
		       strcmp((const char *)sqlite3_column_text(st, 0), name) ==
		           0 &&
		       strcmp((const char *)sqlite3_column_text(st, 1),
		           params_json ? params_json : "") == 0;
	sqlite3_finalize(st);
	return same;
}

int
store_put_policy(struct store *s, const char *scope, const char *target,
    const char *name, const char *params_json, const char *who)
{
	sqlite3_stmt *st;
	char object[128], detail[512];
	int rc = -1;

	if (same_policy(s, scope, target, name, params_json))
		return 0; /* nothing changes: nothing to store or audit */
	st = name != NULL
	         ? store_prepare(s,
	               "REPLACE INTO policies (scope, target, name, params,"
	               " set_by, set_ms) VALUES (?, ?, ?, ?, ?, ?)")
	         : store_prepare(s,
	               "DELETE FROM policies WHERE scope = ? AND target = ?");
	if (st == NULL || store_exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, target, -1, SQLITE_STATIC);
	if (name != NULL) {
		sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, params_json, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, who, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, time_wall_ms());
	}
	snprintf(object, sizeof(object), "%s %s", scope, target);
	snprintf(detail, sizeof(detail), "%s %s", name ? name : "inherit",
	    params_json ? params_json : "");
	if (store_commit_audited(
	        s, st, "put policy", who, "policy", object, detail) == -1)
		goto fail;
	rc = 0;
fail:
	sqlite3_finalize(st);
	return rc;
}

int
store_load_policies(struct store *s,
    void (*cb)(const char *, const char *, const char *, const char *, void *),
    void *arg)
{
	sqlite3_stmt *st =
	    store_prepare(s, "SELECT scope, target, name, params FROM"
	                     " policies ORDER BY scope, target");

	if (st == NULL)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW)
		cb((const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2),
		    (const char *)sqlite3_column_text(st, 3), arg);
	sqlite3_finalize(st);
	return 0;
}

int
store_get_setting(struct store *s, const char *key, double *value)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT value FROM settings WHERE"
	                                    " key = ?");
	int rc = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*value = sqlite3_column_double(st, 0);
		rc = 1;
	}
	sqlite3_finalize(st);
	return rc;
}

int
store_put_setting(
    struct store *s, const char *key, double value, const char *who)
{
	sqlite3_stmt *st;
	char detail[128];
	double old = 0;
	int had, rc = -1;

	had = store_get_setting(s, key, &old);
	if (had == 1 && old == value)
		return 0; /* nothing changes: nothing to store or audit */
	st = store_prepare(s,
	    "REPLACE INTO settings (key, value, set_by, set_ms)"
	    " VALUES (?, ?, ?, ?)");
	if (st == NULL || store_exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, value);
	sqlite3_bind_text(st, 3, who, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, time_wall_ms());
	if (had == 1)
		snprintf(detail, sizeof(detail), "%g -> %g", old, value);
	else
		snprintf(detail, sizeof(detail), "unset -> %g", value);
	if (store_commit_audited(
	        s, st, "put setting", who, "set", key, detail) == -1)
		goto fail;
	rc = 0;
fail:
	sqlite3_finalize(st);
	return rc;
}

int
store_put_alarms(struct store *s, struct alarms *a)
{
	sqlite3_stmt *st;
	int i, rc = -1, any = 0;

	for (i = 0; i < a->n; i++)
		any |= a->v[i]->dirty;
	if (!any)
		return 0;
	st = store_prepare(s,
	    "REPLACE INTO alarms (id, kind, object, message, state,"
	    " first_ms, last_ms, cleared_ms, acked_ms, acked_by,"
	    " count, nodes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL || store_exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	for (i = 0; i < a->n; i++) {
		struct alarm *al = a->v[i];

		if (!al->dirty)
			continue;
		if (al->id > 0)
			sqlite3_bind_int64(st, 1, al->id);
		sqlite3_bind_text(
		    st, 2, alarm_kind_name(al->kind), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, al->object, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, al->message, -1, SQLITE_STATIC);
		sqlite3_bind_text(
		    st, 5, alarm_state_name(al->state), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, al->first_ms);
		sqlite3_bind_int64(st, 7, al->last_ms);
		store_bind_opt_int64(st, 8, al->cleared_ms);
		store_bind_opt_int64(st, 9, al->acked_ms);
		if (al->acked_by[0] != '\0')
			sqlite3_bind_text(
			    st, 10, al->acked_by, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 11, al->count);
		sqlite3_bind_text(st, 12, al->nodes, -1, SQLITE_STATIC);
		if (store_step_done(s, st, "put alarm") == -1) {
			store_rollback(s);
			goto fail;
		}
		if (al->id == 0)
			al->id = sqlite3_last_insert_rowid(s->db);
	}
	if (store_exec(s, "COMMIT") == -1) {
		store_rollback(s);
		goto fail;
	}
	for (i = 0; i < a->n; i++)
		a->v[i]->dirty = 0;
	rc = 0;
fail:
	sqlite3_finalize(st);
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
	sqlite3_stmt *st;

	st = store_prepare(s,
	    "SELECT id, kind, object, message, state, first_ms,"
	    " last_ms, cleared_ms, acked_ms, acked_by, count, nodes FROM"
	    " alarms WHERE state != 'cleared' OR id IN (SELECT id"
	    " FROM alarms WHERE state = 'cleared' ORDER BY id DESC"
	    " LIMIT ?) ORDER BY id");
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, recent);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct alarm *al = calloc(1, sizeof(*al));
		const unsigned char *t;
		int k;

		if (al == NULL)
			break;
		al->id = sqlite3_column_int64(st, 0);
		t = sqlite3_column_text(st, 1);
		k = alarm_kind_parse(t ? (const char *)t : "");
		store_column_text(st, 2, al->object, sizeof(al->object));
		store_column_text(st, 3, al->message, sizeof(al->message));
		t = sqlite3_column_text(st, 4);
		al->state = alarm_state_parse(t ? (const char *)t : "cleared");
		al->first_ms = sqlite3_column_int64(st, 5);
		al->last_ms = sqlite3_column_int64(st, 6);
		al->cleared_ms = sqlite3_column_int64(st, 7);
		al->acked_ms = sqlite3_column_int64(st, 8);
		store_column_text(st, 9, al->acked_by, sizeof(al->acked_by));
		al->count = sqlite3_column_int(st, 10);
		store_column_text(st, 11, al->nodes, sizeof(al->nodes));
		load_nodes(al);
		if (k < 0 || (int)al->state < 0 || alarms_add(a, al) == -1) {
			alarm_free(al);
			continue;
		}
		al->kind = k;
	}
	sqlite3_finalize(st);
	return 0;
}

int
store_put_pod_energy(
    struct store *s, const struct fleet *f, const double *energy_j)
{
	sqlite3_stmt *st = store_prepare(s, "UPDATE pods SET energy_j = ? WHERE"
	                                    " name = ?");
	int p, rc = 0;

	if (st == NULL)
		return -1;
	for (p = 0; p < f->npods && rc == 0; p++) {
		sqlite3_bind_double(st, 1, energy_j[p]);
		sqlite3_bind_text(
		    st, 2, f->pods[p].conf.name, -1, SQLITE_STATIC);
		rc = store_step_done(s, st, "put pod energy");
	}
	sqlite3_finalize(st);
	return rc;
}

int
store_load_pod_energy(struct store *s, const struct fleet *f, double *energy_j)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT energy_j FROM pods WHERE"
	                                    " name = ?");
	int p;

	if (st == NULL)
		return -1;
	for (p = 0; p < f->npods; p++) {
		sqlite3_bind_text(
		    st, 1, f->pods[p].conf.name, -1, SQLITE_STATIC);
		energy_j[p] = sqlite3_step(st) == SQLITE_ROW
		                  ? sqlite3_column_double(st, 0)
		                  : 0;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return 0;
}
