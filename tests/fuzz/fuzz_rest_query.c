/*
 * Fuzzes the REST query strings: split by libevent's
 * evhttp_parse_query_str() as api_read_query() (api.c) does, then every
 * value through the parsers the handlers use on them: times
 * (api_parse_time, ?since= ?from=), comma lists of states
 * (api_parse_list, ?state=), names (api_printable) and the single
 * keywords (?within=, alarm ?state=, policy scopes).
 */
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "alarms.h"
#include "apireq.h"
#include "fleet.h"
#include "fuzz.h"
#include "jobs.h"
#include "policy.h"

static int
lookup_job_state(void *ctx, const char *name)
{
	(void)ctx;
	return job_state_parse(name);
}

static int
lookup_node_state(void *ctx, const char *name)
{
	(void)ctx;
	return fleet_state_parse(name);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char set[64];
	char bad[64], *query = fuzz_cstr(data, size);
	struct evkeyvalq q;
	struct evkeyval *kv;

	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(query, &q) == 0) {
		TAILQ_FOREACH(kv, &q, next)
		{
			const char *v = kv->value;

			api_printable(v);
			api_parse_time(v);
			memset(set, 0, sizeof(set));
			api_parse_list(v, lookup_job_state, NULL, set,
			    JOB_NSTATES, bad, sizeof(bad));
			api_parse_list(v, lookup_node_state, NULL, set,
			    NODE_NSTATES, bad, sizeof(bad));
			job_within_parse(v);
			alarm_state_parse(v);
			policy_scope_parse(v);
		}
	}
	evhttp_clear_headers(&q);
	free(query);
	return 0;
}
