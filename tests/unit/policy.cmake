# The controller's DVFS policy table (core/policy.c).
pod_unit_test(policy_test policy_test.c LIBS podcore)
