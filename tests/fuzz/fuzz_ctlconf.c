/*
 * Fuzzes the controller's configuration file (controllerd/config.c over
 * common/conf.c), read by path as pod-controllerd reads it. A config that
 * loads is written out by config_dump() (pod-controllerd --check-config)
 * and that text must load again.
 */
#include "config.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c, *again;
	char err[1024], *text = NULL;
	size_t len = 0;
	FILE *out;

	if ((c = config_load(fuzz_path(data, size), err, sizeof(err))) == NULL)
		return 0;
	if ((out = open_memstream(&text, &len)) == NULL)
		abort();
	config_dump(c, out);
	fclose(out);
	again = config_load(
	    fuzz_path((const uint8_t *)text, len), err, sizeof(err));
	if (again == NULL) {
		fprintf(stderr, "a loaded config, dumped, fails: %s\n%s", err,
		    text);
		abort();
	}
	config_free(again);
	config_free(c);
	free(text);
	return 0;
}
