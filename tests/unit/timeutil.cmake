# The shared library's time parser.
pod_unit_test(timeutil_test timeutil_test.c LIBS podcommon)
