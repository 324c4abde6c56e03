/*
 * Maintenance windows, kept by the controller's tick: a maintenance
 * reservation is announced ahead ([scheduler] maint_notice_h), its nodes
 * drain at its start and come back at its end. The scheduler keeps jobs
 * out of the window through the reservation's nodes and times (org.h);
 * this module does what an operator would otherwise do by hand.
 */
#ifndef CTL_RESV_H
#define CTL_RESV_H

struct ctl_state;

/* Once a second: fills each pod's maintenance notice (st->org.pod_notice,
 * read by the alarm rules), drains the nodes of the maintenance windows
 * under way with the reason "maintenance NAME" (a node an operator drained
 * keeps the operator's drain), resumes the nodes it drained once their
 * window ended or was deleted, and deletes a reservation a day after its
 * end (audited as by "controller"). */
void resv_tick(struct ctl_state *st);

#endif
