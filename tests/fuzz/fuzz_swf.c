/*
 * Fuzzes pod-schedsim's trace reader (tools/schedsim/swf.c): the input as
 * one line for swf_parse_line(), and as a whole trace file read by
 * swf_open() and swf_next().
 */
#include "fuzz.h"
#include "swf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct swf_reader r;
	struct swf_job job;
	char err[512], *line = fuzz_cstr(data, size);
	int i;

	swf_parse_line(line, &job, err, sizeof(err));
	free(line);
	if (swf_open(&r, fuzz_path(data, size)) == -1)
		abort();
	for (i = 0; i < 100000 && swf_next(&r, &job) == 1; i++)
		;
	swf_close(&r);
	return 0;
}
