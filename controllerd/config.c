/*
 * The controller's configuration. Keys are one static table; a key's row
 * says its section, its type and range, and where its value goes. Fabric-wide
 * pod settings are defaults that a [pod NAME] section overrides for one pod,
 * so they are resolved in two passes: fabric keys first, then pod sections.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "config.h"
#include "db.h"
#include "hostlist.h"

static const char default_text[] =
    "# Embedded default: one pod of 128 nodes x 8 accelerators.\n"
    "[controller]\n"
    "listen = 127.0.0.1:8470\n"
    "database = state/controller.db\n"
    "heartbeat_timeout_s = 10\n"
    "[fabric]\n"
    "pods = 1\n"
    "nodes_per_pod = 128\n"
    "groups_per_pod = 8\n"
    "accels_per_node = 8\n"
    "power_budget_kw = 850\n"
    "cooling_capacity_kw = 900\n"
    "[modbus]\n"
    "listen = 127.0.0.1:1502\n"
    "allow_write = 127.0.0.1\n";

/*
 * Telemetry retention, days, when the file does not set it: by the
 * database's engine. On SQLite the controller's database is the history.
 * On PostgreSQL it keeps only what its decisions, the dashboard and
 * /api/v1/telemetry need, and Prometheus (which scrapes /metrics) keeps the
 * history: raw samples until their minutes are rolled up (1 day: today's
 * and yesterday's day-partitions), minutes a week, hours 90 days.
 */
static const struct retention {
	int days_raw, days_1m, days_1h;
} retention_sqlite = {7, 30, 400}, retention_pg = {1, 7, 90};

/* Where a value goes: the controller struct, or the fabric defaults. */
enum target { T_CONTROLLER, T_FABRIC, T_POD, T_QOS, T_PARTITION };
enum type { V_STR, V_INT, V_DOUBLE, V_ADDR, V_ENUM, V_NETLIST };

/* Values of enum keys, in the order of their C enums. */
static const char *const policy_names[] = {
    "fcfs", "easy", "conservative", NULL};
static const char *const bool_names[] = {"false", "true", NULL};
static const char *const favor_names[] = {"large", "small", NULL};

/*
 * Keyword table. Columns: section, key, value type, lower and upper bound
 * (numbers), which struct the value goes to, the field's offset there, the
 * buffer size (strings) and the allowed words (enums, stored as their
 * index). A key valid in both [fabric] and [pod NAME] appears once per
 * section.
 */
static const struct keyword {
	const char *section;
	const char *key;
	enum type type;
	double min, max;
	enum target target;
	size_t offset;
	size_t size;              /* for strings */
	const char *const *words; /* for enums */
} keywords[] = {
    {"controller", "listen", V_ADDR, 0, 0, T_CONTROLLER,
        offsetof(struct config, listen), sizeof(((struct config *)0)->listen),
        NULL},
    {"controller", "database", V_STR, 0, 0, T_CONTROLLER,
        offsetof(struct config, database),
        sizeof(((struct config *)0)->database), NULL},
    {"controller", "web_dir", V_STR, 0, 0, T_CONTROLLER,
        offsetof(struct config, web_dir), sizeof(((struct config *)0)->web_dir),
        NULL},
    {"controller", "tls_cert", V_STR, 0, 0, T_CONTROLLER,
        offsetof(struct config, tls_cert),
        sizeof(((struct config *)0)->tls_cert), NULL},
    {"controller", "tls_key", V_STR, 0, 0, T_CONTROLLER,
        offsetof(struct config, tls_key), sizeof(((struct config *)0)->tls_key),
        NULL},
    {"controller", "heartbeat_timeout_s", V_INT, 2, 3600, T_CONTROLLER,
        offsetof(struct config, heartbeat_timeout_s), 0, NULL},
    {"controller", "fence_timeout_s", V_INT, 1, 86400, T_CONTROLLER,
        offsetof(struct config, fence_timeout_s), 0, NULL},
    {"controller", "fence_margin_s", V_INT, 0, 3600, T_CONTROLLER,
        offsetof(struct config, fence_margin_s), 0, NULL},
    {"controller", "advertise_url", V_STR, 0, 0, T_CONTROLLER,
        offsetof(struct config, advertise_url),
        sizeof(((struct config *)0)->advertise_url), NULL},
    {"controller", "controllers", V_STR, 0, 0, T_CONTROLLER,
        offsetof(struct config, controllers_text),
        sizeof(((struct config *)0)->controllers_text), NULL},
    {"controller", "leader_lease_s", V_INT, 1, 3600, T_CONTROLLER,
        offsetof(struct config, leader_lease_s), 0, NULL},
    {"controller", "store_interval_s", V_INT, 1, 3600, T_CONTROLLER,
        offsetof(struct config, store_interval_s), 0, NULL},
    {"controller", "retention_days", V_INT, 1, 3650, T_CONTROLLER,
        offsetof(struct config, retention_days), 0, NULL},
    {"controller", "retention_1m_days", V_INT, 1, 3650, T_CONTROLLER,
        offsetof(struct config, retention_1m_days), 0, NULL},
    {"controller", "retention_1h_days", V_INT, 1, 36500, T_CONTROLLER,
        offsetof(struct config, retention_1h_days), 0, NULL},
    {"controller", "max_connections", V_INT, 0, 1000000, T_CONTROLLER,
        offsetof(struct config, http_max_conns), 0, NULL},
    {"controller", "max_per_peer", V_INT, 1, 1000000, T_CONTROLLER,
        offsetof(struct config, http_max_per_peer), 0, NULL},
    {"controller", "limit_exempt", V_NETLIST, 0, 0, T_CONTROLLER,
        offsetof(struct config, http_exempt), 0, NULL},
    {"controller", "header_timeout_s", V_INT, 1, 3600, T_CONTROLLER,
        offsetof(struct config, header_timeout_s), 0, NULL},
    {"controller", "body_timeout_s", V_INT, 1, 3600, T_CONTROLLER,
        offsetof(struct config, body_timeout_s), 0, NULL},
    {"controller", "write_rate_per_s", V_DOUBLE, 0, 1e6, T_CONTROLLER,
        offsetof(struct config, write_rate_per_s), 0, NULL},
    {"controller", "write_burst", V_INT, 1, 1000000, T_CONTROLLER,
        offsetof(struct config, write_burst), 0, NULL},
    {"controller", "store_queue_max", V_INT, 1, 100000000, T_CONTROLLER,
        offsetof(struct config, store_queue_max), 0, NULL},
    {"controller", "backpressure_queue_share", V_DOUBLE, 0.01, 1, T_CONTROLLER,
        offsetof(struct config, bp_queue_share), 0, NULL},
    {"controller", "backpressure_lag_ms", V_DOUBLE, 1, 60000, T_CONTROLLER,
        offsetof(struct config, bp_lag_ms), 0, NULL},
    {"controller", "backpressure_cpu_share", V_DOUBLE, 0.01, 1, T_CONTROLLER,
        offsetof(struct config, bp_cpu_share), 0, NULL},
    {"controller", "report_interval_max_ms", V_INT, 2000, 600000, T_CONTROLLER,
        offsetof(struct config, report_interval_max_ms), 0, NULL},
    {"controller", "report_rate_max", V_INT, 0, 10000000, T_CONTROLLER,
        offsetof(struct config, report_rate_max), 0, NULL},
    {"controller", "test_loop_stall_ms", V_INT, 0, 900, T_CONTROLLER,
        offsetof(struct config, test_loop_stall_ms), 0, NULL},
    {"controller", "metrics_accelerators", V_ENUM, 0, 0, T_CONTROLLER,
        offsetof(struct config, metrics_accelerators), 0, bool_names},
    {"accounting", "retention_days", V_INT, 1, 36500, T_CONTROLLER,
        offsetof(struct config, acct_retention_days), 0, NULL},
    {"auth", "node_secret_file", V_STR, 0, 0, T_CONTROLLER,
        offsetof(struct config, node_secret_file),
        sizeof(((struct config *)0)->node_secret_file), NULL},
    {"scheduler", "policy", V_ENUM, 0, 0, T_CONTROLLER,
        offsetof(struct config, sched_policy), 0, policy_names},
    {"scheduler", "age_weight_per_h", V_DOUBLE, 0, 1e6, T_CONTROLLER,
        offsetof(struct config, age_weight_per_h), 0, NULL},
    {"scheduler", "age_cap_h", V_INT, 0, 87600, T_CONTROLLER,
        offsetof(struct config, age_cap_h), 0, NULL},
    {"scheduler", "starve_after_h", V_INT, 0, 87600, T_CONTROLLER,
        offsetof(struct config, starve_after_h), 0, NULL},
    {"scheduler", "kill_grace_s", V_INT, 1, 3600, T_CONTROLLER,
        offsetof(struct config, kill_grace_s), 0, NULL},
    {"scheduler", "default_time_limit_s", V_INT, 0, 366 * 86400, T_CONTROLLER,
        offsetof(struct config, default_time_limit_s), 0, NULL},
    {"scheduler", "max_time_limit_s", V_INT, 1, 366 * 86400, T_CONTROLLER,
        offsetof(struct config, max_time_limit_s), 0, NULL},
    {"scheduler", "jobs_kept", V_INT, 0, 1000000, T_CONTROLLER,
        offsetof(struct config, jobs_kept), 0, NULL},
    {"scheduler", "max_array_size", V_INT, 1, 1000000, T_CONTROLLER,
        offsetof(struct config, max_array_size), 0, NULL},
    {"priority", "weight_fairshare", V_DOUBLE, 0, 1e9, T_CONTROLLER,
        offsetof(struct config, w_fairshare), 0, NULL},
    {"priority", "weight_jobsize", V_DOUBLE, 0, 1e9, T_CONTROLLER,
        offsetof(struct config, w_jobsize), 0, NULL},
    {"priority", "jobsize_favor", V_ENUM, 0, 0, T_CONTROLLER,
        offsetof(struct config, jobsize_favor_small), 0, favor_names},
    {"priority", "weight_qos", V_DOUBLE, 0, 1e9, T_CONTROLLER,
        offsetof(struct config, w_qos), 0, NULL},
    {"priority", "weight_operator", V_DOUBLE, 0, 1e6, T_CONTROLLER,
        offsetof(struct config, w_operator), 0, NULL},
    {"priority", "half_life_h", V_DOUBLE, 0, 87600, T_CONTROLLER,
        offsetof(struct config, half_life_h), 0, NULL},
    {"scheduler", "default_qos", V_STR, 0, 0, T_CONTROLLER,
        offsetof(struct config, default_qos),
        sizeof(((struct config *)0)->default_qos), NULL},
    {"scheduler", "maint_notice_h", V_INT, 0, 8760, T_CONTROLLER,
        offsetof(struct config, maint_notice_h), 0, NULL},
    {"accounts", "enforce", V_ENUM, 0, 0, T_CONTROLLER,
        offsetof(struct config, accounts_enforce), 0, bool_names},
    {"qos", "priority", V_INT, 0, 1000000000, T_QOS,
        offsetof(struct qos_config, priority), 0, NULL},
    {"qos", "max_wall_s", V_INT, 0, 366 * 86400, T_QOS,
        offsetof(struct qos_config, max_wall_s), 0, NULL},
    {"qos", "max_jobs_per_user", V_INT, 0, 10000000, T_QOS,
        offsetof(struct qos_config, max_jobs_per_user), 0, NULL},
    {"qos", "max_accels_per_user", V_INT, 0, 100000000, T_QOS,
        offsetof(struct qos_config, max_accels_per_user), 0, NULL},
    {"qos", "max_jobs_per_account", V_INT, 0, 10000000, T_QOS,
        offsetof(struct qos_config, max_jobs_per_account), 0, NULL},
    {"qos", "max_accels_per_account", V_INT, 0, 100000000, T_QOS,
        offsetof(struct qos_config, max_accels_per_account), 0, NULL},
    {"qos", "preempt", V_STR, 0, 0, T_QOS, offsetof(struct qos_config, preempt),
        sizeof(((struct qos_config *)0)->preempt), NULL},
    {"partition", "pods", V_STR, 0, 0, T_PARTITION,
        offsetof(struct partition_config, pods),
        sizeof(((struct partition_config *)0)->pods), NULL},
    {"partition", "groups", V_STR, 0, 0, T_PARTITION,
        offsetof(struct partition_config, groups),
        sizeof(((struct partition_config *)0)->groups), NULL},
    {"partition", "nodes", V_STR, 0, 0, T_PARTITION,
        offsetof(struct partition_config, nodes),
        sizeof(((struct partition_config *)0)->nodes), NULL},
    {"partition", "default", V_ENUM, 0, 0, T_PARTITION,
        offsetof(struct partition_config, is_default), 0, bool_names},
    {"partition", "default_time_s", V_INT, 0, 366 * 86400, T_PARTITION,
        offsetof(struct partition_config, default_time_s), 0, NULL},
    {"partition", "max_time_s", V_INT, 0, 366 * 86400, T_PARTITION,
        offsetof(struct partition_config, max_time_s), 0, NULL},
    {"partition", "accounts", V_STR, 0, 0, T_PARTITION,
        offsetof(struct partition_config, accounts),
        sizeof(((struct partition_config *)0)->accounts), NULL},
    {"power", "facility_cap_kw", V_DOUBLE, 0, 1e7, T_CONTROLLER,
        offsetof(struct config, facility_cap_w), 0, NULL},
    {"power", "fallback_node_cap_kw", V_DOUBLE, 0, 1e3, T_CONTROLLER,
        offsetof(struct config, fallback_cap_w), 0, NULL},
    {"alarms", "min_flow_lpm", V_DOUBLE, 0, 1e4, T_CONTROLLER,
        offsetof(struct config, min_flow_lpm), 0, NULL},
    {"alarms", "max_supply_c", V_DOUBLE, 0, 100, T_CONTROLLER,
        offsetof(struct config, max_supply_c), 0, NULL},
    {"alarms", "dwell_s", V_INT, 0, 3600, T_CONTROLLER,
        offsetof(struct config, alarm_dwell_s), 0, NULL},
    {"alarms", "clear_hold_s", V_INT, 0, 3600, T_CONTROLLER,
        offsetof(struct config, alarm_clear_hold_s), 0, NULL},
    {"alarms", "overtemp_margin_c", V_DOUBLE, 0, 50, T_CONTROLLER,
        offsetof(struct config, overtemp_margin_c), 0, NULL},
    {"alarms", "lowflow_margin_lpm", V_DOUBLE, 0, 1e4, T_CONTROLLER,
        offsetof(struct config, lowflow_margin_lpm), 0, NULL},
    {"alarms", "supply_margin_c", V_DOUBLE, 0, 50, T_CONTROLLER,
        offsetof(struct config, supply_margin_c), 0, NULL},
    {"health", "leak_drain_after_s", V_INT, HEALTH_NEVER, 86400, T_CONTROLLER,
        offsetof(struct config, health.rule[HEALTH_LEAK].drain_after_s), 0,
        NULL},
    {"health", "leak_requeue", V_ENUM, 0, 0, T_CONTROLLER,
        offsetof(struct config, health.rule[HEALTH_LEAK].requeue), 0,
        bool_names},
    {"health", "low_flow_drain_after_s", V_INT, HEALTH_NEVER, 86400,
        T_CONTROLLER,
        offsetof(struct config, health.rule[HEALTH_LOWFLOW].drain_after_s), 0,
        NULL},
    {"health", "low_flow_requeue", V_ENUM, 0, 0, T_CONTROLLER,
        offsetof(struct config, health.rule[HEALTH_LOWFLOW].requeue), 0,
        bool_names},
    {"health", "overtemp_drain_after_s", V_INT, HEALTH_NEVER, 86400,
        T_CONTROLLER,
        offsetof(struct config, health.rule[HEALTH_OVERTEMP].drain_after_s), 0,
        NULL},
    {"health", "overtemp_requeue", V_ENUM, 0, 0, T_CONTROLLER,
        offsetof(struct config, health.rule[HEALTH_OVERTEMP].requeue), 0,
        bool_names},
    {"auth", "anonymous_read", V_ENUM, 0, 0, T_CONTROLLER,
        offsetof(struct config, anonymous_read), 0, bool_names},
    {"modbus", "listen", V_ADDR, 0, 0, T_CONTROLLER,
        offsetof(struct config, modbus_listen),
        sizeof(((struct config *)0)->modbus_listen), NULL},
    {"modbus", "allow_write", V_NETLIST, 0, 0, T_CONTROLLER,
        offsetof(struct config, modbus_allow), 0, NULL},
    {"modbus", "max_connections", V_INT, 1, 1000, T_CONTROLLER,
        offsetof(struct config, modbus_max_conns), 0, NULL},
    {"modbus", "max_per_peer", V_INT, 1, 1000, T_CONTROLLER,
        offsetof(struct config, modbus_max_per_peer), 0, NULL},
    {"modbus", "reserved_connections", V_INT, 0, 1000, T_CONTROLLER,
        offsetof(struct config, modbus_reserved), 0, NULL},
    {"modbus", "idle_timeout_s", V_INT, 1, 86400, T_CONTROLLER,
        offsetof(struct config, modbus_idle_timeout_s), 0, NULL},
    {"modbus", "watchdog_s", V_INT, 0, 3600, T_CONTROLLER,
        offsetof(struct config, modbus_watchdog_s), 0, NULL},
    {"modbus", "ramp_s", V_INT, 5, 3600, T_CONTROLLER,
        offsetof(struct config, modbus_ramp_s), 0, NULL},
    {"modbus", "safe_cap_kw", V_DOUBLE, 0, 65000, T_CONTROLLER,
        offsetof(struct config, modbus_safe_cap_w), 0, NULL},
    {"fabric", "pods", V_INT, 1, CONFIG_MAX_PODS, T_CONTROLLER,
        offsetof(struct config, npods), 0, NULL},
    {"fabric", "coolant_density_kg_l", V_DOUBLE, 0.5, 2.0, T_CONTROLLER,
        offsetof(struct config, coolant_density_kg_l), 0, NULL},
    {"fabric", "coolant_cp_j_kgk", V_DOUBLE, 1000, 5000, T_CONTROLLER,
        offsetof(struct config, coolant_cp_j_kgk), 0, NULL},
    {"fabric", "nodes_per_pod", V_INT, 1, CONFIG_MAX_NODES_PER_POD, T_FABRIC,
        offsetof(struct pod_config, nodes), 0, NULL},
    {"fabric", "groups_per_pod", V_INT, 1, CONFIG_MAX_NODES_PER_POD, T_FABRIC,
        offsetof(struct pod_config, groups), 0, NULL},
    {"fabric", "accels_per_node", V_INT, 1, CONFIG_MAX_ACCELS, T_FABRIC,
        offsetof(struct pod_config, accels_per_node), 0, NULL},
    {"fabric", "power_budget_kw", V_DOUBLE, 0.001, 1e6, T_FABRIC,
        offsetof(struct pod_config, power_budget_w), 0, NULL},
    {"fabric", "cooling_capacity_kw", V_DOUBLE, 0.001, 1e6, T_FABRIC,
        offsetof(struct pod_config, cooling_capacity_w), 0, NULL},
    {"pod", "nodes", V_INT, 1, CONFIG_MAX_NODES_PER_POD, T_POD,
        offsetof(struct pod_config, nodes), 0, NULL},
    {"pod", "groups", V_INT, 1, CONFIG_MAX_NODES_PER_POD, T_POD,
        offsetof(struct pod_config, groups), 0, NULL},
    {"pod", "accels_per_node", V_INT, 1, CONFIG_MAX_ACCELS, T_POD,
        offsetof(struct pod_config, accels_per_node), 0, NULL},
    {"pod", "power_budget_kw", V_DOUBLE, 0.001, 1e6, T_POD,
        offsetof(struct pod_config, power_budget_w), 0, NULL},
    {"pod", "cooling_capacity_kw", V_DOUBLE, 0.001, 1e6, T_POD,
        offsetof(struct pod_config, cooling_capacity_w), 0, NULL},
};

const char *
config_default_text(void)
{
	return default_text;
}

static const struct keyword *
find_keyword(const struct conf_entry *e)
{
	size_t i;

	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strcmp(keywords[i].section, e->section) == 0 &&
		    strcmp(keywords[i].key, e->key) == 0)
			return &keywords[i];
	return NULL;
}

/* Checks "ADDR:PORT" with a numeric port. */
static int
valid_addr(const char *s)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (colon == NULL || colon == s)
		return 0;
	port = strtol(colon + 1, &end, 10);
	return colon[1] != '\0' && *end == '\0' && port >= 0 && port <= 65535;
}

/* Parses "ADDR[/BITS], ..." into nl. 0, or -1 with why. */
static int
parse_netlist(
    const char *s, struct config_netlist *nl, char *why, size_t whylen)
{
	char tok[INET6_ADDRSTRLEN + 8], *slash, *end;
	const char *p = s, *comma;
	size_t len;
	long bits;

	memset(nl, 0, sizeof(*nl));
	if (strlen(s) >= sizeof(nl->text)) {
		snprintf(why, whylen, "longer than %zu characters",
		    sizeof(nl->text) - 1);
		return -1;
	}
	snprintf(nl->text, sizeof(nl->text), "%s", s);
	while (*p != '\0') {
		struct config_net *n = &nl->v[nl->n];

		p += strspn(p, " \t,");
		if (*p == '\0')
			break;
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len >= sizeof(tok)) {
			snprintf(
			    why, whylen, "'%.*s…' is not an address", 16, p);
			return -1;
		}
		if (nl->n == CONFIG_MAX_NETS) {
			snprintf(why, whylen, "more than %d addresses",
			    CONFIG_MAX_NETS);
			return -1;
		}
		memcpy(tok, p, len);
		tok[len] = '\0';
		p += len;
		if ((slash = strchr(tok, '/')) != NULL)
			*slash++ = '\0';
		if (inet_pton(AF_INET, tok, n->addr) == 1) {
			n->af = AF_INET;
			n->prefix = 32;
		} else if (inet_pton(AF_INET6, tok, n->addr) == 1) {
			n->af = AF_INET6;
			n->prefix = 128;
		} else {
			snprintf(why, whylen,
			    "'%s' is not an IPv4 or IPv6 address", tok);
			return -1;
		}
		if (slash != NULL) {
			bits = strtol(slash, &end, 10);
			if (*slash == '\0' || *end != '\0' || bits < 0 ||
			    bits > n->prefix) {
				snprintf(why, whylen,
				    "'/%s' is not a prefix length for %s",
				    slash, tok);
				return -1;
			}
			n->prefix = (int)bits;
		}
		nl->n++;
	}
	return 0;
}

int
config_netlist_match(const struct config_netlist *nl, const struct sockaddr *sa)
{
	static const unsigned char v4mapped[12] = {
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	const unsigned char *a;
	int af, i, full, rest;

	if (sa->sa_family == AF_INET) {
		af = AF_INET;
		a = (const unsigned char *)&((const struct sockaddr_in *)sa)
		        ->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		af = AF_INET6;
		if (memcmp(a, v4mapped, sizeof(v4mapped)) == 0) {
			af = AF_INET;
			a += 12;
		}
	} else
		return 0;
	for (i = 0; i < nl->n; i++) {
		const struct config_net *n = &nl->v[i];

		if (n->af != af)
			continue;
		full = n->prefix / 8;
		rest = n->prefix % 8;
		if (memcmp(n->addr, a, full) != 0)
			continue;
		if (rest == 0 ||
		    ((n->addr[full] ^ a[full]) & (0xff << (8 - rest))) == 0)
			return 1;
	}
	return 0;
}

static int
set_value(const struct keyword *k, const struct conf_entry *e, void *base,
    char *err, size_t errlen)
{
	char *field = (char *)base + k->offset, why[256];
	long l;
	double d;

	switch (k->type) {
	case V_NETLIST:
		if (parse_netlist(e->value, (struct config_netlist *)field, why,
		        sizeof(why)) == -1) {
			conf_error(err, errlen, e, "%s", why);
			return -1;
		}
		return 0;
	case V_ADDR:
		if (!valid_addr(e->value)) {
			conf_error(err, errlen, e, "'%s' is not ADDRESS:PORT",
			    e->value);
			return -1;
		}
		/* FALLTHROUGH */
	case V_STR:
		return conf_str(e, field, k->size, err, errlen);
	case V_INT:
		if (conf_int(e, (long)k->min, (long)k->max, &l, err, errlen))
			return -1;
		*(int *)field = (int)l;
		return 0;
	case V_ENUM:
		for (l = 0; k->words[l] != NULL; l++)
			if (strcmp(k->words[l], e->value) == 0) {
				*(int *)field = (int)l;
				return 0;
			}
		conf_error(err, errlen, e, "'%s' is not one of", e->value);
		for (l = 0; k->words[l] != NULL; l++) {
			size_t n = strlen(err);

			snprintf(err + n, errlen - n, "%s %s", l ? "," : "",
			    k->words[l]);
		}
		return -1;
	case V_DOUBLE:
		if (conf_double(e, k->min, k->max, &d, err, errlen))
			return -1;
		/* kW in the file, W inside */
		if (strstr(k->key, "_kw") != NULL)
			d *= 1000;
		*(double *)field = d;
		return 0;
	}
	return -1;
}

static int
check_pod(
    const struct pod_config *p, const char *where, char *err, size_t errlen)
{
	if (p->groups > p->nodes) {
		snprintf(err, errlen, "%s: pod %s: %d groups for %d nodes",
		    where, p->name, p->groups, p->nodes);
		return -1;
	}
	return 0;
}

/* The entry of [SECTION arg] key's last line, or NULL. */
static const char *
where_of(const struct conf *cf, const char *section, const char *arg,
    const char *key)
{
	const char *w = NULL;
	size_t i;

	for (i = 0; i < cf->n; i++)
		if (strcmp(cf->v[i].section, section) == 0 &&
		    strcmp(cf->v[i].arg, arg) == 0 &&
		    (key == NULL || strcmp(cf->v[i].key, key) == 0))
			w = cf->v[i].where;
	return w;
}

/* The next comma-separated item of *p into buf, blanks trimmed; 0 at the
 * end of the list, -1 for an item too long or empty. */
static int
next_item(const char **p, char *buf, size_t size)
{
	const char *s = *p, *end;
	size_t len;

	s += strspn(s, " \t");
	if (*s == '\0')
		return 0;
	end = s + strcspn(s, ",");
	len = (size_t)(end - s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	*p = *end == ',' ? end + 1 : end;
	if (len == 0 || len >= size)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return 1;
}

/*
 * A line of [qos NAME] or [partition NAME]: the section is made at its
 * first line (in the file's order), then the value set. 0, or -1 with
 * "file:line: why".
 */
static int
org_entry(
    struct config *c, const struct conf_entry *e, char *err, size_t errlen)
{
	int isqos = strcmp(e->section, "qos") == 0, i, *n;
	size_t size =
	    isqos ? sizeof(struct qos_config) : sizeof(struct partition_config);
	int max = isqos ? CONFIG_MAX_QOS : CONFIG_MAX_PARTITIONS;
	void **v = isqos ? (void **)&c->qos : (void **)&c->partitions;
	char *base = NULL;

	n = isqos ? &c->nqos : &c->npartitions;
	if (e->arg[0] == '\0' || !names_valid(e->arg) ||
	    strlen(e->arg) >= CONFIG_TAG_MAX) {
		snprintf(err, errlen,
		    "%s: [%s] needs a name of 1 to 63 characters A-Z a-z 0-9 - "
		    "_ "
		    ". as in [%s %s]",
		    e->where, e->section, e->section,
		    isqos ? "normal" : "batch");
		return -1;
	}
	if (*v == NULL && (*v = calloc(max, size)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", e->where);
		return -1;
	}
	for (i = 0; i < *n; i++)
		if (strcmp((char *)*v + i * size, e->arg) == 0)
			base = (char *)*v + i * size;
	if (base == NULL) {
		if (*n == max) {
			snprintf(err, errlen, "%s: more than %d [%s] sections",
			    e->where, max, e->section);
			return -1;
		}
		base = (char *)*v + (*n)++ * size;
		/* the name is the struct's first member in both */
		snprintf(base, CONFIG_TAG_MAX, "%s", e->arg);
	}
	return set_value(find_keyword(e), e, base, err, errlen);
}

/* The pod named `name`, or NULL. */
static const struct pod_config *
pod_named(const struct config *c, const char *name)
{
	int p;

	for (p = 0; p < c->npods; p++)
		if (strcmp(c->pods[p].name, name) == 0)
			return &c->pods[p];
	return NULL;
}

/* Whether name is a group (fleet.c names them "POD-gNN") or, with
 * node set, a node ("POD-nNNN") of the fabric. */
static int
in_fabric(const struct config *c, const char *name, int node)
{
	char pod[NAME_MAX_LEN], want[NAME_MAX_LEN];
	const struct pod_config *pc;
	const char *dash = strrchr(name, '-');
	char *end;
	long i;

	if (dash == NULL || (size_t)(dash - name) >= sizeof(pod) ||
	    dash[1] != (node ? 'n' : 'g'))
		return 0;
	snprintf(pod, sizeof(pod), "%.*s", (int)(dash - name), name);
	if ((pc = pod_named(c, pod)) == NULL)
		return 0;
	i = strtol(dash + 2, &end, 10);
	if (*end != '\0' || i < 1 || i > (node ? pc->nodes : pc->groups))
		return 0;
	if (node)
		names_node(want, sizeof(want), pod, (int)i, pc->nodes);
	else
		snprintf(want, sizeof(want), "%.40s-g%0*ld", pod,
		    pc->groups >= 100 ? 3 : 2, i);
	return strcmp(want, name) == 0;
}

/* Checks a partition's pods, groups and nodes against the fabric. */
static int
check_partition(const struct config *c, const struct conf *cf,
    const struct partition_config *pt, char *err, size_t errlen)
{
	struct hostlist hl = {0};
	char item[HOSTLIST_NAME_MAX + 1], why[256];
	const char *p, *w;
	int total = 0, i, r;

	for (i = 0; i < c->npods; i++)
		total += c->pods[i].nodes;
	w = where_of(cf, "partition", pt->name, "pods");
	for (p = pt->pods; (r = next_item(&p, item, sizeof(item))) != 0;)
		if (r == -1 || pod_named(c, item) == NULL) {
			snprintf(err, errlen,
			    "%s: [partition %s] pods: no pod "
			    "'%s' in the fabric",
			    w, pt->name, r == -1 ? "" : item);
			return -1;
		}
	w = where_of(cf, "partition", pt->name, "groups");
	for (p = pt->groups; (r = next_item(&p, item, sizeof(item))) != 0;)
		if (r == -1 || !in_fabric(c, item, 0)) {
			snprintf(err, errlen,
			    "%s: [partition %s] groups: no group '%s' in the "
			    "fabric",
			    w, pt->name, r == -1 ? "" : item);
			return -1;
		}
	w = where_of(cf, "partition", pt->name, "nodes");
	if (pt->nodes[0] != '\0') {
		if (hostlist_expand(pt->nodes, total, &hl, why, sizeof(why)) ==
		    -1) {
			snprintf(err, errlen, "%s: [partition %s] nodes: %s", w,
			    pt->name, why);
			return -1;
		}
		for (i = 0; i < hl.n; i++)
			if (!in_fabric(c, hl.names[i], 1)) {
				snprintf(err, errlen,
				    "%s: [partition %s] nodes: no node '%s' "
				    "in the fabric",
				    w, pt->name, hl.names[i]);
				hostlist_free(&hl);
				return -1;
			}
		hostlist_free(&hl);
	}
	w = where_of(cf, "partition", pt->name, "accounts");
	for (p = pt->accounts; (r = next_item(&p, item, sizeof(item))) != 0;)
		if (r == -1 || !names_valid(item) ||
		    strlen(item) >= CONFIG_TAG_MAX) {
			snprintf(err, errlen,
			    "%s: [partition %s] accounts: '%s' is not an "
			    "account name",
			    w, pt->name, r == -1 ? "" : item);
			return -1;
		}
	if (pt->default_time_s > 0 && pt->max_time_s > 0 &&
	    pt->default_time_s > pt->max_time_s) {
		snprintf(err, errlen,
		    "%s: [partition %s] default_time_s (%d) is longer than "
		    "max_time_s (%d)",
		    where_of(cf, "partition", pt->name, "default_time_s"),
		    pt->name, pt->default_time_s, pt->max_time_s);
		return -1;
	}
	return 0;
}

/* The QOS named `name`, or -1. */
static int
qos_index(const struct config *c, const char *name)
{
	int i;

	for (i = 0; i < c->nqos; i++)
		if (strcmp(c->qos[i].name, name) == 0)
			return i;
	return -1;
}

/*
 * Once every section is in: the built-in QOS "normal" and partition
 * "all" when the file gives none, the default QOS and partition, and the
 * cross-references (preempted QOS, node lists against the fabric).
 * qos_where is where [scheduler] default_qos was set ("" not set).
 */
static int
org_check(struct config *c, const struct conf *cf, const char *qos_where,
    char *err, size_t errlen)
{
	char item[CONFIG_TAG_MAX + 1];
	const char *p, *w, *dflt = NULL;
	int i, r, k, npre;

	if (c->nqos == 0) {
		if ((c->qos = calloc(1, sizeof(*c->qos))) == NULL)
			goto nomem;
		snprintf(c->qos[0].name, sizeof(c->qos[0].name), "normal");
		c->nqos = 1;
	}
	if (c->npartitions == 0) {
		if ((c->partitions = calloc(1, sizeof(*c->partitions))) == NULL)
			goto nomem;
		snprintf(c->partitions[0].name, sizeof(c->partitions[0].name),
		    "all");
		c->partitions[0].is_default = 1;
		c->npartitions = 1;
	}
	if (c->default_qos[0] == '\0')
		snprintf(c->default_qos, sizeof(c->default_qos), "%s",
		    qos_index(c, "normal") >= 0 ? "normal" : c->qos[0].name);
	else if (qos_index(c, c->default_qos) < 0) {
		snprintf(err, errlen,
		    "%s: default_qos: no [qos %s] in the file", qos_where,
		    c->default_qos);
		return -1;
	}
	for (i = 0; i < c->nqos; i++) {
		w = where_of(cf, "qos", c->qos[i].name, "preempt");
		for (npre = 0, p = c->qos[i].preempt;
		     (r = next_item(&p, item, sizeof(item))) != 0; npre++) {
			k = r == -1 ? -1 : qos_index(c, item);
			if (k < 0 || k == i || npre == 8) {
				snprintf(err, errlen,
				    "%s: [qos %s] preempt: %s", w,
				    c->qos[i].name,
				    k == i  ? "a QOS cannot preempt itself"
				    : k < 0 ? "no such QOS"
				            : "at most 8 QOS");
				if (k < 0 && r == 1) {
					size_t l = strlen(err);

					snprintf(
					    err + l, errlen - l, " '%s'", item);
				}
				return -1;
			}
		}
	}
	for (i = 0; i < c->npartitions; i++) {
		if (check_partition(c, cf, &c->partitions[i], err, errlen))
			return -1;
		if (!c->partitions[i].is_default)
			continue;
		if (dflt != NULL) {
			snprintf(err, errlen,
			    "%s: [partition %s] default: partition %s is the "
			    "default already",
			    where_of(cf, "partition", c->partitions[i].name,
			        "default"),
			    c->partitions[i].name, dflt);
			return -1;
		}
		dflt = c->partitions[i].name;
	}
	if (dflt == NULL)
		c->partitions[0].is_default = 1;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/*
 * [controller] tls_cert and tls_key: both or neither, both files readable
 * now, and the key readable by its owner and group only (a key others can
 * read is refused, not warned about: it may already have leaked, and a
 * warning in a log is easy to miss). Their contents are checked when the
 * server loads them (tls.c). cert_where and key_where are "file:line" of
 * the keys, or the file's name when a key is absent.
 */
static int
check_tls(const struct config *c, const char *cert_where, const char *key_where,
    char *err, size_t errlen)
{
	struct stat sb;

	if ((c->tls_cert[0] == '\0') != (c->tls_key[0] == '\0')) {
		snprintf(err, errlen,
		    "%s: [controller] tls_cert and tls_key go together: set "
		    "both, or neither for plain HTTP",
		    c->tls_cert[0] != '\0' ? cert_where : key_where);
		return -1;
	}
	if (c->tls_cert[0] == '\0')
		return 0;
	if (access(c->tls_cert, R_OK) == -1) {
		snprintf(err, errlen, "%s: tls_cert: cannot read %s: %s",
		    cert_where, c->tls_cert, strerror(errno));
		return -1;
	}
	if (access(c->tls_key, R_OK) == -1 || stat(c->tls_key, &sb) == -1) {
		snprintf(err, errlen, "%s: tls_key: cannot read %s: %s",
		    key_where, c->tls_key, strerror(errno));
		return -1;
	}
	if (sb.st_mode & (S_IROTH | S_IWOTH)) {
		snprintf(err, errlen,
		    "%s: tls_key: %s is readable or writable by others (mode "
		    "%04o); chmod o-rwx it",
		    key_where, c->tls_key, (unsigned)(sb.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* [auth] node_secret_file unset: node.secret beside the database, so that
 * the secret lives and is backed up with the state it protects. 0, or -1
 * with why in err. */
static int
default_secret_file(struct config *c, char *err, size_t errlen)
{
	const char *slash = strrchr(c->database, '/');
	int dirlen = slash == NULL ? 1 : (int)(slash - c->database);
	const char *dir = slash == NULL ? "." : c->database;

	if (slash == c->database)
		dirlen = 0; /* "/x.db": the root */
	if ((size_t)snprintf(c->node_secret_file, sizeof(c->node_secret_file),
	        "%.*s/node.secret", dirlen,
	        dir) >= sizeof(c->node_secret_file)) {
		snprintf(err, errlen,
		    "[auth] node_secret_file: the database's folder is too "
		    "long a path; set node_secret_file");
		return -1;
	}
	return 0;
}

/* Whether s is an http:// or https:// URL, as clients are given. */
static int
http_url(const char *s)
{
	return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

/* Gives the retention keys the file left unset (0: the keyword table
 * accepts no 0) the defaults of c's database engine; a key set in the file
 * keeps its value on either. */
static void
retention_default(struct config *c)
{
	const struct retention *d =
	    db_is_url(c->database) ? &retention_pg : &retention_sqlite;

	if (c->retention_days == 0)
		c->retention_days = d->days_raw;
	if (c->retention_1m_days == 0)
		c->retention_1m_days = d->days_1m;
	if (c->retention_1h_days == 0)
		c->retention_1h_days = d->days_1h;
}

static struct config *
config_build(const struct conf *cf, const char *name, char *err, size_t errlen)
{
	struct config *c;
	struct pod_config fabric = {
	    .nodes = 128,
	    .groups = 8,
	    .accels_per_node = 8,
	    .power_budget_w = 850e3,
	    .cooling_capacity_w = 900e3,
	};
	const struct keyword *k;
	char fabric_where[512], limit_where[512], slots_where[512];
	char cert_where[512], key_where[512], qos_where[512];
	const char **where = NULL; /* per pod: its last nodes or groups line */
	size_t i;
	int p, default_set = 0, reserved_set = 0;

	snprintf(fabric_where, sizeof(fabric_where), "%s", name);
	snprintf(limit_where, sizeof(limit_where), "%s", name);
	snprintf(slots_where, sizeof(slots_where), "%s", name);
	snprintf(cert_where, sizeof(cert_where), "%s", name);
	snprintf(key_where, sizeof(key_where), "%s", name);
	qos_where[0] = '\0';

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1:8470");
	snprintf(c->database, sizeof(c->database), "state/controller.db");
	c->heartbeat_timeout_s = 10;
	c->fence_timeout_s = 30;
	c->fence_margin_s = 10;
	c->store_interval_s = 10;
	/* retention_*: 0 until the engine is known (retention_default) */
	c->acct_retention_days = 400;
	c->http_max_per_peer = 256;
	(void)parse_netlist("127.0.0.1, ::1", &c->http_exempt, NULL, 0);
	c->header_timeout_s = 10;
	c->body_timeout_s = 30;
	c->write_rate_per_s = 20;
	c->write_burst = 100;
	c->store_queue_max = 200000;
	c->bp_queue_share = 0.5;
	c->bp_lag_ms = 250;
	c->bp_cpu_share = 0.8;
	c->report_interval_max_ms = 30000;
	c->report_rate_max = 1000;
	c->coolant_density_kg_l = 1.02;
	c->coolant_cp_j_kgk = 3900;
	c->npods = 1;
	c->sched_policy = 1; /* easy */
	c->age_weight_per_h = 60;
	c->w_operator = 1;
	c->jobsize_favor_small = 1;
	c->half_life_h = 168;
	c->age_cap_h = 168;
	c->kill_grace_s = 10;
	c->default_time_limit_s = 3600;
	c->max_time_limit_s = 366 * 86400;
	c->jobs_kept = 1000;
	c->max_array_size = 10001;
	c->min_flow_lpm = 2;
	c->max_supply_c = 45;
	c->alarm_dwell_s = 5;
	c->alarm_clear_hold_s = 30;
	c->overtemp_margin_c = 5;
	c->lowflow_margin_lpm = 0.5;
	c->supply_margin_c = 2;
	health_config_default(&c->health);
	c->modbus_max_conns = 32;
	c->modbus_max_per_peer = 8;
	c->modbus_reserved = 4;
	c->modbus_idle_timeout_s = 60;
	c->modbus_watchdog_s = 60;
	c->modbus_ramp_s = 30;
	c->maint_notice_h = 24;

	/* Pass 1: everything but [pod NAME]. */
	for (i = 0; i < cf->n; i++) {
		const struct conf_entry *e = &cf->v[i];

		if ((k = find_keyword(e)) == NULL) {
			if (strcmp(e->section, "controller") != 0 &&
			    strcmp(e->section, "fabric") != 0 &&
			    strcmp(e->section, "scheduler") != 0 &&
			    strcmp(e->section, "power") != 0 &&
			    strcmp(e->section, "alarms") != 0 &&
			    strcmp(e->section, "health") != 0 &&
			    strcmp(e->section, "modbus") != 0 &&
			    strcmp(e->section, "auth") != 0 &&
			    strcmp(e->section, "accounts") != 0 &&
			    strcmp(e->section, "qos") != 0 &&
			    strcmp(e->section, "partition") != 0 &&
			    strcmp(e->section, "accounting") != 0 &&
			    strcmp(e->section, "pod") != 0)
				snprintf(err, errlen,
				    "%s: unknown section [%s]", e->where,
				    e->section);
			else
				snprintf(err, errlen,
				    "%s: unknown key '%s' in [%s]", e->where,
				    e->key, e->section);
			goto fail;
		}
		if (k->target == T_POD || k->target == T_QOS ||
		    k->target == T_PARTITION)
			continue;
		if (e->arg[0] != '\0') {
			snprintf(err, errlen, "%s: [%s] takes no argument",
			    e->where, e->section);
			goto fail;
		}
		if (set_value(k, e,
		        k->target == T_FABRIC ? (void *)&fabric : (void *)c,
		        err, errlen) == -1)
			goto fail;
		if (k->target == T_FABRIC)
			snprintf(
			    fabric_where, sizeof(fabric_where), "%s", e->where);
		if (strcmp(k->key, "default_time_limit_s") == 0 ||
		    strcmp(k->key, "max_time_limit_s") == 0) {
			default_set |= k->key[0] == 'd';
			snprintf(
			    limit_where, sizeof(limit_where), "%s", e->where);
		}
		if (strcmp(k->key, "tls_cert") == 0)
			snprintf(
			    cert_where, sizeof(cert_where), "%s", e->where);
		if (strcmp(k->key, "tls_key") == 0)
			snprintf(key_where, sizeof(key_where), "%s", e->where);
		if (strcmp(k->key, "default_qos") == 0)
			snprintf(qos_where, sizeof(qos_where), "%s", e->where);
		if (strcmp(k->key, "reserved_connections") == 0) {
			reserved_set = 1;
			snprintf(
			    slots_where, sizeof(slots_where), "%s", e->where);
		}
	}
	if (check_tls(c, cert_where, key_where, err, errlen) == -1)
		goto fail;
	/* Others must have a slot left: a max_connections at or below the
	 * built-in reserve lowers it; below one given in the file, it is a
	 * mistake. */
	if (c->modbus_reserved >= c->modbus_max_conns && !reserved_set)
		c->modbus_reserved = c->modbus_max_conns - 1;
	if (c->modbus_reserved >= c->modbus_max_conns) {
		snprintf(err, errlen,
		    "%s: [modbus] reserved_connections (%d) must be less than "
		    "max_connections (%d)",
		    slots_where, c->modbus_reserved, c->modbus_max_conns);
		goto fail;
	}
	/* A maximum below the built-in default lowers the default too; below
	 * one given in the file, it is a mistake. */
	if (c->default_time_limit_s > c->max_time_limit_s) {
		if (!default_set)
			c->default_time_limit_s = c->max_time_limit_s;
		else {
			snprintf(err, errlen,
			    "%s: default_time_limit_s (%d) is longer than "
			    "max_time_limit_s (%d)",
			    limit_where, c->default_time_limit_s,
			    c->max_time_limit_s);
			goto fail;
		}
	}
	if ((c->pods = calloc(c->npods, sizeof(*c->pods))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		goto fail;
	}
	for (p = 0; p < c->npods; p++) {
		c->pods[p] = fabric;
		names_pod(
		    c->pods[p].name, sizeof(c->pods[p].name), p + 1, c->npods);
	}
	if (c->npods > 0 && check_pod(&c->pods[0], fabric_where, err, errlen))
		goto fail;
	if ((where = calloc(c->npods + 1, sizeof(*where))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		goto fail;
	}

	retention_default(c);
	/* unset: 5 s, or a third of the fence's time if that is shorter */
	if (c->leader_lease_s == 0)
		c->leader_lease_s =
		    c->fence_timeout_s / 3 < 5 ? c->fence_timeout_s / 3 : 5;
	if (c->leader_lease_s == 0)
		c->leader_lease_s = 1;
	if (c->advertise_url[0] != '\0' && !http_url(c->advertise_url)) {
		snprintf(err, errlen,
		    "%s: [controller] advertise_url: '%s' is not an http:// or "
		    "https:// URL",
		    name, c->advertise_url);
		goto fail;
	}
	if (c->controllers_text[0] != '\0') {
		char why[256];
		int u;

		if (ctllist_parse(c->controllers_text, &c->controllers, why,
		        sizeof(why)) == -1) {
			snprintf(err, errlen,
			    "%s: [controller] controllers: %s", name, why);
			goto fail;
		}
		for (u = 0; u < c->controllers.n; u++)
			if (!http_url(c->controllers.url[u])) {
				snprintf(err, errlen,
				    "%s: [controller] controllers: '%s' is not "
				    "an http:// or https:// URL",
				    name, c->controllers.url[u]);
				goto fail;
			}
	}
	if (db_is_url(c->database)) {
		char why[256];

		if (db_url_check(c->database, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "%s: [controller] database: %s",
			    name, why);
			goto fail;
		}
		/* a lapsed leader must stop confirming jobs before agents
		 * stop them for want of a confirmation */
		if (c->leader_lease_s >= c->fence_timeout_s) {
			snprintf(err, errlen,
			    "%s: [controller] leader_lease_s (%d) must be "
			    "shorter than fence_timeout_s (%d)",
			    name, c->leader_lease_s, c->fence_timeout_s);
			goto fail;
		}
		/* the secret is a file: controllers sharing one database
		 * each read their own copy of it */
		if (c->node_secret_file[0] == '\0') {
			snprintf(err, errlen,
			    "%s: [auth] node_secret_file must be set when the "
			    "database is a PostgreSQL server",
			    name);
			goto fail;
		}
	} else if (c->node_secret_file[0] == '\0' &&
	           default_secret_file(c, err, errlen) == -1) {
		goto fail;
	}
	/* Pass 2: [pod NAME] overrides. */
	for (i = 0; i < cf->n; i++) {
		const struct conf_entry *e = &cf->v[i];
		struct pod_config *pc = NULL;

		if (strcmp(e->section, "qos") == 0 ||
		    strcmp(e->section, "partition") == 0) {
			if (org_entry(c, e, err, errlen) == -1)
				goto fail;
			continue;
		}
		if (strcmp(e->section, "pod") != 0)
			continue;
		if (e->arg[0] == '\0') {
			snprintf(err, errlen,
			    "%s: [pod] needs a pod name, as "
			    "in [pod pod02]",
			    e->where);
			goto fail;
		}
		for (p = 0; p < c->npods; p++)
			if (strcmp(c->pods[p].name, e->arg) == 0)
				pc = &c->pods[p];
		if (pc == NULL) {
			snprintf(err, errlen,
			    "%s: [pod %s]: no such pod (the "
			    "fabric has pods = %d)",
			    e->where, e->arg, c->npods);
			goto fail;
		}
		if (set_value(find_keyword(e), e, pc, err, errlen) == -1)
			goto fail;
		if (strcmp(e->key, "nodes") == 0 ||
		    strcmp(e->key, "groups") == 0)
			where[pc - c->pods] = e->where;
	}
	/* once every override is in: "groups" may come before "nodes" */
	for (p = 0; p < c->npods; p++)
		if (check_pod(&c->pods[p], where[p] ? where[p] : fabric_where,
		        err, errlen) == -1)
			goto fail;
	if (org_check(c, cf, qos_where, err, errlen) == -1)
		goto fail;
	free(where);
	return c;
fail:
	free(where);
	config_free(c);
	return NULL;
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
	struct conf *cf;
	struct config *c;
	const char *name = path ? path : "(embedded default)";

	cf = path ? conf_load(path, err, errlen)
	          : conf_parse(default_text, name, err, errlen);
	if (cf == NULL)
		return NULL;
	c = config_build(cf, name, err, errlen);
	conf_free(cf);
	return c;
}

/* Writes "key = value", the value in quotes when conf.c would otherwise
 * read it back changed: white space at either end (trimmed) or a leading
 * '"' (taken for a quote). */
static void
dump_str(FILE *out, const char *key, const char *v)
{
	size_t l = strlen(v);
	int quote =
	    l > 0 && (isspace((unsigned char)v[0]) ||
	                 isspace((unsigned char)v[l - 1]) || v[0] == '"');
	const char *q = quote ? "\"" : "";

	fprintf(out, "%s = %s%s%s\n", key, q, v, q);
}

/* The organisation's sections: [accounts], every [qos NAME] and
 * [partition NAME], built-in ones included. */
static void
dump_org(const struct config *c, FILE *out)
{
	const struct qos_config *q;
	const struct partition_config *pt;
	int i;

	fprintf(
	    out, "[accounts]\nenforce = %s\n", bool_names[c->accounts_enforce]);
	for (i = 0; i < c->nqos; i++) {
		q = &c->qos[i];
		fprintf(out,
		    "[qos %s]\npriority = %d\nmax_wall_s = %d\n"
		    "max_jobs_per_user = %d\nmax_accels_per_user = %d\n"
		    "max_jobs_per_account = %d\nmax_accels_per_account = %d\n",
		    q->name, q->priority, q->max_wall_s, q->max_jobs_per_user,
		    q->max_accels_per_user, q->max_jobs_per_account,
		    q->max_accels_per_account);
		if (q->preempt[0] != '\0')
			dump_str(out, "preempt", q->preempt);
	}
	for (i = 0; i < c->npartitions; i++) {
		pt = &c->partitions[i];
		fprintf(out, "[partition %s]\n", pt->name);
		if (pt->pods[0] != '\0')
			dump_str(out, "pods", pt->pods);
		if (pt->groups[0] != '\0')
			dump_str(out, "groups", pt->groups);
		if (pt->nodes[0] != '\0')
			dump_str(out, "nodes", pt->nodes);
		fprintf(out,
		    "default = %s\ndefault_time_s = %d\nmax_time_s = %d\n",
		    bool_names[pt->is_default], pt->default_time_s,
		    pt->max_time_s);
		if (pt->accounts[0] != '\0')
			dump_str(out, "accounts", pt->accounts);
	}
}

void
config_dump(const struct config *c, FILE *out)
{
	int p, i;

	fprintf(out, "[controller]\nlisten = %s\n", c->listen);
	dump_str(out, "database", c->database);
	if (c->web_dir[0] != '\0')
		dump_str(out, "web_dir", c->web_dir);
	if (c->tls_cert[0] != '\0') {
		dump_str(out, "tls_cert", c->tls_cert);
		dump_str(out, "tls_key", c->tls_key);
	}
	fprintf(out,
	    "heartbeat_timeout_s = %d\nfence_timeout_s = %d\n"
	    "fence_margin_s = %d\nstore_interval_s = %d\n"
	    "retention_days = %d\nretention_1m_days = %d\n"
	    "retention_1h_days = %d\n",
	    c->heartbeat_timeout_s, c->fence_timeout_s, c->fence_margin_s,
	    c->store_interval_s, c->retention_days, c->retention_1m_days,
	    c->retention_1h_days);
	if (c->advertise_url[0] != '\0')
		dump_str(out, "advertise_url", c->advertise_url);
	for (i = 0; i < c->controllers.n; i++)
		fprintf(out, "%s%s%s", i == 0 ? "controllers = " : ", ",
		    c->controllers.url[i],
		    i + 1 == c->controllers.n ? "\n" : "");
	fprintf(out, "leader_lease_s = %d\n", c->leader_lease_s);
	fprintf(out,
	    "max_connections = %d\nmax_per_peer = %d\nlimit_exempt =%s%s\n"
	    "header_timeout_s = %d\nbody_timeout_s = %d\n"
	    "write_rate_per_s = %g\nwrite_burst = %d\n",
	    c->http_max_conns, c->http_max_per_peer,
	    c->http_exempt.n > 0 ? " " : "", c->http_exempt.text,
	    c->header_timeout_s, c->body_timeout_s, c->write_rate_per_s,
	    c->write_burst);
	fprintf(out, "metrics_accelerators = %s\n",
	    bool_names[c->metrics_accelerators]);
	fprintf(out,
	    "store_queue_max = %d\nbackpressure_queue_share = %g\n"
	    "backpressure_lag_ms = %g\nbackpressure_cpu_share = %g\n"
	    "report_interval_max_ms = %d\nreport_rate_max = %d\n",
	    c->store_queue_max, c->bp_queue_share, c->bp_lag_ms,
	    c->bp_cpu_share, c->report_interval_max_ms, c->report_rate_max);
	if (c->test_loop_stall_ms > 0)
		fprintf(
		    out, "test_loop_stall_ms = %d\n", c->test_loop_stall_ms);
	fprintf(out,
	    "[scheduler]\npolicy = %s\nage_weight_per_h = %g\n"
	    "age_cap_h = %d\nstarve_after_h = %d\nkill_grace_s = %d\n"
	    "default_time_limit_s = %d\nmax_time_limit_s = %d\n"
	    "jobs_kept = %d\ndefault_qos = %s\nmaint_notice_h = %d\n"
	    "max_array_size = %d\n",
	    policy_names[c->sched_policy], c->age_weight_per_h, c->age_cap_h,
	    c->starve_after_h, c->kill_grace_s, c->default_time_limit_s,
	    c->max_time_limit_s, c->jobs_kept, c->default_qos,
	    c->maint_notice_h, c->max_array_size);
	fprintf(out,
	    "[priority]\nweight_fairshare = %g\nweight_jobsize = %g\n"
	    "jobsize_favor = %s\nweight_qos = %g\nweight_operator = %g\n"
	    "half_life_h = %g\n",
	    c->w_fairshare, c->w_jobsize, favor_names[c->jobsize_favor_small],
	    c->w_qos, c->w_operator, c->half_life_h);
	fprintf(out,
	    "[power]\nfacility_cap_kw = %g\nfallback_node_cap_kw = %g\n"
	    "[alarms]\nmin_flow_lpm = %g\nmax_supply_c = %g\ndwell_s = %d\n"
	    "clear_hold_s = %d\novertemp_margin_c = %g\n"
	    "lowflow_margin_lpm = %g\nsupply_margin_c = %g\n",
	    c->facility_cap_w / 1000, c->fallback_cap_w / 1000, c->min_flow_lpm,
	    c->max_supply_c, c->alarm_dwell_s, c->alarm_clear_hold_s,
	    c->overtemp_margin_c, c->lowflow_margin_lpm, c->supply_margin_c);
	fprintf(
	    out, "[accounting]\nretention_days = %d\n", c->acct_retention_days);
	fprintf(out, "[health]\n");
	for (p = 0; p < HEALTH_NCONDS; p++)
		fprintf(out, "%s_drain_after_s = %d\n%s_requeue = %s\n",
		    health_cond_name(p), c->health.rule[p].drain_after_s,
		    health_cond_name(p), bool_names[c->health.rule[p].requeue]);
	fprintf(out, "[auth]\nanonymous_read = %s\n",
	    bool_names[c->anonymous_read]);
	dump_str(out, "node_secret_file", c->node_secret_file);
	/* an empty listen or allow_write is left out: both mean "none" */
	fprintf(out, "[modbus]\n");
	if (c->modbus_listen[0] != '\0')
		fprintf(out, "listen = %s\n", c->modbus_listen);
	if (c->modbus_allow.n > 0)
		dump_str(out, "allow_write", c->modbus_allow.text);
	fprintf(out,
	    "max_connections = %d\nmax_per_peer = %d\n"
	    "reserved_connections = %d\nidle_timeout_s = %d\n"
	    "watchdog_s = %d\nramp_s = %d\nsafe_cap_kw = %g\n",
	    c->modbus_max_conns, c->modbus_max_per_peer, c->modbus_reserved,
	    c->modbus_idle_timeout_s, c->modbus_watchdog_s, c->modbus_ramp_s,
	    c->modbus_safe_cap_w / 1000);
	fprintf(out,
	    "[fabric]\npods = %d\ncoolant_density_kg_l = %g\n"
	    "coolant_cp_j_kgk = %g\n",
	    c->npods, c->coolant_density_kg_l, c->coolant_cp_j_kgk);
	for (p = 0; p < c->npods; p++)
		fprintf(out,
		    "[pod %s]\nnodes = %d\ngroups = %d\n"
		    "accels_per_node = %d\npower_budget_kw = %g\n"
		    "cooling_capacity_kw = %g\n",
		    c->pods[p].name, c->pods[p].nodes, c->pods[p].groups,
		    c->pods[p].accels_per_node,
		    c->pods[p].power_budget_w / 1000,
		    c->pods[p].cooling_capacity_w / 1000);
	dump_org(c, out);
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	free(c->pods);
	free(c->qos);
	free(c->partitions);
	free(c);
}
