/*
 * nvml_standin: a libnvidia-ml.so.1 for nvml_test, implementing exactly
 * the NVML calls the power/nvml plugin makes, so that the plugin is tested
 * as it runs on a GPU node, through dlopen(), without one.
 *
 * Every call reads the state file named by $NVML_STANDIN_STATE, so the
 * test changes the GPUs' behaviour between two reads by rewriting it. Its
 * lines are "key value", or "key.I value" for GPU I:
 *   gpus N          GPUs (default 2)
 *   init RC         what nvmlInit_v2 returns (default 0)
 *   deny 1          the two setters answer NVML_ERROR_NO_PERMISSION
 *   power_mw.I MW   power (default 100000 + 1000·I)
 *   energy_mj.I MJ  the energy counter (default 0)
 *   no_energy.I 1   the counter is not supported on GPU I
 *   lost.I 1        every call on GPU I answers NVML_ERROR_GPU_IS_LOST
 * Settings that work are appended to the file $NVML_STANDIN_LOG as
 * "appclocks I MEM_MHZ GR_MHZ" and "powerlimit I MW".
 *
 * Fixed per GPU: an 80 GiB part with 1 GiB + I MiB in use, power limits
 * 200–700 W (default 700 W), memory clocks 2619 and 1593 MHz (application
 * memory clock 2619), graphics clocks 1980 down to 345 MHz by 15 MHz with
 * the first and 1410 down to 210 with the second, SM clock 1755 MHz,
 * 40 + I °C, utilisation 50 + I %, slowdown at 87 °C, shutdown at 92 °C.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GPUS_MAX 8

/* nvml.h's values, as the plugin declares them too. */
typedef int nvmlReturn_t;
typedef struct nvmlDevice_st *nvmlDevice_t;
typedef struct {
	unsigned long long total, free, used;
} nvmlMemory_t;
typedef struct {
	unsigned int gpu, memory;
} nvmlUtilization_t;

enum {
	OK = 0,
	E_UNINITIALIZED = 1,
	E_INVALID_ARGUMENT = 2,
	E_NOT_SUPPORTED = 3,
	E_NO_PERMISSION = 4,
	E_INSUFFICIENT_SIZE = 7,
	E_DRIVER_NOT_LOADED = 9,
	E_GPU_IS_LOST = 15,
};

/* The calls, declared as the real nvml.h does. */
nvmlReturn_t nvmlInit_v2(void);
nvmlReturn_t nvmlShutdown(void);
const char *nvmlErrorString(nvmlReturn_t);
nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *);
nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int, nvmlDevice_t *);
nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t, char *, unsigned int);
nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t, nvmlMemory_t *);
nvmlReturn_t nvmlDeviceGetPowerManagementLimitConstraints(
    nvmlDevice_t, unsigned int *, unsigned int *);
nvmlReturn_t nvmlDeviceGetPowerManagementDefaultLimit(
    nvmlDevice_t, unsigned int *);
nvmlReturn_t nvmlDeviceGetMaxClockInfo(nvmlDevice_t, int, unsigned int *);
nvmlReturn_t nvmlDeviceGetSupportedMemoryClocks(
    nvmlDevice_t, unsigned int *, unsigned int *);
nvmlReturn_t nvmlDeviceGetSupportedGraphicsClocks(
    nvmlDevice_t, unsigned int, unsigned int *, unsigned int *);
nvmlReturn_t nvmlDeviceGetApplicationsClock(nvmlDevice_t, int, unsigned int *);
nvmlReturn_t nvmlDeviceGetTemperatureThreshold(
    nvmlDevice_t, int, unsigned int *);
nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t, unsigned int *);
nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(
    nvmlDevice_t, unsigned long long *);
nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t, int, unsigned int *);
nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t, int, unsigned int *);
nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t, nvmlUtilization_t *);
nvmlReturn_t nvmlDeviceSetApplicationsClocks(
    nvmlDevice_t, unsigned int, unsigned int);
nvmlReturn_t nvmlDeviceSetPowerManagementLimit(nvmlDevice_t, unsigned int);

struct state {
	int gpus, init, deny;
	unsigned long long power_mw[GPUS_MAX], energy_mj[GPUS_MAX];
	int no_energy[GPUS_MAX], lost[GPUS_MAX];
};

static void
state_read(struct state *s)
{
	const char *path = getenv("NVML_STANDIN_STATE");
	char key[64];
	unsigned long long v;
	unsigned i;
	FILE *f;

	memset(s, 0, sizeof(*s));
	s->gpus = 2;
	for (i = 0; i < GPUS_MAX; i++)
		s->power_mw[i] = 100000 + 1000 * i;
	if (path == NULL || (f = fopen(path, "r")) == NULL)
		return;
	while (fscanf(f, "%63s %llu", key, &v) == 2) {
		if (strcmp(key, "gpus") == 0)
			s->gpus = v < GPUS_MAX ? (int)v : GPUS_MAX;
		else if (strcmp(key, "init") == 0)
			s->init = (int)v;
		else if (strcmp(key, "deny") == 0)
			s->deny = (int)v;
		else if (sscanf(key, "power_mw.%u", &i) == 1 && i < GPUS_MAX)
			s->power_mw[i] = v;
		else if (sscanf(key, "energy_mj.%u", &i) == 1 && i < GPUS_MAX)
			s->energy_mj[i] = v;
		else if (sscanf(key, "no_energy.%u", &i) == 1 && i < GPUS_MAX)
			s->no_energy[i] = (int)v;
		else if (sscanf(key, "lost.%u", &i) == 1 && i < GPUS_MAX)
			s->lost[i] = (int)v;
	}
	fclose(f);
}

static void __attribute__((format(printf, 1, 2))) record(const char *fmt, ...)
{
	const char *path = getenv("NVML_STANDIN_LOG");
	va_list ap;
	FILE *f;

	if (path == NULL || (f = fopen(path, "a")) == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

/* The GPU a handle names, with the state; E_* when the call must fail. */
static int
gpu(nvmlDevice_t h, struct state *s, unsigned *i)
{
	uintptr_t v = (uintptr_t)h;

	state_read(s);
	if (v == 0 || v > (uintptr_t)s->gpus)
		return E_INVALID_ARGUMENT;
	*i = (unsigned)(v - 1);
	return s->lost[*i] ? E_GPU_IS_LOST : OK;
}

#define GPU_OR_FAIL(h)                                                         \
	struct state s;                                                        \
	unsigned i;                                                            \
	int rc = gpu((h), &s, &i);                                             \
	if (rc != OK)                                                          \
		return rc;

nvmlReturn_t
nvmlInit_v2(void)
{
	struct state s;

	state_read(&s);
	return s.init;
}

nvmlReturn_t
nvmlShutdown(void)
{
	return OK;
}

const char *
nvmlErrorString(nvmlReturn_t rc)
{
	static const struct {
		int rc;
		const char *text;
	} texts[] = {
	    {OK, "Success"},
	    {E_UNINITIALIZED, "Uninitialized"},
	    {E_INVALID_ARGUMENT, "Invalid Argument"},
	    {E_NOT_SUPPORTED, "Not Supported"},
	    {E_NO_PERMISSION, "Insufficient Permissions"},
	    {E_INSUFFICIENT_SIZE, "Insufficient Size"},
	    {E_DRIVER_NOT_LOADED, "Driver Not Loaded"},
	    {E_GPU_IS_LOST, "GPU is lost"},
	};
	size_t k;

	for (k = 0; k < sizeof(texts) / sizeof(texts[0]); k++)
		if (texts[k].rc == rc)
			return texts[k].text;
	return "Unknown Error";
}

nvmlReturn_t
nvmlDeviceGetCount_v2(unsigned int *n)
{
	struct state s;

	state_read(&s);
	*n = (unsigned)s.gpus;
	return OK;
}

nvmlReturn_t
nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *h)
{
	struct state s;

	state_read(&s);
	if (index >= (unsigned)s.gpus)
		return E_INVALID_ARGUMENT;
	*h = (nvmlDevice_t)(uintptr_t)(index + 1);
	return OK;
}

nvmlReturn_t
nvmlDeviceGetName(nvmlDevice_t h, char *name, unsigned int len)
{
	GPU_OR_FAIL(h);
	snprintf(name, len, "NVIDIA Stand-in %u 80GB", i);
	return OK;
}

nvmlReturn_t
nvmlDeviceGetMemoryInfo(nvmlDevice_t h, nvmlMemory_t *m)
{
	GPU_OR_FAIL(h);
	m->total = 80ull << 30;
	m->used = (1ull << 30) + ((unsigned long long)i << 20);
	m->free = m->total - m->used;
	return OK;
}

nvmlReturn_t
nvmlDeviceGetPowerManagementLimitConstraints(
    nvmlDevice_t h, unsigned int *lo, unsigned int *hi)
{
	GPU_OR_FAIL(h);
	*lo = 200000;
	*hi = 700000;
	return OK;
}

nvmlReturn_t
nvmlDeviceGetPowerManagementDefaultLimit(nvmlDevice_t h, unsigned int *v)
{
	GPU_OR_FAIL(h);
	*v = 700000;
	return OK;
}

nvmlReturn_t
nvmlDeviceGetMaxClockInfo(nvmlDevice_t h, int type, unsigned int *v)
{
	GPU_OR_FAIL(h);
	*v = type == 2 ? 2619 : 1980;
	return OK;
}

nvmlReturn_t
nvmlDeviceGetSupportedMemoryClocks(
    nvmlDevice_t h, unsigned int *n, unsigned int *mhz)
{
	GPU_OR_FAIL(h);
	if (*n < 2) {
		*n = 2;
		return E_INSUFFICIENT_SIZE;
	}
	*n = 2;
	mhz[0] = 2619;
	mhz[1] = 1593;
	return OK;
}

nvmlReturn_t
nvmlDeviceGetSupportedGraphicsClocks(
    nvmlDevice_t h, unsigned int mem, unsigned int *n, unsigned int *mhz)
{
	unsigned top, low, k, count;

	GPU_OR_FAIL(h);
	if (mem == 2619) {
		top = 1980;
		low = 345;
	} else if (mem == 1593) {
		top = 1410;
		low = 210;
	} else {
		return E_INVALID_ARGUMENT;
	}
	count = (top - low) / 15 + 1;
	if (*n < count) {
		*n = count;
		return E_INSUFFICIENT_SIZE;
	}
	*n = count;
	for (k = 0; k < count; k++)
		mhz[k] = top - 15 * k;
	return OK;
}

nvmlReturn_t
nvmlDeviceGetApplicationsClock(nvmlDevice_t h, int type, unsigned int *v)
{
	GPU_OR_FAIL(h);
	*v = type == 2 ? 2619 : 1755;
	return OK;
}

nvmlReturn_t
nvmlDeviceGetTemperatureThreshold(nvmlDevice_t h, int type, unsigned int *v)
{
	GPU_OR_FAIL(h);
	if (type == 0)
		*v = 92;
	else if (type == 1)
		*v = 87;
	else
		return E_NOT_SUPPORTED;
	return OK;
}

nvmlReturn_t
nvmlDeviceGetPowerUsage(nvmlDevice_t h, unsigned int *mw)
{
	GPU_OR_FAIL(h);
	*mw = (unsigned)s.power_mw[i];
	return OK;
}

nvmlReturn_t
nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t h, unsigned long long *mj)
{
	GPU_OR_FAIL(h);
	if (s.no_energy[i])
		return E_NOT_SUPPORTED;
	*mj = s.energy_mj[i];
	return OK;
}

nvmlReturn_t
nvmlDeviceGetTemperature(nvmlDevice_t h, int sensor, unsigned int *c)
{
	GPU_OR_FAIL(h);
	if (sensor != 0)
		return E_INVALID_ARGUMENT;
	*c = 40 + i;
	return OK;
}

nvmlReturn_t
nvmlDeviceGetClockInfo(nvmlDevice_t h, int type, unsigned int *mhz)
{
	GPU_OR_FAIL(h);
	*mhz = type == 2 ? 2619 : 1755;
	return OK;
}

nvmlReturn_t
nvmlDeviceGetUtilizationRates(nvmlDevice_t h, nvmlUtilization_t *u)
{
	GPU_OR_FAIL(h);
	u->gpu = 50 + i;
	u->memory = 20;
	return OK;
}

nvmlReturn_t
nvmlDeviceSetApplicationsClocks(
    nvmlDevice_t h, unsigned int mem, unsigned int gr)
{
	GPU_OR_FAIL(h);
	if (s.deny)
		return E_NO_PERMISSION;
	if (!((mem == 2619 && gr >= 345 && gr <= 1980) ||
	        (mem == 1593 && gr >= 210 && gr <= 1410)) ||
	    (1980 - gr) % 15 != 0)
		return E_INVALID_ARGUMENT;
	record("appclocks %u %u %u\n", i, mem, gr);
	return OK;
}

nvmlReturn_t
nvmlDeviceSetPowerManagementLimit(nvmlDevice_t h, unsigned int mw)
{
	GPU_OR_FAIL(h);
	if (s.deny)
		return E_NO_PERMISSION;
	if (mw < 200000 || mw > 700000)
		return E_INVALID_ARGUMENT;
	record("powerlimit %u %u\n", i, mw);
	return OK;
}
