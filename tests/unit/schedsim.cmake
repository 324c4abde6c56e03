# pod-schedsim's reading of the controller's configuration: keys, defaults,
# errors, and partitions resolved against the simulated fabric's names.
pod_unit_test(simconf_test simconf_test.c
  ${PROJECT_SOURCE_DIR}/tools/schedsim/simconf.c LIBS podcore podcommon)
target_include_directories(simconf_test PRIVATE
  ${PROJECT_SOURCE_DIR}/tools/schedsim)
