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

/* The rules' view of the fleet, kept from one evaluation to the next so
 * that a tick allocates (and the kernel zeroes) nothing at steady state;
 * zero it before the first use, release it with alarmview_free(). */
struct alarmview {
	struct alarm_node *nodes;
	struct alarm_accel *accels;
	struct alarm_pod *pods;
	int cap_nodes, cap_pods;
	size_t cap_accels;
	/* evaluations slower than ALARMVIEW_SLOW_MS, logged once a minute */
	int slow;
	int64_t slow_max_ms, slow_logged_ms;
};

#define ALARMVIEW_SLOW_MS 100

/* Runs alarms_evaluate() over the nodes and pods of f, with the other
 * inputs from in (whose nodes and pods members are ignored), through the
 * view v. 0, or -1 on no memory (logged). */
int alarmview_evaluate(struct alarmview *v, struct alarms *a,
    const struct fleet *f, const struct alarm_inputs *in);
/* Notes that an evaluation (with what the tick did with its results) took
 * took_ms at monotonic time now_ms; slow ones are logged, one line a
 * minute at most. */
void alarmview_took(struct alarmview *v, int64_t took_ms, int64_t now_ms);
void alarmview_free(struct alarmview *v);
/* The nodes an alarm concerns, as a JSON array of names: a pod's alarm
 * over many nodes lists them, a node's alarm its node, others none. New
 * reference. */
json_t *alarm_nodes_json(const struct alarm *al);
/* The alarm's object in the API (docs/openapi.yaml). New reference. */
json_t *alarm_json(const struct alarm *al);

/* Severity classes, most urgent first: the order of GET /alarms and the
 * keys of a pod's "alarms" counts. The rules' "major" is the API's
 * "warning" class. */
enum alarmview_class {
	ALARMVIEW_CRITICAL,
	ALARMVIEW_WARNING,
	ALARMVIEW_INFO,
	ALARMVIEW_NCLASSES
};

/* The class of alarms of kind k. */
enum alarmview_class alarmview_class_of(enum alarm_kind k);
/* The class's name in pod summaries ("critical", "warning", "info"). */
const char *alarmview_class_name(enum alarmview_class c);
/* The class a severity filter names: "critical", "warning" or "major",
 * "info"; -1 for another word. */
int alarmview_class_parse(const char *name);
/* The index in f of the pod an alarm concerns (its object is the pod or
 * one of its nodes), or -1 (the fabric, or an object f does not have). */
int alarmview_pod(const struct fleet *f, const struct alarm *al);

#endif
