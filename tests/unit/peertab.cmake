# The peer table behind the REST server's connection caps and write rates
# (core/peertab.c).
pod_unit_test(peertab_test peertab_test.c LIBS podcore)
