# The shared library.
pod_unit_test(hostlist_test hostlist_test.c LIBS podcommon)
