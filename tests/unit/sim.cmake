# sim_test: the power and cooling simulation plugins, loaded as the built .so
# files through the project's loader and driven coupled the way pod-agentd
# drives them.
pod_unit_test(sim_test sim_test.c LIBS podcommon)

# A plugin built for the next ABI major, which the loader must refuse. It
# lands beside the real plugins so that plugin_load(NULL, ...) finds it; it is
# never installed.
add_library(plugin-power-badabi MODULE badabi_plugin.c)
target_include_directories(plugin-power-badabi PRIVATE
  ${PROJECT_SOURCE_DIR}/include)
set_target_properties(plugin-power-badabi PROPERTIES PREFIX ""
  OUTPUT_NAME power-badabi LIBRARY_OUTPUT_DIRECTORY ${POD_PLUGIN_OUTPUT_DIR}
  C_VISIBILITY_PRESET hidden)

add_dependencies(sim_test plugin-power-sim plugin-cooling-sim
  plugin-power-badabi)
