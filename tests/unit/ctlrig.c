/*
 * The controller state of the queue's unit tests (see ctlrig.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "ctlrig.h"
#include "envelope.h"
#include "fleet.h"
#include "org.h"
#include "queue.h"
#include "store.h"
#include "tenancy.h"
#include "timeutil.h"

int
ctlrig_open(struct ctl_state *st, const char *conf_path, const char *db)
{
	char err[256];
	int i;

	memset(st, 0, sizeof(*st));
	if ((st->conf = config_load(conf_path, err, sizeof(err))) == NULL) {
		printf("config: %s\n", err);
		return -1;
	}
	if ((st->base = event_base_new()) == NULL ||
	    (st->fleet = fleet_new(st->conf)) == NULL ||
	    (st->store = store_open(db)) == NULL ||
	    store_load_fleet(st->store, st->fleet) == -1 ||
	    envelope_init(st) == -1 || org_load(st) == -1 ||
	    tenancy_init(st) == -1)
		return -1;
	for (i = 0; i < st->fleet->nnodes; i++)
		st->fleet->nodes[i].up = 1;
	st->start_mono_ms = time_mono_ms();
	return queue_init(st);
}

void
ctlrig_close(struct ctl_state *st)
{
	queue_free(st);
	tenancy_free(st);
	org_free(&st->org);
	if (st->env != NULL)
		envelope_free(st);
	store_close(st->store);
	fleet_free(st->fleet);
	if (st->base != NULL)
		event_base_free(st->base);
	config_free(st->conf);
}

int
ctlrig_files(char *dir, const char *conf_text, char *conf_path, size_t size)
{
	FILE *f;

	if (mkdtemp(dir) == NULL) {
		printf("mkdtemp %s failed\n", dir);
		return -1;
	}
	snprintf(conf_path, size, "%s/t.conf", dir);
	if ((f = fopen(conf_path, "w")) == NULL) {
		printf("cannot write %s\n", conf_path);
		return -1;
	}
	fputs(conf_text, f);
	return fclose(f) == 0 ? 0 : -1;
}

void
ctlrig_db(char *db, size_t size, const char *dir, const char *prefix, size_t i)
{
	snprintf(db, size, "%s/%s%zu.db", dir, prefix, i);
}

void
ctlrig_clean(const char *dir, const char *prefix, size_t n)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	char path[4096];
	size_t i, k;

	if (getenv("POD_KEEP_TMP") != NULL)
		return;
	for (i = 0; i < n; i++)
		for (k = 0; k < sizeof(suffix) / sizeof(suffix[0]); k++) {
			snprintf(path, sizeof(path), "%s/%s%zu.db%s", dir,
			    prefix, i, suffix[k]);
			unlink(path);
		}
	snprintf(path, sizeof(path), "%s/t.conf", dir);
	unlink(path);
	rmdir(dir);
}
