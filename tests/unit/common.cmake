# The shared library.
pod_unit_test(hostlist_test hostlist_test.c LIBS podcommon)
pod_unit_test(names_test names_test.c LIBS podcommon)
pod_unit_test(nodecred_test nodecred_test.c LIBS podcommon)
# Lists of controllers: splitting them, and the replies that mean "the
# next one" (a standby's).
pod_unit_test(ctllist_test ctllist_test.c LIBS podcommon)
