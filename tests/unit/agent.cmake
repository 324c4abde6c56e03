# The agent core's pure parts: sample ring, backoff, report format, config.
pod_unit_test(agent_test agent_test.c LIBS podagent)
# The agent's jobs: desired entries, simulated durations, environment,
# shepherd files, state_dir records and the core on the simulation runner.
pod_unit_test(agent_jobs_test agent_jobs_test.c LIBS podagent)
