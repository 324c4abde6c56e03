# podctl's pure parts: argument parsing, value formatting, table layout.
pod_unit_test(cli_test cli_test.c ${PROJECT_SOURCE_DIR}/cli/args.c
  ${PROJECT_SOURCE_DIR}/cli/fmt.c ${PROJECT_SOURCE_DIR}/cli/table.c
  LIBS podcommon PkgConfig::JANSSON)
target_include_directories(cli_test PRIVATE ${PROJECT_SOURCE_DIR}/cli)

# podctl's job parts: time limits, the submit body, node lists, ranges.
pod_unit_test(cli_jobs_test cli_jobs_test.c ${PROJECT_SOURCE_DIR}/cli/args.c
  ${PROJECT_SOURCE_DIR}/cli/fmt.c ${PROJECT_SOURCE_DIR}/cli/jobreq.c
  LIBS podcommon PkgConfig::JANSSON)
target_include_directories(cli_jobs_test PRIVATE ${PROJECT_SOURCE_DIR}/cli)

# podctl's power parts: the policy and power request bodies, numbers.
pod_unit_test(cli_power_test cli_power_test.c ${PROJECT_SOURCE_DIR}/cli/args.c
  ${PROJECT_SOURCE_DIR}/cli/fmt.c ${PROJECT_SOURCE_DIR}/cli/powreq.c
  LIBS podcommon PkgConfig::JANSSON)
target_include_directories(cli_power_test PRIVATE ${PROJECT_SOURCE_DIR}/cli)

# podctl's credentials: token files' checks, the token's shape, durations.
pod_unit_test(cli_cred_test cli_cred_test.c ${PROJECT_SOURCE_DIR}/cli/cred.c
  LIBS podcommon)
target_include_directories(cli_cred_test PRIVATE ${PROJECT_SOURCE_DIR}/cli)
