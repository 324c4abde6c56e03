# Accounting: prorating, the records of a job's attempts and their store;
# podctl's accounting fields and CSV.
pod_unit_test(acct_test acct_test.c LIBS podctl_core PkgConfig::SQLITE)
pod_unit_test(cli_acct_test cli_acct_test.c ${PROJECT_SOURCE_DIR}/cli/acctfmt.c
  LIBS PkgConfig::JANSSON)
target_include_directories(cli_acct_test PRIVATE ${PROJECT_SOURCE_DIR}/cli)
