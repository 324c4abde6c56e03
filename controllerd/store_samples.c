/*
 * The store's telemetry samples (see store.h). Samples go to per-day
 * tables, samples_YYYYMMDD for nodes and accel_samples_YYYYMMDD for
 * accelerators, listed in sample_partitions; retention drops whole tables,
 * which is instant, where a DELETE of a day of rows would rewrite the file.
 * Table names cannot be bound parameters, so they are the one piece of SQL
 * built with snprintf(), and only ever from an integer date.
 *
 * Samples, inventories and liveness are written by a thread with its own
 * connection, so that a database locked by another process or a slow disk
 * never holds the event loop. Each tick the loop hands the thread what
 * queued since the last batch, unless the thread is still writing; the
 * thread commits in chunks of STORE_CHUNK samples, so that the loop's own
 * writes (jobs, drains, audit) get the lock between them. A batch that
 * fails stays with the thread and goes out with the next one; the loop
 * logs the first failure of an episode and the recovery, not every tick.
 * Each stored sample marks its minute for the rollups, in its own
 * transaction; after a batch (or every ROLLUP_EVERY_MS when idle) the
 * thread computes the periods that have closed (store_rollup.c).
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet.h"
#include "jsonx.h"
#include "log.h"
#include <pod/wire.h>
#include "rollup.h"
#include "selfstat.h"
#include "store.h"
#include "store_int.h"
#include "timeutil.h"

#define STORE_CHUNK     256   /* samples in one of the writer's transactions */
#define ROLLUP_EVERY_MS 10000 /* an idle writer's rollup passes, ms */

/* A node's liveness, copied for the writer. */
struct seen_rec {
	int idx; /* in the fleet */
	int64_t id, last_seen_ms;
	char boot_id[64], agent_version[64];
};

/* A node's inventory, copied for the writer. */
struct inv_rec {
	int idx; /* in the fleet */
	int64_t id;
	int naccels;
	struct accel *accels;
};

/*
 * The writer thread and what passes between it and the loop, all under mu.
 * The loop hands a batch over only while busy is 0; the thread sets busy
 * back to 0 with the result when the batch is written or has failed.
 */
struct store_writer {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct store ws; /* the thread's connection and statements */
	int busy, stop;
	struct queued *q; /* samples to write; kept when a batch fails */
	int nq, qcap;
	struct seen_rec *seen;
	int nseen;
	struct inv_rec *inv;
	int ninv;
	/* the result of the last batch */
	int failed;     /* 1: nothing of it was written */
	char msg[256];  /* why */
	int failing;    /* batches failed in a row (the loop's count) */
	long lost;      /* samples dropped while failing */
	int expire_day; /* drop partitions before this day; 0: none */
	int expired;    /* partitions the last batch dropped, or -1 */
	/* rollups (store_rollup.c) */
	int64_t expire_now_ms;  /* the time expire_day was computed from */
	int days_1m, days_1h;   /* retention of minute and hour rollups */
	int64_t next_rollup_ms; /* wall clock of the next pass when idle */
	int64_t rollup_now_ms;  /* a test's clock for the next pass; 0 none */
	int rolled;             /* periods the last pass computed, or -1 */
	int raw_days;           /* raw retention last asked; 0 not yet */
	int later_day;          /* an expiry asked while busy; 0 none */
	int64_t later_now_ms;
	/* counting (selfstat.h): the loop's fields, but for stored and
	 * batch_s, which the thread sets while busy */
	struct selfstat *self; /* NULL: not counted */
	int queue_max;         /* the cap of the queue, samples */
	int handed;            /* samples in the batch being written */
	long stored;           /* samples committed, not yet counted */
	double batch_s;        /* the last batch's time, s; -1 counted */
};

void
store_queue_sample(
    struct store *s, const struct node *n, const struct report_sample *smp)
{
	struct queued *q;
	double hottest = NAN;
	int i;

	if (s->nq >= (s->w != NULL ? s->w->queue_max : STORE_QUEUE_MAX)) {
		s->dropped++;
		return;
	}
	if (s->nq % 1024 == 0) {
		q = realloc(s->q, (s->nq + 1024) * sizeof(*q));
		if (q == NULL) {
			s->dropped++;
			return;
		}
		s->q = q;
	}
	q = &s->q[s->nq];
	memset(q, 0, sizeof(*q));
	if (smp->naccels > 0 && (q->accels = calloc(smp->naccels,
	                             ACCEL_COLS * sizeof(double))) == NULL) {
		s->dropped++;
		return;
	}
	for (i = 0; i < smp->naccels; i++) {
		const struct report_accel *a = &smp->accels[i];
		double *c = &q->accels[i * ACCEL_COLS];

		c[0] = a->power_w;
		c[1] = a->temp_c;
		c[2] = a->clock_mhz;
		c[3] = a->util_pct;
		c[4] = a->energy_j;
		if (!isnan(a->temp_c) &&
		    (isnan(hottest) || a->temp_c > hottest))
			hottest = a->temp_c;
	}
	q->naccels = smp->naccels;
	q->node_id = n->id;
	q->t_ms = smp->t_ms;
	q->power_w = smp->power_w;
	q->inlet_c = smp->supply_c;
	q->outlet_c = smp->return_c;
	q->flow_lpm = smp->flow_lpm;
	q->hottest_c = hottest;
	s->nq++;
}

int
store_queued(const struct store *s)
{
	return s->nq;
}

void
store_configure_queue(struct store *s, int queue_max, struct selfstat *self)
{
	s->w->queue_max = queue_max > 0 ? queue_max : STORE_QUEUE_MAX;
	s->w->self = self;
	if (self != NULL)
		self->store_queue_max = s->w->queue_max;
}

static int
day_of(int64_t t_ms)
{
	time_t t = (time_t)(t_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* Makes the statements write to the partition of `day`, creating it. */
static int
use_partition(struct store *s, int day)
{
	char sql[1024];
	struct db_stmt *st;

	if (day == s->day && s->ins_node != NULL)
		return 0;
	/* table names are built from the integer day only */
	snprintf(sql, sizeof(sql),
	    "CREATE TABLE IF NOT EXISTS samples_%08d (node_id BIGINT NOT"
	    " NULL, t_ms BIGINT NOT NULL, power_w DOUBLE PRECISION,"
	    " inlet_c DOUBLE PRECISION, outlet_c DOUBLE PRECISION,"
	    " flow_lpm DOUBLE PRECISION, hottest_c DOUBLE PRECISION);"
	    "CREATE INDEX IF NOT EXISTS samples_%08d_node ON samples_%08d"
	    " (node_id, t_ms);"
	    "CREATE TABLE IF NOT EXISTS accel_samples_%08d (node_id BIGINT"
	    " NOT NULL, idx BIGINT NOT NULL, t_ms BIGINT NOT NULL,"
	    " power_w DOUBLE PRECISION, temp_c DOUBLE PRECISION,"
	    " clock_mhz DOUBLE PRECISION, util_pct DOUBLE PRECISION,"
	    " energy_j DOUBLE PRECISION);"
	    "CREATE INDEX IF NOT EXISTS accel_samples_%08d_node ON"
	    " accel_samples_%08d (node_id, t_ms);",
	    day, day, day, day, day, day);
	if (store_exec(s, sql) == -1)
		return -1;
	st = store_prepare(s,
	    "INSERT INTO sample_partitions (day,"
	    " created_ms) VALUES (?, ?) ON CONFLICT DO NOTHING");
	if (st == NULL)
		return -1;
	db_bind_int(st, 1, day);
	db_bind_int64(st, 2, time_wall_ms());
	if (store_step_done(s, st, "add partition") == -1) {
		db_finalize(st);
		return -1;
	}
	db_finalize(st);
	db_finalize(s->ins_node);
	db_finalize(s->ins_accel);
	s->ins_accel = NULL;
	/* the table name is built from the integer day only */
	snprintf(sql, sizeof(sql),
	    "INSERT INTO samples_%08d (node_id, t_ms, power_w, inlet_c,"
	    " outlet_c, flow_lpm, hottest_c) VALUES (?, ?, ?, ?, ?, ?, ?)",
	    day);
	if ((s->ins_node = store_prepare(s, sql)) == NULL)
		return -1;
	/* the table name is built from the integer day only */
	snprintf(sql, sizeof(sql),
	    "INSERT INTO accel_samples_%08d (node_id, idx, t_ms, power_w,"
	    " temp_c, clock_mhz, util_pct, energy_j) VALUES (?, ?, ?, ?, ?,"
	    " ?, ?, ?)",
	    day);
	if ((s->ins_accel = store_prepare(s, sql)) == NULL) {
		db_finalize(s->ins_node);
		s->ins_node = NULL;
		return -1;
	}
	s->day = day;
	return 0;
}

static int
write_sample(struct store *s, const struct queued *q)
{
	int i, k;

	if (use_partition(s, day_of(q->t_ms)) == -1)
		return -1;
	db_bind_int64(s->ins_node, 1, q->node_id);
	db_bind_int64(s->ins_node, 2, q->t_ms);
	store_bind_real(s->ins_node, 3, q->power_w);
	store_bind_real(s->ins_node, 4, q->inlet_c);
	store_bind_real(s->ins_node, 5, q->outlet_c);
	store_bind_real(s->ins_node, 6, q->flow_lpm);
	store_bind_real(s->ins_node, 7, q->hottest_c);
	if (store_step_done(s, s->ins_node, "insert sample") == -1)
		return -1;
	for (i = 0; i < q->naccels; i++) {
		db_bind_int64(s->ins_accel, 1, q->node_id);
		db_bind_int(s->ins_accel, 2, i);
		db_bind_int64(s->ins_accel, 3, q->t_ms);
		for (k = 0; k < ACCEL_COLS; k++)
			store_bind_real(
			    s->ins_accel, 4 + k, q->accels[i * ACCEL_COLS + k]);
		if (store_step_done(s, s->ins_accel, "insert accel sample") ==
		    -1)
			return -1;
	}
	return store_rollup_mark(s, q->node_id, q->t_ms);
}

static int
write_inventory(struct store *s, struct db_stmt *del, struct db_stmt *ins,
    const struct inv_rec *n)
{
	int i;

	db_bind_int64(del, 1, n->id);
	if (store_step_done(s, del, "delete accelerators") == -1)
		return -1;
	for (i = 0; i < n->naccels; i++) {
		const struct accel *a = &n->accels[i];

		db_bind_int64(ins, 1, n->id);
		db_bind_int(ins, 2, i);
		db_bind_text(ins, 3, a->model);
		store_bind_real(ins, 4, a->clock_min_mhz);
		store_bind_real(ins, 5, a->clock_max_mhz);
		store_bind_real(ins, 6, a->power_max_w);
		store_bind_real(ins, 7, a->tdp_w);
		store_bind_real(ins, 8, a->temp_crit_c);
		store_bind_real(ins, 9, a->mem_total_mib);
		if (store_step_done(s, ins, "insert accelerator") == -1)
			return -1;
	}
	return 0;
}

/* The inventories and liveness of a batch, in one transaction. */
static int
write_nodes(struct store *s, const struct store_writer *w)
{
	struct db_stmt *seen = NULL, *del = NULL, *ins = NULL;
	int i, rc = -1;

	if (w->nseen == 0 && w->ninv == 0)
		return 0;
	seen =
	    store_prepare(s, "UPDATE nodes SET last_seen_ms = ?, boot_id = ?,"
	                     " agent_version = ?, first_seen_ms ="
	                     " coalesce(first_seen_ms, ?) WHERE id = ?");
	del = store_prepare(s, "DELETE FROM accelerators WHERE node_id = ?");
	ins = store_prepare(s,
	    "INSERT INTO accelerators (node_id, idx, model,"
	    " clock_min_mhz, clock_max_mhz, power_max_w, tdp_w,"
	    " temp_crit_c, mem_total_mib) VALUES (?, ?, ?, ?, ?,"
	    " ?, ?, ?, ?)");
	if (seen == NULL || del == NULL || ins == NULL ||
	    store_writer_begin(s) == -1)
		goto fail;
	for (i = 0; i < w->ninv; i++)
		if (write_inventory(s, del, ins, &w->inv[i]) == -1)
			goto rollback;
	for (i = 0; i < w->nseen; i++) {
		const struct seen_rec *n = &w->seen[i];

		db_bind_int64(seen, 1, n->last_seen_ms);
		db_bind_text(seen, 2, n->boot_id);
		db_bind_text(seen, 3, n->agent_version);
		db_bind_int64(seen, 4, n->last_seen_ms);
		db_bind_int64(seen, 5, n->id);
		if (store_step_done(s, seen, "update last seen") == -1)
			goto rollback;
	}
	if (store_exec(s, "COMMIT") == -1)
		goto rollback;
	rc = 0;
	goto fail;
rollback:
	store_rollback(s);
fail:
	db_finalize(seen);
	db_finalize(del);
	db_finalize(ins);
	return rc;
}

/* Drops the partitions of days before cutoff (YYYYMMDD) on s, the
 * writer's connection. How many, or -1. */
static int
expire_on(struct store *s, int cutoff)
{
	struct db_stmt *st, *del;
	int dropped = 0;
	int list[64], n = 0, i;
	char sql[256];

	st = store_prepare(s, "SELECT day FROM sample_partitions WHERE day < ?"
	                      " ORDER BY day LIMIT 64");
	if (st == NULL)
		return -1;
	db_bind_int(st, 1, cutoff);
	while (n < 64 && db_step(st) == DB_ROW)
		list[n++] = db_column_int(st, 0);
	db_finalize(st);
	if ((del = store_prepare(
	         s, "DELETE FROM sample_partitions WHERE day = ?")) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (list[i] == s->day) {
			db_finalize(s->ins_node);
			db_finalize(s->ins_accel);
			s->ins_node = s->ins_accel = NULL;
		}
		/* table names are built from the integer day only */
		snprintf(sql, sizeof(sql),
		    "DROP TABLE IF EXISTS samples_%08d;"
		    "DROP TABLE IF EXISTS accel_samples_%08d",
		    list[i], list[i]);
		db_bind_int(del, 1, list[i]);
		if (store_exec(s, sql) == -1 ||
		    store_step_done(s, del, "delete partition") == -1)
			break;
		dropped++;
	}
	db_finalize(del);
	return dropped;
}

/* The writer: computes the rollups of the periods closed by now (a
 * test's clock when set); a failure leaves them pending for the next
 * pass. */
static void
rollup_pass(struct store_writer *w)
{
	int64_t wall = time_wall_ms();
	int64_t now = w->rollup_now_ms > 0 ? w->rollup_now_ms : wall;

	/* a period whose source retention has dropped is not recomputed */
	w->rolled = store_rollup_close(&w->ws, now,
	    w->raw_days > 0 ? wall - (int64_t)w->raw_days * 86400000 : 0,
	    wall - (int64_t)w->days_1m * 86400000);
	w->rollup_now_ms = 0;
	w->next_rollup_ms = time_wall_ms() + ROLLUP_EVERY_MS;
}

/* Writes w's batch on its connection: the nodes, then the samples in
 * chunks. Samples written are removed from the batch, so that a failure
 * half-way keeps only the rest. 0 or -1 with w->msg. */
static int
write_batch(struct store_writer *w)
{
	struct store *s = &w->ws;
	int i, done = 0, end;

	if (write_nodes(s, w) == -1)
		goto fail;
	while (done < w->nq) {
		end = done + STORE_CHUNK < w->nq ? done + STORE_CHUNK : w->nq;
		if (store_writer_begin(s) == -1)
			goto fail;
		for (i = done; i < end; i++)
			if (write_sample(s, &w->q[i]) == -1) {
				store_rollback(s);
				goto fail;
			}
		if (store_exec(s, "COMMIT") == -1) {
			store_rollback(s);
			goto fail;
		}
		w->stored += end - done;
		for (i = done; i < end; i++)
			free(w->q[i].accels);
		done = end;
	}
	w->nq = 0;
	rollup_pass(w);
	if (w->expire_day > 0) {
		w->expired = expire_on(s, w->expire_day);
		(void)store_rollup_expire(
		    s, w->expire_now_ms, w->days_1m, w->days_1h);
		w->expire_day = 0;
	}
	return 0;
fail:
	snprintf(w->msg, sizeof(w->msg), "%s", db_errmsg(s->db));
	for (i = 0; i < done; i++)
		free(w->q[i].accels);
	if (done > 0)
		memmove(w->q, w->q + done, (w->nq - done) * sizeof(*w->q));
	w->nq -= done;
	return -1;
}

static void *
writer_main(void *arg)
{
	struct store_writer *w = arg;
	double t0;
	int failed;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->busy && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->busy)
			break;
		/* the loop touches nothing of the batch while busy */
		pthread_mutex_unlock(&w->mu);
		t0 = selfstat_clock_s();
		failed = write_batch(w) == -1;
		/* the loop's connection never checkpoints (store.c): what it
		 * committed goes back to the database here, at least every
		 * ROLLUP_EVERY_MS when idle; a checkpoint that cannot finish
		 * now (a reader, a full disk) is tried again next batch */
		db_checkpoint(w->ws.db);
		w->batch_s = selfstat_clock_s() - t0;
		pthread_mutex_lock(&w->mu);
		w->failed = failed;
		w->busy = 0;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int
store_writer_start(struct store *s, const char *path)
{
	struct store_writer *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		log_warn("%s: calloc", __func__);
		return -1;
	}
	if ((w->ws.db = db_open(path, 5000)) == NULL) {
		free(w);
		return -1;
	}
	/* rows by the thousand a second: on PostgreSQL, sent without waiting
	 * for each, read back at the transaction's end */
	(void)db_pipeline(w->ws.db, 1);
	w->days_1m = 30;
	w->days_1h = 400;
	w->ws.loop_waiting = &s->waiting;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->th, NULL, writer_main, w) != 0) {
		log_warnx("%s: cannot start the sample writer", __func__);
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		db_close(w->ws.db);
		free(w);
		return -1;
	}
	w->queue_max = STORE_QUEUE_MAX;
	w->batch_s = -1;
	s->w = w;
	return 0;
}

/* Frees the node records of the last batch. */
static void
free_nodes(struct store_writer *w)
{
	int i;

	for (i = 0; i < w->ninv; i++)
		free(w->inv[i].accels);
	free(w->inv);
	free(w->seen);
	w->inv = NULL;
	w->seen = NULL;
	w->ninv = w->nseen = 0;
}

/* The loop, with the writer idle: takes in the result of the last batch.
 * A failed batch's nodes are marked to go again. */
static int
take_result(struct store *s, struct fleet *f)
{
	struct store_writer *w = s->w;
	int64_t now = time_mono_ms();
	int i;

	if (w->self != NULL) {
		selfstat_count(
		    &w->self->samples_stored, now, (uint64_t)w->stored);
		if (w->batch_s >= 0)
			selfstat_wobserve(
			    &w->self->store_batch_s, now, w->batch_s);
	}
	w->stored = 0;
	w->batch_s = -1;
	if (!w->failed) {
		if (w->failing > 0)
			log_info("store: samples are written again after %d "
			         "failed tries (%ld samples dropped meanwhile)",
			    w->failing, w->lost);
		w->failing = 0;
		w->lost = 0;
		free_nodes(w);
		return 0;
	}
	if (w->failing++ == 0)
		log_warnx("store: cannot write samples: %s; keeping up to %d "
		          "in memory and trying every second",
		    w->msg, STORE_QUEUE_MAX);
	for (i = 0; f != NULL && i < w->ninv; i++)
		if (w->inv[i].idx < f->nnodes)
			f->nodes[w->inv[i].idx].inventory_dirty = 1;
	for (i = 0; f != NULL && i < w->nseen; i++)
		if (w->seen[i].idx < f->nnodes)
			f->nodes[w->seen[i].idx].seen_dirty = 1;
	free_nodes(w);
	w->failed = 0;
	return -1;
}

/* The loop, with the writer idle: moves the queued samples and f's changed
 * nodes into the writer's batch. Returns whether there is anything to
 * write. */
static int
fill_batch(struct store *s, struct fleet *f)
{
	struct store_writer *w = s->w;
	struct queued *q;
	int i, drop, from_old, from_new;

	/* past the bound the oldest go: what failed before, then the new */
	drop = w->nq + s->nq - w->queue_max;
	from_old = drop <= 0 ? 0 : drop < w->nq ? drop : w->nq;
	from_new = drop <= 0 ? 0 : drop - from_old;
	for (i = 0; i < from_old; i++)
		free(w->q[i].accels);
	if (from_old > 0)
		memmove(w->q, w->q + from_old, (w->nq - from_old) * sizeof(*q));
	w->nq -= from_old;
	for (i = 0; i < from_new; i++)
		free(s->q[i].accels);
	if (w->nq + s->nq - from_new > w->qcap) {
		q = realloc(w->q, (w->nq + s->nq - from_new) * sizeof(*q));
		if (q == NULL) { /* the new samples are lost */
			for (i = from_new; i < s->nq; i++)
				free(s->q[i].accels);
			from_new = s->nq;
		} else {
			w->q = q;
			w->qcap = w->nq + s->nq - from_new;
		}
	}
	w->lost += from_old + from_new;
	if (w->self != NULL)
		selfstat_count(&w->self->samples_dropped, time_mono_ms(),
		    (uint64_t)(from_old + from_new));
	if (s->nq > from_new)
		memcpy(w->q + w->nq, s->q + from_new,
		    (s->nq - from_new) * sizeof(*q));
	w->nq += s->nq - from_new;
	s->nq = 0;
	if (w->later_day > 0) {
		w->expire_day = w->later_day;
		w->expire_now_ms = w->later_now_ms;
		w->later_day = 0;
	}
	for (i = 0; f != NULL && i < f->nnodes; i++) {
		struct node *n = &f->nodes[i];

		if (n->inventory_dirty) {
			struct inv_rec *r =
			    realloc(w->inv, (w->ninv + 1) * sizeof(*r));

			if (r == NULL)
				continue;
			w->inv = r;
			r = &w->inv[w->ninv];
			r->idx = i;
			r->id = n->id;
			r->naccels = n->naccels;
			r->accels = NULL;
			if (n->naccels > 0 &&
			    (r->accels = malloc(
			         n->naccels * sizeof(*r->accels))) == NULL)
				continue;
			if (n->naccels > 0)
				memcpy(r->accels, n->accels,
				    n->naccels * sizeof(*r->accels));
			w->ninv++;
			n->inventory_dirty = 0;
		}
		if (n->seen_dirty) {
			struct seen_rec *r =
			    realloc(w->seen, (w->nseen + 1) * sizeof(*r));

			if (r == NULL)
				continue;
			w->seen = r;
			r = &w->seen[w->nseen++];
			r->idx = i;
			r->id = n->id;
			r->last_seen_ms = n->last_seen_ms;
			snprintf(
			    r->boot_id, sizeof(r->boot_id), "%s", n->boot_id);
			snprintf(r->agent_version, sizeof(r->agent_version),
			    "%s", n->agent_version);
			n->seen_dirty = 0;
		}
	}
	return w->nq > 0 || w->ninv > 0 || w->nseen > 0 || w->expire_day > 0 ||
	       w->rollup_now_ms > 0 || time_wall_ms() >= w->next_rollup_ms;
}

int
store_flush(struct store *s, struct fleet *f)
{
	struct store_writer *w = s->w;
	int rc = 0;

	if (s->dropped > 0) {
		log_warnx(
		    "store: sample queue full, dropped %d samples", s->dropped);
		if (w->self != NULL)
			selfstat_count(&w->self->samples_dropped,
			    time_mono_ms(), (uint64_t)s->dropped);
		s->dropped = 0;
	}
	pthread_mutex_lock(&w->mu);
	if (w->busy) { /* still writing: the queue waits for the next tick */
		pthread_mutex_unlock(&w->mu);
		if (w->self != NULL)
			w->self->store_queue = s->nq + w->handed;
		return 0;
	}
	rc = take_result(s, f);
	w->handed = 0;
	if (fill_batch(s, f)) {
		w->busy = 1;
		w->handed = w->nq;
		pthread_cond_broadcast(&w->cv);
	}
	if (w->self != NULL)
		w->self->store_queue = s->nq + w->nq;
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int
store_flush_wait(struct store *s, struct fleet *f)
{
	struct store_writer *w = s->w;
	int rc;

	pthread_mutex_lock(&w->mu);
	while (w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
	(void)take_result(s, f);
	if (fill_batch(s, f)) {
		w->busy = 1;
		pthread_cond_broadcast(&w->cv);
		while (w->busy)
			pthread_cond_wait(&w->cv, &w->mu);
	}
	rc = take_result(s, f);
	pthread_mutex_unlock(&w->mu);
	return rc;
}

void
store_expire_later(struct store *s, int64_t now_ms, int days)
{
	struct store_writer *w = s->w;

	pthread_mutex_lock(&w->mu);
	/* while the writer is busy, the request waits for the next batch */
	w->later_day = day_of(now_ms - (int64_t)days * 86400000);
	w->later_now_ms = now_ms;
	w->raw_days = days;
	pthread_mutex_unlock(&w->mu);
}

int
store_expire(struct store *s, int64_t now_ms, int days)
{
	struct store_writer *w = s->w;

	pthread_mutex_lock(&w->mu);
	while (w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
	w->expire_day = day_of(now_ms - (int64_t)days * 86400000);
	w->expire_now_ms = now_ms;
	w->raw_days = days;
	w->expired = -1;
	pthread_mutex_unlock(&w->mu);
	if (store_flush_wait(s, NULL) == -1)
		return -1;
	return w->expired;
}

int
store_expired(struct store *s)
{
	struct store_writer *w = s->w;
	int n;

	pthread_mutex_lock(&w->mu);
	n = w->busy ? 0 : w->expired;
	if (!w->busy)
		w->expired = 0;
	pthread_mutex_unlock(&w->mu);
	return n;
}

void
store_writer_stop(struct store *s)
{
	struct store_writer *w = s->w;
	int i;

	if (w == NULL)
		return;
	(void)store_flush_wait(s, NULL);
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	if (w->nq > 0)
		log_warnx("store: %d samples could not be written before "
		          "closing",
		    w->nq);
	for (i = 0; i < w->nq; i++)
		free(w->q[i].accels);
	free(w->q);
	free_nodes(w);
	db_finalize(w->ws.ins_node);
	db_finalize(w->ws.ins_accel);
	store_rollup_free(&w->ws);
	db_close(w->ws.db);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
	s->w = NULL;
}

void
store_set_rollup_retention(struct store *s, int days_1m, int days_1h)
{
	struct store_writer *w = s->w;

	pthread_mutex_lock(&w->mu);
	w->days_1m = days_1m;
	w->days_1h = days_1h;
	pthread_mutex_unlock(&w->mu);
}

int
store_rollup_pass(struct store *s, int64_t now_ms)
{
	struct store_writer *w = s->w;

	pthread_mutex_lock(&w->mu);
	while (w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
	w->rollup_now_ms = now_ms > 0 ? now_ms : 1;
	w->rolled = -1;
	pthread_mutex_unlock(&w->mu);
	if (store_flush_wait(s, NULL) == -1)
		return -1;
	return w->rolled;
}

/* ---- telemetry history ---- */

json_t *
store_telemetry(struct store *s, int64_t node_id, int64_t from_ms,
    int64_t to_ms, int step_s, int max_points)
{
	struct store_history_q h = {
	    .node_id = node_id,
	    .accel = -1,
	    .res = ROLLUP_RAW,
	    .from_ms = from_ms,
	    .to_ms = to_ms,
	    .step_s = step_s,
	    .max_points = max_points,
	};

	return store_history(s, &h);
}
