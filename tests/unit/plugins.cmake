# The hardware plugins' shared parts: the I/O thread and the say-once memory
# (worker_test). plugrig.c, the harness that loads one plugin as the agent
# does and keeps what it logs, serves the tests of each plugin.
pod_unit_test(worker_test worker_test.c plugrig.c
  LIBS pod-plugin-worker podcommon)
add_dependencies(worker_test plugin-power-sim)
