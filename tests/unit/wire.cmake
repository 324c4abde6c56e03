# The wire records' codec (common/wire.c, common/wire_desired.c), both ways: round trips and
# refused members with their exact messages.
pod_unit_test(wire_test wire_test.c LIBS podcommon)
# The report's fast path (common/wire_scan.c) against the Jansson path:
# every agent's report taken and decoded alike, hand-written and mutated
# reports either declined or decoded alike.
pod_unit_test(wire_scan_test wire_scan_test.c LIBS podcommon)
