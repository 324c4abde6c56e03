/*
 * Job arrays: one submission ("array": "0-999%50") becomes one job per
 * task, stored in one transaction, each knowing its array's job id (the
 * first task's id), its task id and the array's %N limit. Listings show an
 * array's pending tasks as one entry until asked for one row per task, and
 * the array's job id cancels the whole array. Tasks are ordinary jobs
 * otherwise: the scheduler, the agents and the store need to know nothing
 * more than those three fields.
 */
#ifndef CTL_ARRAYS_H
#define CTL_ARRAYS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct ctl_state;
struct job;

/*
 * Submits j, whose array_spec is not empty, as an array: the spec parsed
 * against [scheduler] max_array_size, j checked and normalised by the
 * queue as its first task, copies of it for the others, all stored in one
 * transaction and queued. Returns the reply ({"id", "array_job_id",
 * "tasks"}, a new reference) with j then owned by the queue, or NULL with
 * err and *status (400, or 500) with j still the caller's.
 */
json_t *arrays_submit(
    struct ctl_state *st, struct job *j, char *err, size_t errlen, int *status);
/*
 * The job list of GET /jobs for v[0..n-1], in that order: one entry per
 * job, except that the pending tasks of an array show as one entry (at the
 * place of the first of them), the JSON of that task with "array" (the
 * pending task ids and the limit: "5-999%50"), "array_tasks_pending" and
 * "array_task_id" null, unless `expand`. New reference, or NULL.
 */
json_t *arrays_list_json(
    struct ctl_state *st, struct job **v, int n, int expand);
/*
 * Parses a job reference of the API: "123" (*task -1) or "123_7" (task 7
 * of array 123). 0, or -1 when it is neither.
 */
int arrays_parse_ref(const char *s, int64_t *id, int *task);
/*
 * Task `task` of array `id` in memory, or NULL when there is none there.
 */
struct job *arrays_task(struct ctl_state *st, int64_t id, int task);
/*
 * Cancels every task of array `id` that has not ended. Sets *count to how
 * many it cancelled. 0, or -1 with err (nothing left to cancel, or the
 * store failed; *status 409 or 500).
 */
int arrays_cancel(struct ctl_state *st, int64_t id, int *count, char *err,
    size_t errlen, int *status);

#endif
