# The Modbus TCP protocol module (core/mbtcp.c): framing, request checks,
# answers and connection slots, on the core library alone.
pod_unit_test(mbtcp_test mbtcp_test.c LIBS podcore)
