/*
 * power/rapl: CPU package and DRAM power from the Linux powercap sysfs tree,
 * which the intel_rapl driver fills on Intel and AMD hosts alike:
 * /sys/class/powercap/intel-rapl:N is one zone per package ("name" says
 * package-K, or psys for the platform zone, which is left out), and its
 * subzones intel-rapl:N:M are core, uncore and dram. Each package becomes a
 * device cpuK (POD_DOMAIN_CPU), each DRAM subzone a device dramK
 * (POD_DOMAIN_MEM), K being the package number from the name.
 *
 * RAPL gives energy, not power: energy_uj is a counter in µJ that wraps at
 * max_energy_range_uj. Power is the counter's delta over the time between
 * two reads; energy_j adds up the deltas since the first read, so it never
 * goes back. A counter lower than the last one is a wrap when the wrapped
 * delta is under half the range (no package spends half of its range,
 * about 131 kJ on Intel, between two samples); anything else is a reset (a
 * driver reload, a broken counter): the plugin starts again from the new
 * value, said once, and reports no power for that interval.
 *
 * Power limits: the "long_term" constraint (constraint_N_name) is the one
 * firmware averages over seconds, the one a budget means. Where its
 * power_limit_uw file is writable (and the mode says so: a test tree run as
 * root opens anything), the device offers POD_CTL_POWER_LIMIT between
 * constraint_N_min_power_uw (or a quarter of the top, where the kernel does
 * not say) and constraint_N_max_power_uw (or the limit found at start).
 *
 * Every read opens, reads and closes the file with a small fixed buffer:
 * sysfs answers from memory, so no thread is needed, and a file that
 * changes (driver reload, a test replacing it) is seen at once. Since
 * Linux 5.10 energy_uj is readable by root only (a side channel, CVE
 * 2020-8694); the plugin says so once per device and leaves that device's
 * values invalid, while the others keep reading. A host without RAPL at
 * all gets no devices and one line at init, not an error: the agent
 * samples its other plugins.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pod/plugin.h>
#include <pod/plugin_util.h>

#define NELEM(a)            (sizeof(a) / sizeof((a)[0]))
#define RAPL_ROOT_DEFAULT   "/sys/class/powercap"
#define RAPL_PREFIX         "intel-rapl:"
#define RAPL_TEXT_MAX       64   /* one sysfs value, NUL included */
#define RAPL_CONSTRAINT_MAX 4    /* constraint_0 .. _3 looked at */
#define RAPL_MIN_SHARE      0.25 /* lowest limit when the kernel has none */

/* The zones the `domains` key can ask for: its word, the "name" file's
 * text (a prefix for packages, "package-K"), and the device it makes. */
enum rapl_kind { RAPL_PACKAGE, RAPL_DRAM };
static const struct rapl_kind_info {
	const char *word;   /* in `domains` */
	const char *prefix; /* of the zone's name */
	enum pod_domain domain;
	const char *dev;   /* device name prefix */
	const char *model; /* the device's model */
} rapl_kinds[] = {
    [RAPL_PACKAGE] = {"package", "package-", POD_DOMAIN_CPU, "cpu",
        "RAPL package"},
    [RAPL_DRAM] = {"dram", "dram", POD_DOMAIN_MEM, "dram", "RAPL DRAM"},
};

struct rapl_conf {
	char root[PATH_MAX]; /* the powercap class folder */
	unsigned kinds;      /* bit per enum rapl_kind */
	int control;         /* 1: offer power limits where writable */
};

struct rapl_zone {
	char dir[PATH_MAX]; /* the zone's folder */
	enum rapl_kind kind;
	char name[32];     /* the device's, e.g. "cpu0", "dram1-die1" */
	int pkg;           /* package number, K of package-K */
	int die;           /* D of package-K-die-D; -1 none */
	uint64_t range_uj; /* energy_uj wraps here; 0 unknown */
	int limit_ok;      /* 1: the long-term limit is writable */
	int cidx;          /* the long-term constraint's number */
	double min_w;      /* lowest limit offered, W */
	double max_w;      /* highest limit, W */
	double tdp_w;      /* constraint max power, W; 0 unknown */

	int have_prev;              /* 1: prev_uj holds a reading */
	uint64_t prev_uj;           /* last counter read, µJ */
	int64_t prev_ms;            /* when, monotonic ms */
	double energy_j;            /* since the first read, J */
	double power_w;             /* last computed, W */
	int power_ok;               /* 1: power_w holds a value */
	struct pod_said read_said;  /* why energy_uj is not read */
	struct pod_said count_said; /* a counter that went back */
	struct pod_said ctl_said;   /* a limit that was clamped */
	struct pod_said write_said; /* why the limit was not written */
	int read_logged;            /* 1: read_said was logged */
};

struct rapl {
	const struct pod_host *host; /* borrowed, valid until fini */
	struct rapl_conf conf;
	int perm_said; /* 1: "root only" was said, for any zone */
	int nzone;
	struct rapl_zone zone[POD_MAX_DEVICES];
};

#define RAPL_LOG(r, lvl, ...) (r)->host->log((r)->host, (lvl), __VA_ARGS__)

/*
 * Reads the file dir/name into buf (size bytes, NUL included), without its
 * trailing newline. 0, or -1 with errno set (EFBIG: longer than buf).
 */
static int
rapl_read_text(const char *dir, const char *name, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, e;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, size);
	e = errno;
	close(fd);
	if (n < 0) {
		errno = e;
		return -1;
	}
	if ((size_t)n >= size) {
		errno = EFBIG;
		return -1;
	}
	buf[n] = '\0';
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	return 0;
}

/* Reads dir/name as an unsigned decimal. 0, or -1 with errno set (EINVAL:
 * not a number). */
static int
rapl_read_u64(const char *dir, const char *name, uint64_t *out)
{
	char buf[RAPL_TEXT_MAX], *end;
	unsigned long long v;

	if (rapl_read_text(dir, name, buf, sizeof(buf)) == -1)
		return -1;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (end == buf || *end != '\0' || errno != 0 || buf[0] == '-') {
		errno = EINVAL;
		return -1;
	}
	*out = v;
	return 0;
}

/* "intel-rapl:N" (depth 1) or "intel-rapl:N:M" (depth 2): 1 when name is
 * one of depth `depth`. */
static int
rapl_zone_name(const char *name, int depth)
{
	const char *p;
	int parts = 0;

	if (strncmp(name, RAPL_PREFIX, strlen(RAPL_PREFIX)) != 0)
		return 0;
	p = name + strlen(RAPL_PREFIX);
	for (;;) {
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
		parts++;
		if (*p == '\0')
			return parts == depth;
		if (*p++ != ':')
			return 0;
	}
}

/* `domains = package,dram`: the words of rapl_kinds, comma-separated. */
static int
rapl_key_domains(
    const struct pod_host *host, const struct pod_kv *kv, unsigned *kinds)
{
	const char *p = kv->value, *end;
	size_t n, j;

	*kinds = 0;
	for (;;) {
		end = strchr(p, ',');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		for (j = 0; j < NELEM(rapl_kinds); j++)
			if (strlen(rapl_kinds[j].word) == n &&
			    strncmp(p, rapl_kinds[j].word, n) == 0)
				break;
		if (j == NELEM(rapl_kinds)) {
			host->log(host, POD_LOG_ERROR,
			    "%s: %s: '%.*s': want package or dram, "
			    "comma-separated",
			    kv->where, kv->key, (int)n, p);
			return -1;
		}
		*kinds |= 1u << j;
		if (end == NULL)
			return 0;
		p = end + 1;
	}
}

static int
rapl_key_bool(const char *v, int *out)
{
	static const char *const yes[] = {"1", "yes", "true", "on"};
	static const char *const no[] = {"0", "no", "false", "off"};
	size_t i;

	for (i = 0; i < NELEM(yes); i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static int
rapl_conf_parse(const struct pod_host *host, struct rapl_conf *c)
{
	const struct pod_kv *kv;
	int i;

	memset(c, 0, sizeof(*c));
	snprintf(c->root, sizeof(c->root), "%s", RAPL_ROOT_DEFAULT);
	c->kinds = (1u << RAPL_PACKAGE) | (1u << RAPL_DRAM);
	c->control = 1;
	for (i = 0; i < host->nconf; i++) {
		kv = &host->conf[i];
		if (strcmp(kv->key, "root") == 0) {
			if (kv->value[0] == '\0' ||
			    strlen(kv->value) >= sizeof(c->root) - 64) {
				host->log(host, POD_LOG_ERROR,
				    "%s: root: want a folder path", kv->where);
				return -1;
			}
			snprintf(c->root, sizeof(c->root), "%s", kv->value);
		} else if (strcmp(kv->key, "domains") == 0) {
			if (rapl_key_domains(host, kv, &c->kinds) == -1)
				return -1;
		} else if (strcmp(kv->key, "control") == 0) {
			if (rapl_key_bool(kv->value, &c->control) == -1) {
				host->log(host, POD_LOG_ERROR,
				    "%s: control: '%s': want yes or no",
				    kv->where, kv->value);
				return -1;
			}
		} else {
			host->log(host, POD_LOG_ERROR,
			    "%s: %s: unknown key (root, domains, control)",
			    kv->where, kv->key);
			return -1;
		}
	}
	return 0;
}

/* 1 when dir/name can be written: a write bit in its mode (a test tree run
 * as root would open a read-only file all the same) and an open that
 * works. */
static int
rapl_writable(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return 0;
	if (stat(path, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0)
		return 0;
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return 0;
	close(fd);
	return 1;
}

/* Finds the zone's long-term constraint and its limits; sets limit_ok when
 * the plugin may set it. */
static void
rapl_zone_limits(struct rapl *r, struct rapl_zone *z)
{
	char name[64], text[RAPL_TEXT_MAX];
	uint64_t max_uw = 0, min_uw = 0, cur_uw = 0;
	int i;

	z->cidx = 0;
	for (i = 0; i < RAPL_CONSTRAINT_MAX; i++) {
		snprintf(name, sizeof(name), "constraint_%d_name", i);
		if (rapl_read_text(z->dir, name, text, sizeof(text)) == 0 &&
		    strcmp(text, "long_term") == 0) {
			z->cidx = i;
			break;
		}
	}
	snprintf(name, sizeof(name), "constraint_%d_max_power_uw", z->cidx);
	if (rapl_read_u64(z->dir, name, &max_uw) == 0 && max_uw > 0)
		z->tdp_w = max_uw / 1e6;
	if (!r->conf.control)
		return;
	snprintf(name, sizeof(name), "constraint_%d_power_limit_uw", z->cidx);
	if (rapl_read_u64(z->dir, name, &cur_uw) == -1 ||
	    !rapl_writable(z->dir, name))
		return;
	z->max_w = max_uw > 0 ? max_uw / 1e6 : cur_uw / 1e6;
	snprintf(name, sizeof(name), "constraint_%d_min_power_uw", z->cidx);
	if (rapl_read_u64(z->dir, name, &min_uw) == 0 && min_uw > 0 &&
	    min_uw / 1e6 < z->max_w)
		z->min_w = min_uw / 1e6;
	else
		z->min_w = z->max_w * RAPL_MIN_SHARE;
	z->limit_ok = z->max_w > 0;
}

/* Adds the zone in dir, when its name is one of the kinds asked for. */
static void
rapl_zone_add(struct rapl *r, const char *dir, int depth)
{
	struct rapl_zone *z;
	char text[RAPL_TEXT_MAX], *end;
	long pkg, die = -1;
	size_t k;

	if (rapl_read_text(dir, "name", text, sizeof(text)) == -1)
		return;
	for (k = 0; k < NELEM(rapl_kinds); k++)
		if ((depth == 1) == (k == RAPL_PACKAGE) &&
		    strncmp(text, rapl_kinds[k].prefix,
		        strlen(rapl_kinds[k].prefix)) == 0)
			break;
	if (k == NELEM(rapl_kinds) || !(r->conf.kinds & (1u << k)))
		return;
	if (r->nzone == POD_MAX_DEVICES) {
		RAPL_LOG(r, POD_LOG_WARN, "%s: more than %d zones", dir,
		    POD_MAX_DEVICES);
		return;
	}
	z = &r->zone[r->nzone];
	memset(z, 0, sizeof(*z));
	snprintf(z->dir, sizeof(z->dir), "%s", dir);
	z->kind = (enum rapl_kind)k;
	if (k == RAPL_PACKAGE) {
		errno = 0;
		pkg = strtol(text + strlen("package-"), &end, 10);
		if (strncmp(end, "-die-", 5) == 0 && errno == 0)
			die = strtol(end + 5, &end, 10);
		if (*end != '\0' || errno != 0 || pkg < 0 || pkg > 9999 ||
		    die < -1 || die > 9999)
			return;
		z->pkg = (int)pkg;
		z->die = (int)die;
	}
	if (rapl_read_u64(dir, "max_energy_range_uj", &z->range_uj) == -1)
		z->range_uj = 0;
	rapl_zone_limits(r, z);
	r->nzone++;
}

static int
rapl_zone_cmp(const void *a, const void *b)
{
	const struct rapl_zone *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->pkg != y->pkg)
		return x->pkg < y->pkg ? -1 : 1;
	return (x->die > y->die) - (x->die < y->die);
}

/* Finds every zone under the root: packages, then their subzones. 0, or -1
 * when the root cannot be listed (errno). */
static int
rapl_scan(struct rapl *r)
{
	char dir[PATH_MAX], sub[PATH_MAX];
	struct dirent *e, *se;
	struct rapl_zone *z;
	DIR *d, *sd;
	int first, i;

	if ((d = opendir(r->conf.root)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (!rapl_zone_name(e->d_name, 1) ||
		    (size_t)snprintf(dir, sizeof(dir), "%s/%s", r->conf.root,
		        e->d_name) >= sizeof(dir))
			continue;
		first = r->nzone;
		rapl_zone_add(r, dir, 1);
		if (r->nzone == first)
			continue; /* psys, or a package not asked for */
		if ((sd = opendir(dir)) == NULL)
			continue;
		while ((se = readdir(sd)) != NULL)
			if (rapl_zone_name(se->d_name, 2) &&
			    (size_t)snprintf(sub, sizeof(sub), "%s/%s", dir,
			        se->d_name) < sizeof(sub)) {
				i = r->nzone;
				rapl_zone_add(r, sub, 2);
				if (r->nzone > i) {
					r->zone[i].pkg = r->zone[first].pkg;
					r->zone[i].die = r->zone[first].die;
				}
			}
		closedir(sd);
	}
	closedir(d);
	qsort(r->zone, (size_t)r->nzone, sizeof(r->zone[0]), rapl_zone_cmp);
	for (i = 0; i < r->nzone; i++) {
		z = &r->zone[i];
		if (z->die >= 0)
			snprintf(z->name, sizeof(z->name), "%s%d-die%d",
			    rapl_kinds[z->kind].dev, z->pkg, z->die);
		else
			snprintf(z->name, sizeof(z->name), "%s%d",
			    rapl_kinds[z->kind].dev, z->pkg);
	}
	return 0;
}

/* A package not asked for still carries the DRAM asked for: scan packages
 * then, but keep only the subzones. */
static void
rapl_drop_unasked(struct rapl *r, unsigned asked)
{
	int i, n = 0;

	for (i = 0; i < r->nzone; i++)
		if (asked & (1u << r->zone[i].kind))
			r->zone[n++] = r->zone[i];
	r->nzone = n;
}

static int
rapl_init(const struct pod_host *host, void **ctx)
{
	struct rapl *r;
	unsigned asked;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		host->log(host, POD_LOG_ERROR, "%s: calloc: %s", __func__,
		    strerror(errno));
		return -1;
	}
	r->host = host;
	if (rapl_conf_parse(host, &r->conf) == -1) {
		free(r);
		return -1;
	}
	asked = r->conf.kinds;
	r->conf.kinds |= 1u << RAPL_PACKAGE; /* subzones live in packages */
	if (rapl_scan(r) == -1) {
		RAPL_LOG(r, POD_LOG_WARN,
		    "%s: %s: no RAPL here (a virtual machine, or a kernel "
		    "without powercap): no devices",
		    r->conf.root, strerror(errno));
	} else {
		rapl_drop_unasked(r, asked);
		if (r->nzone == 0)
			RAPL_LOG(r, POD_LOG_WARN,
			    "%s: no intel-rapl zones of the kinds "
			    "asked (is the intel_rapl_common driver loaded?): "
			    "no devices",
			    r->conf.root);
	}
	r->conf.kinds = asked;
	*ctx = r;
	return 0;
}

static void
rapl_fini(void *ctx)
{
	free(ctx);
}

static int
rapl_devices(void *ctx, struct pod_device *out, int max)
{
	struct rapl *r = ctx;
	const struct rapl_zone *z;
	struct pod_device *d;
	int i;

	if (max < r->nzone) {
		RAPL_LOG(r, POD_LOG_ERROR, "%s: %d devices, room for %d",
		    __func__, r->nzone, max);
		return -1;
	}
	memset(out, 0, (size_t)r->nzone * sizeof(*out));
	for (i = 0; i < r->nzone; i++) {
		z = &r->zone[i];
		d = &out[i];
		snprintf(d->name, sizeof(d->name), "%s", z->name);
		snprintf(d->model, sizeof(d->model), "%s",
		    rapl_kinds[z->kind].model);
		d->domain = rapl_kinds[z->kind].domain;
		d->index = i > 0 && z->kind == r->zone[i - 1].kind
		               ? out[i - 1].index + 1
		               : 0;
		d->caps = POD_F_POWER | POD_F_ENERGY;
		d->tdp_w = z->tdp_w;
		if (z->limit_ok) {
			d->caps |= POD_CTL_POWER_LIMIT;
			d->power_min_w = z->min_w;
			d->power_max_w = z->max_w;
		}
	}
	return r->nzone;
}

/*
 * Why energy_uj cannot be read, said once per device until it reads again;
 * that it is root's only is said once for all devices, as it is true of
 * them all.
 */
static void
rapl_read_trouble(struct rapl *r, struct rapl_zone *z, int err)
{
	char why[sizeof(z->read_said.why)];
	int perm = err == EACCES || err == EPERM;

	if (perm)
		snprintf(why, sizeof(why),
		    "%s: readable by root only; run pod-agentd as root",
		    strerror(err));
	else if (err == EINVAL)
		snprintf(why, sizeof(why), "not a number");
	else
		snprintf(why, sizeof(why), "%s", strerror(err));
	if (!pod_said_new(&z->read_said, why))
		return;
	z->read_logged = 0;
	if (perm && r->perm_said)
		return;
	r->perm_said |= perm;
	z->read_logged = 1;
	RAPL_LOG(r, POD_LOG_WARN, "%s/energy_uj: %s", z->dir, why);
}

/*
 * The energy spent since the last reading, from the counter now at cur_uj:
 * the difference, across a wrap when the range says one is plausible.
 * -1 when the counter went back otherwise (the caller starts again).
 */
static int
rapl_delta(const struct rapl_zone *z, uint64_t cur_uj, uint64_t *delta_uj)
{
	uint64_t wrapped;

	if (cur_uj >= z->prev_uj) {
		*delta_uj = cur_uj - z->prev_uj;
		return 0;
	}
	if (z->range_uj == 0 || z->prev_uj > z->range_uj ||
	    cur_uj > z->range_uj)
		return -1;
	wrapped = z->range_uj - z->prev_uj + cur_uj;
	if (wrapped > z->range_uj / 2)
		return -1;
	*delta_uj = wrapped;
	return 0;
}

/* Reads one zone into o. 0, or -1 when its counter could not be read. */
static int
rapl_read_zone(struct rapl *r, struct rapl_zone *z, int64_t now_ms,
    int64_t wall_ms, struct pod_sample *o)
{
	uint64_t cur_uj, delta_uj;

	memset(o, 0, sizeof(*o));
	o->t_ms = wall_ms;
	if (rapl_read_u64(z->dir, "energy_uj", &cur_uj) == -1) {
		rapl_read_trouble(r, z, errno);
		return -1;
	}
	if (pod_said_clear(&z->read_said) && z->read_logged)
		RAPL_LOG(r, POD_LOG_INFO, "%s/energy_uj: reads again", z->dir);
	if (!z->have_prev) {
		z->have_prev = 1;
	} else if (now_ms <= z->prev_ms) {
		/* No time passed by our clock: keep the last reading, so
		 * that this energy lands with the next interval. */
		goto out;
	} else if (rapl_delta(z, cur_uj, &delta_uj) == -1) {
		if (pod_said_new(&z->count_said,
		        "energy counter went back (not a wrap): counting "
		        "again from its new value"))
			RAPL_LOG(r, POD_LOG_WARN, "%s: %s", z->dir,
			    z->count_said.why);
		z->power_ok = 0;
	} else {
		z->energy_j += delta_uj / 1e6;
		z->power_w = delta_uj / 1e6 / ((now_ms - z->prev_ms) / 1e3);
		z->power_ok = 1;
	}
	z->prev_ms = now_ms;
	z->prev_uj = cur_uj;
out:
	o->valid = POD_F_ENERGY | (z->power_ok ? POD_F_POWER : 0);
	o->energy_j = z->energy_j;
	o->power_w = z->power_w;
	return 0;
}

static int
rapl_read(void *ctx, int64_t now_ms, struct pod_sample *out, int n)
{
	struct rapl *r = ctx;
	int64_t wall_ms = pod_clock_ms(CLOCK_REALTIME);
	int i, good = 0;

	for (i = r->nzone; i < n; i++)
		memset(&out[i], 0, sizeof(out[i]));
	for (i = 0; i < r->nzone && i < n; i++)
		if (rapl_read_zone(r, &r->zone[i], now_ms, wall_ms, &out[i]) ==
		    0)
			good++;
	/* each zone's trouble was said, once */
	return r->nzone > 0 && good == 0 ? -1 : 0;
}

/*
 * Says once why writing zone z's limit failed (errno err, in step `op`);
 * -1 for the caller. EACCES from root is the kernel refusing a limit the
 * BIOS locked ("locked by BIOS, monitoring only" in dmesg).
 */
static int
rapl_write_failed(struct rapl *r, struct rapl_zone *z, const char *op, int err)
{
	char why[sizeof(z->write_said.why)];
	const char *hint = "";

	if (err == EACCES || err == EPERM)
		hint = geteuid() == 0
		           ? ": the limit is locked (by the BIOS, or "
		             "kernel lockdown)"
		           : ": setting RAPL limits needs root";
	snprintf(why, sizeof(why), "%s constraint_%d_power_limit_uw: %s%s", op,
	    z->cidx, err != 0 ? strerror(err) : "short write", hint);
	if (pod_said_new(&z->write_said, why))
		RAPL_LOG(r, POD_LOG_ERROR, "%s: %s/%s", z->name, z->dir, why);
	return -1;
}

/* Writes the long-term limit of zone z, W. 0, or -1 (logged once). */
static int
rapl_write_limit(struct rapl *r, struct rapl_zone *z, double limit_w)
{
	char path[PATH_MAX], text[RAPL_TEXT_MAX];
	int fd, len;
	ssize_t w;

	if ((size_t)snprintf(path, sizeof(path),
	        "%s/constraint_%d_power_limit_uw", z->dir,
	        z->cidx) >= sizeof(path))
		return rapl_write_failed(r, z, "open", ENAMETOOLONG);
	len = snprintf(text, sizeof(text), "%llu\n",
	    (unsigned long long)llround(limit_w * 1e6));
	if ((fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)) == -1)
		return rapl_write_failed(r, z, "open", errno);
	w = write(fd, text, (size_t)len);
	if (w != len) {
		rapl_write_failed(r, z, "write", w < 0 ? errno : 0);
		close(fd);
		return -1;
	}
	if (close(fd) == -1)
		return rapl_write_failed(r, z, "write", errno);
	if (pod_said_clear(&z->write_said))
		RAPL_LOG(r, POD_LOG_INFO, "%s: limit set again", z->name);
	return 0;
}

/*
 * Sets a power limit: a limit at or above power_max_w means none (the top
 * is written back); one under power_min_w is raised to it, said once, as
 * the lowest the plugin offers is the lowest it will set. A clock cap, or a
 * limit that is no number or not above 0 W, is refused.
 */
static int
rapl_control(void *ctx, int dev, const struct pod_control *c)
{
	struct rapl *r = ctx;
	struct rapl_zone *z;
	char why[sizeof(z->ctl_said.why)];
	double w;

	if (dev < 0 || dev >= r->nzone) {
		RAPL_LOG(r, POD_LOG_ERROR, "no device %d", dev);
		return -1;
	}
	z = &r->zone[dev];
	if ((c->set & ~(uint32_t)POD_CTL_POWER_LIMIT) != 0 || !z->limit_ok) {
		RAPL_LOG(r, POD_LOG_ERROR, "%s: takes only a power limit%s",
		    z->name,
		    z->limit_ok ? "" : ", and its limit is read-only here");
		return -1;
	}
	if (!(c->set & POD_CTL_POWER_LIMIT))
		return 0;
	w = c->power_limit_w;
	if (!isfinite(w) || w <= 0) {
		RAPL_LOG(r, POD_LOG_ERROR,
		    "%s: power limit %g W refused: want "
		    "%g..%g W",
		    z->name, w, z->min_w, z->max_w);
		return -1;
	}
	if (w > z->max_w)
		w = z->max_w;
	if (w < z->min_w) {
		snprintf(why, sizeof(why),
		    "limit below the lowest offered, %g W: set to that",
		    z->min_w);
		if (pod_said_new(&z->ctl_said, why))
			RAPL_LOG(r, POD_LOG_WARN, "%s: %s", z->name, why);
		w = z->min_w;
	} else {
		(void)pod_said_clear(&z->ctl_said);
	}
	return rapl_write_limit(r, z, w);
}

static const struct pod_plugin_ops rapl_ops = {
    .devices = rapl_devices,
    .read = rapl_read,
    .control = rapl_control,
    .environ = NULL,
};

/* The descriptor the loader looks up; see include/pod/plugin.h. */
const struct pod_plugin pod_plugin = {
    .abi = POD_PLUGIN_ABI,
    .kind = "power",
    .name = "rapl",
    .description = "CPU package and DRAM power from Linux powercap (RAPL)",
    .init = rapl_init,
    .fini = rapl_fini,
    .ops = &rapl_ops,
};
