# command_test: the power/command plugin: its output mapping
# (plugins/power/command/cmdmap.c) and command splitting (cmdproc.c),
# linked as they are, and the plugin through plugrig with
# tests/integration/fake_smi.py standing in for a vendor's tool.
set(CMD_PLUGIN_DIR ${PROJECT_SOURCE_DIR}/plugins/power/command)
pod_unit_test(command_test command_test.c plugrig.c
  ${CMD_PLUGIN_DIR}/cmdmap.c ${CMD_PLUGIN_DIR}/cmdproc.c
  LIBS podcommon PkgConfig::JANSSON)
target_include_directories(command_test PRIVATE ${CMD_PLUGIN_DIR})
target_compile_definitions(command_test PRIVATE
  FAKE_SMI="${PROJECT_SOURCE_DIR}/tests/integration/fake_smi.py")
add_dependencies(command_test plugin-power-command)
