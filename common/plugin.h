/*
 * The plugin loader: finds <dir>/<kind>-<name>.so, checks its descriptor
 * against this host's ABI before anything in it runs, and hands back the
 * descriptor. See include/pod/plugin.h for the ABI itself.
 */
#ifndef POD_COMMON_PLUGIN_H
#define POD_COMMON_PLUGIN_H

#include <pod/plugin.h>

struct plugin {
	void *dl;
	const struct pod_plugin *desc; /* borrowed from the loaded object */
	char path[4096];
};

/* Loads plugin `name` of `kind` ("power", "cooling") from `dir`, or from
 * plugin_default_dir() when dir is NULL. Returns NULL (reason logged once) if
 * the file is missing, has no descriptor, or was built for another ABI major
 * or a newer minor. Caller frees with plugin_unload(). */
struct plugin *plugin_load(const char *dir, const char *kind, const char *name);
void plugin_unload(struct plugin *p);
/* $POD_PLUGIN_DIR, else <directory of this executable>/../lib/pod when it
 * exists (build tree, /usr/local), else the configured install directory.
 * Borrowed. */
const char *plugin_default_dir(void);

#endif
