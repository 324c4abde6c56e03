# The scheduler (pure: placement, policies, reasons, quotas, node sets),
# multifactor priority and fair share, and the SWF parser of
# pod-schedsim, on the core library.
pod_unit_test(sched_test sched_test.c LIBS podcore)
pod_unit_test(prio_test prio_test.c LIBS podcore)
pod_unit_test(swf_test swf_test.c ${PROJECT_SOURCE_DIR}/tools/schedsim/swf.c)
target_include_directories(swf_test PRIVATE ${PROJECT_SOURCE_DIR}/tools/schedsim)
