# The controller's own counters, histograms and back-pressure
# (controllerd/selfstat.c) in virtual time.
pod_unit_test(selfstat_test selfstat_test.c LIBS podctl_core)
