# nvml_test: the power/nvml plugin against nvml_standin, a stand-in
# libnvidia-ml.so.1 implementing the NVML calls the plugin makes, driven by
# a state file the test writes. The stand-in lives in a folder of its own so
# that nothing else finds it by name.
add_library(nvml_standin SHARED nvml_standin.c)
set_target_properties(nvml_standin PROPERTIES OUTPUT_NAME nvidia-ml
  SOVERSION 1 LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/nvml-standin)
pod_unit_test(nvml_test nvml_test.c plugrig.c LIBS podcommon)
target_compile_definitions(nvml_test PRIVATE
  NVML_STANDIN="$<TARGET_FILE:nvml_standin>")
add_dependencies(nvml_test plugin-power-nvml nvml_standin)
