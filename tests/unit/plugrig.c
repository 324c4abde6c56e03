/* plugrig: a plugin instance for unit tests (plugrig.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugrig.h"

static void
plugrig_log(
    const struct pod_host *host, enum pod_log_level level, const char *fmt, ...)
{
	static const char lv[] = "EWID";
	struct plugrig *r = host->opaque;
	char *line;
	va_list ap;

	if (r->nlog < PLUGRIG_LOG_MAX) {
		line = r->log[r->nlog];
		line[0] = lv[level <= POD_LOG_DEBUG ? level : POD_LOG_DEBUG];
		line[1] = ':';
		line[2] = ' ';
		va_start(ap, fmt);
		vsnprintf(line + 3, PLUGRIG_LINE_MAX - 3, fmt, ap);
		va_end(ap);
	}
	r->nlog++;
}

int
plugrig_open(struct plugrig *r, const char *kind, const char *name,
    const char *node, const char *const *kv)
{
	const char *eq;
	size_t klen;
	int i, n;

	memset(r, 0, sizeof(*r));
	if ((r->pl = plugin_load(NULL, kind, name)) == NULL)
		return -1;
	for (i = 0; kv != NULL && kv[i] != NULL && i < PLUGRIG_KV_MAX; i++) {
		if ((eq = strchr(kv[i], '=')) == NULL ||
		    (r->kvbuf[i] = strdup(kv[i])) == NULL)
			return -1;
		klen = (size_t)(eq - kv[i]);
		r->kvbuf[i][klen] = '\0';
		snprintf(
		    r->where[i], sizeof(r->where[i]), "test.conf:%d", i + 1);
		r->kv[i].key = r->kvbuf[i];
		r->kv[i].value = r->kvbuf[i] + klen + 1;
		r->kv[i].where = r->where[i];
	}
	r->host.node = node;
	r->host.conf = r->kv;
	r->host.nconf = i;
	r->host.seed = 1;
	r->host.log = plugrig_log;
	r->host.opaque = r;
	if (r->pl->desc->init(&r->host, &r->ctx) == -1) {
		r->ctx = NULL;
		return -1;
	}
	n = r->pl->desc->ops->devices(r->ctx, r->dev, POD_MAX_DEVICES);
	if (n < 0)
		return -1;
	r->ndev = n;
	return 0;
}

void
plugrig_close(struct plugrig *r)
{
	int i;

	if (r->pl != NULL && r->ctx != NULL)
		r->pl->desc->fini(r->ctx);
	r->ctx = NULL;
	plugin_unload(r->pl);
	r->pl = NULL;
	for (i = 0; i < PLUGRIG_KV_MAX; i++) {
		free(r->kvbuf[i]);
		r->kvbuf[i] = NULL;
	}
}

int
plugrig_read(struct plugrig *r, int64_t now_ms, struct pod_sample *out)
{
	memset(out, 0, (size_t)r->ndev * sizeof(*out));
	return r->pl->desc->ops->read(r->ctx, now_ms, out, r->ndev);
}

int
plugrig_logged(const struct plugrig *r, const char *needle)
{
	int i, n = 0;

	for (i = 0; i < r->nlog && i < PLUGRIG_LOG_MAX; i++)
		if (strstr(r->log[i], needle) != NULL)
			n++;
	return n;
}

int
plugrig_dev(const struct plugrig *r, const char *name)
{
	int i;

	for (i = 0; i < r->ndev; i++)
		if (strcmp(r->dev[i].name, name) == 0)
			return i;
	return -1;
}

void
plugrig_dump(const struct plugrig *r)
{
	int i;

	for (i = 0; i < r->nlog && i < PLUGRIG_LOG_MAX; i++)
		printf("  | %s\n", r->log[i]);
}
