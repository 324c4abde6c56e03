# Node health: which conditions gate work, drain and requeue (core/health.c).
pod_unit_test(health_test health_test.c LIBS podcore)
