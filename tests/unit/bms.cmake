# bms_test: the BMS register map: encoding, writable ranges and layout
# (controllerd/bmsmap.c), the [modbus] config, and
# docs/modbus.md's points list. The modbus-doc target rewrites that list
# from the table.
pod_unit_test(bms_test bms_test.c LIBS podctl_core)
add_custom_target(modbus-doc
  COMMAND ${CMAKE_COMMAND} -E env POD_UPDATE_GOLDEN=1 $<TARGET_FILE:bms_test>
  WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
  DEPENDS bms_test
  COMMENT "Writing the points list of docs/modbus.md")
