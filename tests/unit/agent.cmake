# The agent core's pure parts: sample ring, backoff, report format, config.
pod_unit_test(agent_test agent_test.c LIBS podagent)
# The agent's jobs: desired entries, simulated durations, environment,
# shepherd files, state_dir records and the core on the simulation runner.
pod_unit_test(agent_jobs_test agent_jobs_test.c LIBS podagent)
# dvfs_test and guard_test: the DVFS policies and the safety guard closed
# around the real simulation plugins (loaded through the project's loader),
# driven in virtual time the way the agent drives them.
pod_unit_test(dvfs_test dvfs_test.c simrig.c LIBS podagent)
pod_unit_test(guard_test guard_test.c simrig.c LIBS podagent)
add_dependencies(dvfs_test plugin-power-sim plugin-cooling-sim)
add_dependencies(guard_test plugin-power-sim plugin-cooling-sim)
