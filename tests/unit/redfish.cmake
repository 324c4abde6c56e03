# redfish_rig: a Redfish plugin held as the agent holds it (plugrig.c),
# driven on stdin by tests/integration/test_redfish_plugins.py against its
# Redfish mock: not a test of its own (no add_test), a tool of that one.
add_executable(redfish_rig redfish_rig.c plugrig.c)
target_include_directories(redfish_rig PRIVATE ${PROJECT_SOURCE_DIR}/include
  ${PROJECT_SOURCE_DIR}/common ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(redfish_rig PRIVATE podcommon m)
set_target_properties(redfish_rig PROPERTIES RUNTIME_OUTPUT_DIRECTORY
  ${CMAKE_BINARY_DIR}/tests)
add_dependencies(redfish_rig plugin-power-redfish plugin-cooling-redfish)
# redfish_test: the Redfish client's keys, JSON helpers and error texts
# (plugins/common/redfish.c), without a service.
# With cooling/redfish's mapping of replies (rfmap.c), for the cases that
# fuzz_redfish found.
set(RF_CDU_DIR ${PROJECT_SOURCE_DIR}/plugins/cooling/redfish)
pod_unit_test(redfish_test redfish_test.c ${RF_CDU_DIR}/rfmap.c
  LIBS pod-plugin-redfish)
target_include_directories(redfish_test PRIVATE ${RF_CDU_DIR})
