# Controller modules: config parser (golden files), report parser, fleet.
pod_unit_test(config_test config_test.c LIBS podctl_core)
pod_unit_test(report_test report_test.c LIBS podctl_core)
pod_unit_test(fleet_test fleet_test.c LIBS podctl_core)
pod_unit_test(jobs_test jobs_test.c LIBS podctl_core)
pod_unit_test(power_test power_test.c LIBS podctl_core)
pod_unit_test(alarms_test alarms_test.c LIBS podctl_core)
# The store on a temporary SQLite file: schema, drains, settings, policies,
# audit, jobs, attempts, telemetry partitions.
pod_unit_test(store_test store_test.c LIBS podctl_core)
# The database layer's placeholders and URLs (db.c, db_pg.c).
pod_unit_test(db_test db_test.c LIBS podctl_core)
target_include_directories(db_test PRIVATE ${PROJECT_SOURCE_DIR}/controllerd)
# When a controller taking the lead acts, and the role it says (leader.c).
pod_unit_test(leader_test leader_test.c LIBS podctl_core)
# the same cases on a throwaway PostgreSQL server, which
# tests/integration/pgserver.py starts and names in POD_TEST_PG
add_test(NAME unit/store_test_postgresql COMMAND /usr/bin/python3
  ${PROJECT_SOURCE_DIR}/tests/integration/pgserver.py -- $<TARGET_FILE:store_test>)
set_tests_properties(unit/store_test_postgresql PROPERTIES
  ENVIRONMENT "POD_TEST_WANT_PG=1" SKIP_RETURN_CODE 77)
# Admission (envelope_admission, then the pass) on a two-pod fabric; calloc is wrapped so a
# case can make its allocation fail.
pod_unit_test(envelope_test envelope_test.c LIBS podctl_core)
target_link_options(envelope_test PRIVATE -Wl,--wrap=calloc)
# The job queue on a minimal controller state: a temporary store, the
# envelope, and an event base run without blocking.
pod_unit_test(queue_test queue_test.c ctlrig.c LIBS podctl_core)
pod_unit_test(auth_test auth_test.c LIBS podctl_core)
# The organisation (org.c, store_org.c, resv.c) on a temporary store: the
# admission of submissions, the account tree, partitions' and reservations'
# nodes, a maintenance window's drain and resume.
pod_unit_test(org_test org_test.c LIBS podctl_core)
# The connection caps in front of evhttp on a real loopback socket.
pod_unit_test(httpcap_test httpcap_test.c LIBS podctl_core)
target_include_directories(httpcap_test PRIVATE ${PROJECT_SOURCE_DIR}/controllerd)
