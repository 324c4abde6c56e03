/*
 * Fuzzes the CDU register map reader of the cooling/modbus plugin
 * (plugins/cooling/modbus/cdumap.c). The input is a map file; when it
 * loads, every point is decoded from registers taken from the input's
 * first bytes, as the plugin decodes what it polls.
 */
#include "cdumap.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cdumap m;
	uint16_t regs[2] = {0, 0};
	char err[512];
	double v;
	uint32_t raw;
	FILE *f;
	int i, b;

	if (size == 0 || (f = fmemopen((void *)data, size, "r")) == NULL)
		return 0;
	if (cdumap_read(f, "fuzz.map", &m, err, sizeof(err)) == 0) {
		memcpy(regs, data, size < sizeof(regs) ? size : sizeof(regs));
		for (i = 0; i < m.npt; i++) {
			const struct cdumap_point *p = &m.pt[i];

			if (p->type == CDUMAP_BIT)
				regs[0] &= 1;
			raw = cdumap_raw(p, regs);
			if (p->field != CDUMAP_ALARM)
				cdumap_value(p, regs, &v);
			for (b = 0; b < p->nbits; b++)
				cdumap_bit_get(p, &p->bits[b], raw);
			cdumap_table_name(p->table);
		}
	}
	fclose(f);
	return 0;
}
