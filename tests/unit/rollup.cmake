# Telemetry rollups: the arithmetic (controllerd/rollup.c) and the store's
# minute and hour rollups on a temporary database in virtual time.
pod_unit_test(rollup_test rollup_test.c LIBS podctl_core)
