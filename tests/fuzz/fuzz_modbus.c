/*
 * Fuzzes the BMS's Modbus TCP server as it reads a connection's bytes
 * (controllerd/bms.c): the stream is cut into frames by bms_frame_check()
 * and each whole frame checked by bms_request_parse(), then the values of
 * a write read back as serve() does. The first byte picks the number of
 * pods in the register map. The frame functions live in bms.c today;
 * repoint the include and the library here if they move.
 */
#include "bms.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bms_request rq;
	size_t off = 1, len;
	int npods, i, exc;
	unsigned sum = 0;

	if (size < 1)
		return 0;
	npods = 1 + data[0] % 128;
	while (off < size) {
		/* a connection's buffer holds at most one frame */
		size_t have = size - off;

		if (have > BMS_FRAME_MAX)
			have = BMS_FRAME_MAX;
		if (bms_frame_check(data + off, have, &len) != BMS_FRAME_OK)
			break;
		if (len > have)
			abort();
		exc = bms_request_parse(data + off, len, npods, &rq);
		if (exc == -1)
			break;
		if (exc == 0 && rq.write)
			for (i = 0; i < rq.count; i++)
				sum += bms_request_value(&rq, i);
		off += len;
	}
	(void)sum;
	return 0;
}
