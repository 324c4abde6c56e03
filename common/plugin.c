/*
 * The plugin loader. RTLD_NOW so that a plugin with a missing symbol fails
 * here, with its name, and not in the middle of a sample; RTLD_LOCAL so that
 * two plugins cannot see each other's symbols. Every failure path dlclose()s
 * and says why in one line.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "log.h"
#include "names.h"
#include "plugin.h"

const char *
plugin_default_dir(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("POD_PLUGIN_DIR");
	char exe[PATH_MAX - 16], *slash;
	struct stat sb;
	ssize_t n;

	if (env != NULL && *env != '\0')
		return env;
	if (dir[0] != '\0')
		return dir;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return POD_PLUGIN_FALLBACK_DIR;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) != NULL)
		*slash = '\0';
	snprintf(dir, sizeof(dir), "%s/../lib/pod", exe);
	/* Installed with a multiarch libdir, the plugins are elsewhere. */
	if (stat(dir, &sb) == -1 || !S_ISDIR(sb.st_mode))
		snprintf(dir, sizeof(dir), "%s", POD_PLUGIN_FALLBACK_DIR);
	return dir;
}

struct plugin *
plugin_load(const char *dir, const char *kind, const char *name)
{
	struct plugin *p;
	const struct pod_plugin *d;

	if (!names_valid(name)) {
		log_warnx("%s: bad %s plugin name '%s'", __func__, kind, name);
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		log_warn("%s: calloc", __func__);
		return NULL;
	}
	if (dir == NULL)
		dir = plugin_default_dir();
	snprintf(p->path, sizeof(p->path), "%s/%s-%s.so", dir, kind, name);
	if ((p->dl = dlopen(p->path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		log_warnx("%s: %s", __func__, dlerror());
		goto fail;
	}
	if ((d = dlsym(p->dl, "pod_plugin")) == NULL) {
		log_warnx(
		    "%s: %s: no pod_plugin descriptor", __func__, p->path);
		goto fail;
	}
	if (POD_PLUGIN_ABI_MAJOR_OF(d->abi) != POD_PLUGIN_ABI_MAJOR ||
	    POD_PLUGIN_ABI_MINOR_OF(d->abi) > POD_PLUGIN_ABI_MINOR) {
		log_warnx("%s: %s: built for plugin ABI %u.%u, this host "
		          "speaks %u.%u",
		    __func__, p->path, POD_PLUGIN_ABI_MAJOR_OF(d->abi),
		    POD_PLUGIN_ABI_MINOR_OF(d->abi), POD_PLUGIN_ABI_MAJOR,
		    POD_PLUGIN_ABI_MINOR);
		goto fail;
	}
	if (d->kind == NULL || strcmp(d->kind, kind) != 0 || d->name == NULL ||
	    strcmp(d->name, name) != 0) {
		log_warnx("%s: %s: descriptor says %s/%s, expected %s/%s",
		    __func__, p->path, d->kind ? d->kind : "?",
		    d->name ? d->name : "?", kind, name);
		goto fail;
	}
	if (d->init == NULL || d->fini == NULL || d->ops == NULL ||
	    d->ops->devices == NULL || d->ops->read == NULL) {
		log_warnx(
		    "%s: %s: descriptor lacks init, fini, devices or read",
		    __func__, p->path);
		goto fail;
	}
	p->desc = d;
	return p;
fail:
	if (p->dl != NULL)
		dlclose(p->dl);
	free(p);
	return NULL;
}

void
plugin_unload(struct plugin *p)
{
	if (p == NULL)
		return;
	dlclose(p->dl);
	free(p);
}
