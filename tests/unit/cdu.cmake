# cdumap_test: the CDU register-map parser and value decoding of the
# cooling/modbus plugin (plugins/cooling/modbus/cdumap.c, linked as is),
# and the shipped generic map.
set(CDU_PLUGIN_DIR ${PROJECT_SOURCE_DIR}/plugins/cooling/modbus)
pod_unit_test(cdumap_test cdumap_test.c ${CDU_PLUGIN_DIR}/cdumap.c)
target_include_directories(cdumap_test PRIVATE ${CDU_PLUGIN_DIR})
target_compile_definitions(cdumap_test PRIVATE
  CDU_GENERIC_MAP="${CDU_PLUGIN_DIR}/maps/generic.map")
