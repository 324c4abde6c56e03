/*
 * A plugin built for the next major ABI, for sim_test: the loader must refuse
 * it before calling anything in it, so its functions only say they were run.
 */
#include <stdlib.h>

#include <pod/plugin.h>

static int
badabi_init(const struct pod_host *host, void **ctx)
{
	abort();
}

static void
badabi_fini(void *ctx)
{
	abort();
}

static int
badabi_devices(void *ctx, struct pod_device *out, int max)
{
	abort();
}

static int
badabi_read(void *ctx, int64_t now_ms, struct pod_sample *out, int n)
{
	abort();
}

static const struct pod_plugin_ops badabi_ops = {
    .devices = badabi_devices,
    .read = badabi_read,
};

/* Otherwise well formed, so that only the ABI number can be the reason. */
__attribute__((visibility("default"))) const struct pod_plugin pod_plugin = {
    .abi = (POD_PLUGIN_ABI_MAJOR + 1) << 16,
    .kind = "power",
    .name = "badabi",
    .description = "test: built for the next ABI major",
    .init = badabi_init,
    .fini = badabi_fini,
    .ops = &badabi_ops,
};
