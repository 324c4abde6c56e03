/*
 * The agent's /metrics (see agentmetrics.h). Families are written one
 * after the other, each with its HELP and TYPE, from the agent's stats and
 * the plugins' last samples; a value a plugin could not read is left out.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include <pod/plugin.h>

#include "agent.h"
#include "agentmetrics.h"
#include "log.h"

static void __attribute__((format(printf, 2, 3)))
put(struct evbuffer *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(out, fmt, ap);
	va_end(ap);
}

static void
family(
    struct evbuffer *out, const char *name, const char *type, const char *help)
{
	put(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * Per-accelerator families. Columns: name, help, the sample field's valid
 * bit, and which field (see value()).
 */
static const struct accel_family {
	const char *name;
	const char *type;
	const char *help;
	uint32_t bit;
} accel_families[] = {
    {"pod_accelerator_power_watts", "gauge", "An accelerator's power.",
        POD_F_POWER},
    {"pod_accelerator_energy_joules_total", "counter",
        "An accelerator's energy since the agent started.", POD_F_ENERGY},
    {"pod_accelerator_temperature_celsius", "gauge",
        "An accelerator's hottest sensor.", POD_F_TEMP},
    {"pod_accelerator_clock_hertz", "gauge", "An accelerator's core clock.",
        POD_F_CLOCK},
    {"pod_accelerator_utilization_ratio", "gauge",
        "An accelerator's busy share, 0 to 1.", POD_F_UTIL},
    {"pod_accelerator_memory_used_bytes", "gauge",
        "An accelerator's memory in use.", POD_F_MEM},
};

static double
value(const struct pod_sample *s, uint32_t bit)
{
	switch (bit) {
	case POD_F_POWER:
		return s->power_w;
	case POD_F_ENERGY:
		return s->energy_j;
	case POD_F_TEMP:
		return s->temp_c;
	case POD_F_CLOCK:
		return s->clock_mhz * 1e6;
	case POD_F_UTIL:
		return s->util_pct / 100;
	case POD_F_MEM:
		return s->mem_used_mib * 1048576.0;
	case POD_F_SUPPLY:
		return s->supply_c;
	case POD_F_RETURN:
		return s->return_c;
	case POD_F_FLOW:
		return s->flow_lpm;
	case POD_F_LEAK:
		return s->leak;
	}
	return NAN;
}

/* Loop families, as accel_families. */
static const struct accel_family loop_families[] = {
    {"pod_node_coolant_inlet_celsius", "gauge", "Coolant entering the node.",
        POD_F_SUPPLY},
    {"pod_node_coolant_outlet_celsius", "gauge", "Coolant leaving the node.",
        POD_F_RETURN},
    {"pod_node_coolant_flow_litres_per_minute", "gauge",
        "Coolant flow through the node.", POD_F_FLOW},
    {"pod_node_leak", "gauge", "1 when the node's loop reports a leak.",
        POD_F_LEAK},
};

/* The power plugins' devices other than accelerators (CPU packages, their
 * memory, the node as its BMC reads it), by name, domain and plugin. */
static void
agentmetrics_devices(const struct agent *a, struct evbuffer *out)
{
	static const char *const domains[] = {
	    "?", "accel", "cpu", "node", "loop", "mem"};
	static const struct accel_family devfam[] = {
	    {"pod_device_power_watts", "gauge",
	        "A CPU package's, its memory's or the node's power, as a power "
	        "plugin reads it.",
	        POD_F_POWER},
	    {"pod_device_energy_joules_total", "counter",
	        "The same device's energy since the agent started.",
	        POD_F_ENERGY},
	    {"pod_device_temperature_celsius", "gauge",
	        "The same device's hottest sensor.", POD_F_TEMP},
	};
	const struct pod_device *dev;
	const struct pod_sample *s;
	const char *plugin;
	size_t f;
	int k;

	for (f = 0; f < sizeof(devfam) / sizeof(devfam[0]); f++) {
		family(out, devfam[f].name, devfam[f].type, devfam[f].help);
		for (k = 0; agent_power_device(a, k, &dev, &s, &plugin) == 0;
		     k++) {
			if (dev->domain == POD_DOMAIN_ACCEL ||
			    (unsigned)dev->domain >=
			        sizeof(domains) / sizeof(domains[0]) ||
			    !(s->valid & devfam[f].bit))
				continue;
			put(out,
			    "%s{node=\"%s\",device=\"%s\",domain=\"%s\","
			    "plugin=\"%s\"} %.10g\n",
			    devfam[f].name, agent_name(a), dev->name,
			    domains[dev->domain], plugin,
			    value(s, devfam[f].bit));
		}
	}
}

void
agentmetrics_write(const struct agent *a, struct evbuffer *out)
{
	const char *node = agent_name(a);
	struct agent_stats st;
	struct pod_sample s;
	size_t f;
	int i;

	agent_stats(a, &st);
	family(out, "pod_agent_reports_total", "counter",
	    "Reports sent to the controller, by result.");
	put(out, "pod_agent_reports_total{node=\"%s\",result=\"ok\"} %llu\n",
	    node, (unsigned long long)st.reports_ok);
	put(out,
	    "pod_agent_reports_total{node=\"%s\",result=\"failed\"} %llu\n",
	    node, (unsigned long long)st.reports_failed);
	family(out, "pod_agent_controller_up", "gauge",
	    "1 when the controller answered the last report.");
	put(out, "pod_agent_controller_up{node=\"%s\"} %d\n", node,
	    st.link == AGENT_LINK_UP);
	family(out, "pod_agent_report_interval_seconds", "gauge",
	    "Reports are sent at most this often: the sampling interval, or "
	    "the longer one the controller asks for when it falls behind.");
	put(out, "pod_agent_report_interval_seconds{node=\"%s\"} %.10g\n", node,
	    st.report_interval_ms / 1000.0);
	family(out, "pod_agent_samples_buffered", "gauge",
	    "Samples the controller has not acknowledged yet.");
	put(out, "pod_agent_samples_buffered{node=\"%s\"} %zu\n", node,
	    st.buffered);
	family(out, "pod_agent_samples_dropped_total", "counter",
	    "Samples dropped from a full buffer.");
	put(out, "pod_agent_samples_dropped_total{node=\"%s\"} %llu\n", node,
	    (unsigned long long)st.dropped);
	family(out, "pod_agent_jobs_running", "gauge", "Job ranks running.");
	put(out, "pod_agent_jobs_running{node=\"%s\"} %d\n", node,
	    st.jobs_running);
	family(out, "pod_agent_power_limiting", "gauge",
	    "1 when a power cap holds a clock below the policy's choice.");
	put(out, "pod_agent_power_limiting{node=\"%s\"} %d\n", node,
	    st.limiting);
	family(out, "pod_agent_guard", "gauge",
	    "1 while the safety guard throttles for the condition.");
	put(out, "pod_agent_guard{node=\"%s\",condition=\"leak\"} %d\n", node,
	    st.guard_leak);
	put(out, "pod_agent_guard{node=\"%s\",condition=\"lowflow\"} %d\n",
	    node, st.guard_lowflow);
	put(out, "pod_agent_guard{node=\"%s\",condition=\"overtemp\"} %d\n",
	    node, st.guard_overtemp > 0);
	family(out, "pod_agent_devices_stale", "gauge",
	    "Plugin devices without a fresh reading; their values are "
	    "reported unknown.");
	put(out, "pod_agent_devices_stale{node=\"%s\"} %d\n", node,
	    st.devices_stale);
	if (st.node_cap_w > 0) {
		family(out, "pod_agent_node_cap_watts", "gauge",
		    "The node's power cap in force.");
		put(out, "pod_agent_node_cap_watts{node=\"%s\"} %.10g\n", node,
		    st.node_cap_w);
	}
	if (!isnan(st.power_w)) {
		family(out, "pod_node_power_watts", "gauge",
		    "The node's electrical power.");
		put(out, "pod_node_power_watts{node=\"%s\"} %.10g\n", node,
		    st.power_w);
	}
	agentmetrics_devices(a, out);
	for (f = 0; f < sizeof(accel_families) / sizeof(accel_families[0]);
	     f++) {
		const struct accel_family *af = &accel_families[f];

		family(out, af->name, af->type, af->help);
		for (i = 0; i < agent_naccels(a); i++)
			if (agent_last_sample(a, i, &s) == 0 &&
			    (s.valid & af->bit) && !isnan(value(&s, af->bit)))
				put(out,
				    "%s{node=\"%s\",accelerator=\"%d\"} "
				    "%.10g\n",
				    af->name, node, i, value(&s, af->bit));
	}
	if (agent_last_sample(a, -1, &s) == -1)
		return;
	for (f = 0; f < sizeof(loop_families) / sizeof(loop_families[0]); f++) {
		const struct accel_family *lf = &loop_families[f];

		if (!(s.valid & lf->bit) || isnan(value(&s, lf->bit)))
			continue;
		family(out, lf->name, lf->type, lf->help);
		put(out, "%s{node=\"%s\"} %.10g\n", lf->name, node,
		    value(&s, lf->bit));
	}
}

static void
serve(struct evhttp_request *req, void *arg)
{
	const char *path =
	    evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	struct evbuffer *buf;

	if (path == NULL || strcmp(path, "/metrics") != 0 ||
	    evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_send_error(req, 404, "only GET /metrics here");
		return;
	}
	if ((buf = evbuffer_new()) == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	agentmetrics_write(arg, buf);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, 200, NULL, buf);
	evbuffer_free(buf);
}

struct evhttp *
agentmetrics_listen(struct event_base *base, const char *addr, struct agent *a)
{
	struct evhttp *http;
	struct evhttp_bound_socket *bs;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	char host[128], *colon;
	int port;

	snprintf(host, sizeof(host), "%s", addr);
	if ((colon = strrchr(host, ':')) == NULL)
		return NULL;
	*colon = '\0';
	port = (int)strtol(colon + 1, NULL, 10);
	if ((http = evhttp_new(base)) == NULL) {
		log_warnx("%s: evhttp_new failed", __func__);
		return NULL;
	}
	evhttp_set_gencb(http, serve, a);
	evhttp_set_timeout(http, 10);
	if ((bs = evhttp_bind_socket_with_handle(http, host, port)) == NULL) {
		log_warn("%s: bind %s (metrics not served)", __func__, addr);
		evhttp_free(http);
		return NULL;
	}
	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin,
	        &sl) == 0 &&
	    sin.sin_family == AF_INET)
		port = ntohs(sin.sin_port);
	log_info("metrics on http://%s:%d/metrics", host, port);
	return http;
}
