/*
 * Alarms as the controller sees them: the shell around the pure alarm rules
 * (core/alarms.h). It builds the rules' view of the fleet for each
 * evaluation and gives an alarm its JSON for the API.
 */
#ifndef CTL_ALARMVIEW_H
#define CTL_ALARMVIEW_H

#include <jansson.h>

#include "alarms.h"

struct fleet;

/* Runs alarms_evaluate() over the nodes and pods of f, with the other
 * inputs from in (whose nodes and pods members are ignored). 0, or -1 on
 * no memory (logged). */
int alarmview_evaluate(
    struct alarms *a, const struct fleet *f, const struct alarm_inputs *in);
/* The nodes an alarm concerns, as a JSON array of names: a pod's alarm
 * over many nodes lists them, a node's alarm its node, others none. New
 * reference. */
json_t *alarm_nodes_json(const struct alarm *al);
/* The alarm's object in the API (docs/openapi.yaml). New reference. */
json_t *alarm_json(const struct alarm *al);

#endif
