# pod-schedsim's reading of the controller's configuration: keys, defaults,
# errors, and partitions resolved against the simulated fabric's names.
pod_unit_test(simconf_test simconf_test.c
  ${PROJECT_SOURCE_DIR}/tools/schedsim/simconf.c LIBS podcore podcommon)
target_include_directories(simconf_test PRIVATE
  ${PROJECT_SOURCE_DIR}/tools/schedsim)
# ... and the controller's reading of the same files: both must agree.
pod_unit_test(simconf_agree_test simconf_agree_test.c
  ${PROJECT_SOURCE_DIR}/tools/schedsim/simconf.c LIBS podctl_core)
target_include_directories(simconf_agree_test PRIVATE
  ${PROJECT_SOURCE_DIR}/tools/schedsim)
