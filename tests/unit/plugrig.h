/*
 * plugrig: one plugin instance as pod-agentd holds it, for the unit tests
 * of the hardware plugins. It loads <kind>-<name>.so through the project's
 * loader (from $POD_PLUGIN_DIR, as ctest sets it), gives init() the keys
 * "key=value" of a NULL-terminated list, each with a "test.conf:N" origin,
 * enumerates the devices, and keeps every line the plugin logs, so that a
 * test can check what was said and how often.
 */
#ifndef POD_TEST_PLUGRIG_H
#define POD_TEST_PLUGRIG_H

#include <pod/plugin.h>

#include "plugin.h"

#define PLUGRIG_KV_MAX   32
#define PLUGRIG_LOG_MAX  256 /* lines kept; later ones only counted */
#define PLUGRIG_LINE_MAX 512

struct plugrig {
	struct plugin *pl; /* loaded */
	void *ctx;         /* init()'s; NULL before or after */
	struct pod_host host;
	struct pod_kv kv[PLUGRIG_KV_MAX];
	char *kvbuf[PLUGRIG_KV_MAX]; /* "key\0value" storage */
	char where[PLUGRIG_KV_MAX][32];
	struct pod_device dev[POD_MAX_DEVICES];
	int ndev;
	char log[PLUGRIG_LOG_MAX][PLUGRIG_LINE_MAX]; /* "W: text" */
	int nlog;                                    /* lines logged, all */
};

/* Loads kind-name, runs init() with kv and devices(). 0, or -1 with the
 * reason in the rig's log (init refused: r->pl is kept so that the log can
 * be read; plugrig_close() still frees). `node` names the host's node. */
int plugrig_open(struct plugrig *r, const char *kind, const char *name,
    const char *node, const char *const *kv);
/* fini() (when init succeeded), unload, free. */
void plugrig_close(struct plugrig *r);
/* read() every device into out[0..ndev-1] at now_ms (monotonic). */
int plugrig_read(struct plugrig *r, int64_t now_ms, struct pod_sample *out);
/* Lines logged so far that contain `needle`. */
int plugrig_logged(const struct plugrig *r, const char *needle);
/* The index of the device called name, or -1. */
int plugrig_dev(const struct plugrig *r, const char *name);
/* Prints the log on stdout, for a failed check. */
void plugrig_dump(const struct plugrig *r);

#endif
