# The agent core's pure parts: sample ring, backoff, report format, config.
pod_unit_test(agent_test agent_test.c LIBS podagent)
