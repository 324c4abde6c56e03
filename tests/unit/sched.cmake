# The scheduler (pure: placement, policies, reasons) and the SWF parser of
# pod-schedsim. sched.c and schedview.c are compiled in directly, so the
# test does not wait for the controller library.
pod_unit_test(sched_test sched_test.c
  ${PROJECT_SOURCE_DIR}/controllerd/sched.c
  ${PROJECT_SOURCE_DIR}/controllerd/schedview.c)
target_include_directories(sched_test PRIVATE
  ${PROJECT_SOURCE_DIR}/controllerd)
pod_unit_test(swf_test swf_test.c ${PROJECT_SOURCE_DIR}/tools/schedsim/swf.c)
target_include_directories(swf_test PRIVATE ${PROJECT_SOURCE_DIR}/tools/schedsim)
