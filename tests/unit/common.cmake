# The shared library.
pod_unit_test(hostlist_test hostlist_test.c LIBS podcommon)
pod_unit_test(names_test names_test.c LIBS podcommon)
pod_unit_test(nodecred_test nodecred_test.c LIBS podcommon)
# Lists of controllers: splitting them, and the replies that mean "the
# next one" (a standby's).
pod_unit_test(ctllist_test ctllist_test.c LIBS podcommon)
# The JSON writer of the large replies: Jansson's text, byte for byte.
pod_unit_test(jsonw_test jsonw_test.c LIBS podcommon)
