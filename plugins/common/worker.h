/*
 * An I/O thread for a plugin that talks to something slow: a BMC or CDU
 * over the network, a vendor's command-line tool. The ABI's read() must
 * never wait, so the plugin's polling runs here, on a thread of its own,
 * every period_ms; it publishes what it measured under the worker's lock,
 * with the time measured, and read() copies it under the same lock and
 * judges its age.
 *
 * The ABI does not say host->log may be called from another thread, so
 * the thread queues its lines (a bounded queue: what overflows is counted
 * and said as one line) and worker_flush() logs them from read() or
 * fini(), on the host's thread. worker_trouble() and worker_fine() say a
 * failure once, when it starts or changes, and its end once, through
 * struct pod_said (pod/plugin_util.h): a device that stays unreachable is
 * one line, not one per poll.
 *
 * Typical use:
 *
 *	w = worker_new(poll_ms, my_poll, ctx);     in init()
 *	... my_poll(w, ctx) does I/O, then worker_lock(w); publish;
 *	    worker_unlock(w); worker_sleep(w, ms) waits interruptibly
 *	worker_flush(w, host); worker_lock(w); copy; worker_unlock(w);
 *	                                             in read()
 *	worker_free(w); worker_flush is done by it   in fini()
 */
#ifndef PLUGINS_WORKER_H
#define PLUGINS_WORKER_H

#include <pod/plugin.h>
#include <pod/plugin_util.h>

struct worker;

/* One poll: does the I/O, publishes under worker_lock(). It should return
 * within its own timeouts, and check worker_stopping() between steps. */
typedef void (*worker_fn)(struct worker *w, void *arg);

/* Starts a thread that calls fn(w, arg) at once, then every period_ms
 * (measured from the start of one call to the next; a call that overran
 * is followed by the next at once). arg is borrowed until worker_free().
 * NULL when the thread cannot be started (errno says why). Caller frees
 * with worker_free(). */
struct worker *worker_new(int period_ms, worker_fn fn, void *arg);
/* Asks the thread to stop, wakes it from worker_sleep(), joins it, logs
 * what it queued through host (NULL: drops it) and frees w. NULL is a
 * no-op. */
void worker_free(struct worker *w, const struct pod_host *host);
/* Takes and releases the lock under which the plugin publishes readings. */
void worker_lock(struct worker *w);
void worker_unlock(struct worker *w);
/* On the host's thread: waits until the first poll has returned, at most
 * timeout_ms; 1 when it has, 0 otherwise. For an init() that needs the
 * device's answer to describe it (a model, what it can be told). */
int worker_wait_first(struct worker *w, int timeout_ms);
/* From the thread: 1 when worker_free() is waiting for it. */
int worker_stopping(struct worker *w);
/* From the thread: waits up to ms, or less when stopping; 1 if stopping. */
int worker_sleep(struct worker *w, int ms);
/* From the thread: queues a line for worker_flush(). */
void worker_log(struct worker *w, enum pod_log_level level, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
/* From the thread: says a trouble as a warning when it is new for `said`
 * (pod_said_new), not otherwise. */
void worker_trouble(struct worker *w, struct pod_said *said, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
/* From the thread: says `fmt` as information when `said` held a trouble,
 * and forgets it. */
void worker_fine(struct worker *w, struct pod_said *said, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* On the host's thread: logs the queued lines through host->log. */
void worker_flush(struct worker *w, const struct pod_host *host);

#endif
