/*
 * The controller state of the queue's unit tests (see ctlrig.h).
 */
#include <stdio.h>
#include <string.h>

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
