# rapl_test: the power/rapl plugin on a fake powercap tree in a temporary
# folder, loaded through plugrig as the agent loads it.
pod_unit_test(rapl_test rapl_test.c plugrig.c LIBS podcommon)
add_dependencies(rapl_test plugin-power-rapl)
