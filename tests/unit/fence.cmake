# Fencing's decisions (core/fence.c): leases, requeue timing, the loop's
# own lag, superseded attempts.
pod_unit_test(fence_test fence_test.c LIBS podcore)
