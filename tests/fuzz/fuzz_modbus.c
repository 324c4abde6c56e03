/*
 * Fuzzes the BMS's Modbus TCP protocol as the server reads a connection's
 * bytes: the stream is cut into frames by mbtcp_frame() (core/mbtcp.c),
 * each whole frame checked by mbtcp_request() against the register map's
 * tables and writable ranges (controllerd/bmsmap.c), and answered by
 * mbtcp_reply() or mbtcp_exception(). The first byte picks the number of
 * pods in the map and whether the peer may write.
 */
#include <string.h>

#include "bmsmap.h"
#include "fuzz.h"
#include "mbtcp.h"

#define FUZZ_MAX_REGS 65536

static uint8_t coils[FUZZ_MAX_REGS], discrete[FUZZ_MAX_REGS];
static uint16_t input[FUZZ_MAX_REGS], holding[FUZZ_MAX_REGS];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mbtcp_limit limits[BMS_NLIMITS];
	struct mbtcp_request rq;
	struct mbtcp_map map;
	uint8_t out[MBTCP_FRAME_MAX];
	size_t off = 1, len, n;
	int npods, may_write, i, exc;
	unsigned sum = 0;

	if (size < 1)
		return 0;
	npods = 1 + (data[0] & 0x7f);
	may_write = data[0] >> 7;
	memset(&map, 0, sizeof(map));
	map.unit = 1;
	map.size[MBTCP_COIL] = bms_table_size(BMS_COIL, npods);
	map.size[MBTCP_DISCRETE_INPUT] =
	    bms_table_size(BMS_DISCRETE_INPUT, npods);
	map.size[MBTCP_INPUT] = bms_table_size(BMS_INPUT, npods);
	map.size[MBTCP_HOLDING] = bms_table_size(BMS_HOLDING_REG, npods);
	for (i = 0; i < MBTCP_NTABLES; i++)
		if (map.size[i] > FUZZ_MAX_REGS)
			abort();
	map.coils = coils;
	map.discrete = discrete;
	map.input = input;
	map.holding = holding;
	map.limits = limits;
	map.nlimits = bms_limits(limits, BMS_NLIMITS);
	while (off < size) {
		/* a connection's buffer holds at most one frame */
		size_t have = size - off;

		if (have > MBTCP_FRAME_MAX)
			have = MBTCP_FRAME_MAX;
		if (mbtcp_frame(data + off, have, &len) != MBTCP_FRAME_OK)
			break;
		if (len > have)
			abort();
		exc = mbtcp_request(data + off, len, &map, may_write, &rq);
		if (exc == MBTCP_CLOSE)
			break;
		if (exc == MBTCP_OK) {
			if (rq.write)
				for (i = 0; i < rq.count; i++)
					sum += mbtcp_value(&rq, i);
			n = mbtcp_reply(
			    data + off, &rq, &map, out, sizeof(out));
		} else
			n = mbtcp_exception(data + off, exc, out, sizeof(out));
		if (n == 0 || n > sizeof(out))
			abort();
		off += len;
	}
	(void)sum;
	return 0;
}
