/*
 * Fuzzes the agent's configuration file: split by conf_parse()
 * (common/conf.c) and applied by agentconf_parse() (agentd/agentconf.c),
 * as pod-agentd reads it.
 */
#include "agentconf.h"
#include "conf.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_conf ac;
	struct conf *c;
	char err[1024], *text = fuzz_cstr(data, size);

	if ((c = conf_parse(text, "fuzz.conf", err, sizeof(err))) != NULL) {
		agentconf_init(&ac);
		agentconf_parse(c, &ac, err, sizeof(err));
		agentconf_free(&ac);
		conf_free(c);
	}
	free(text);
	return 0;
}
