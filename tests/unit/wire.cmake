# The wire records' codec (common/wire.c, common/wire_desired.c), both ways: round trips and
# refused members with their exact messages.
pod_unit_test(wire_test wire_test.c LIBS podcommon)
