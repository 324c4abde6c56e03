/*
 * Fuzzes the controller's configuration file (controllerd/config.c over
 * common/conf.c), read by path as pod-controllerd reads it. A config that
 * loads is written out by config_dump() (pod-controllerd --check-config)
 * and that text must load again, into a config that dumps the same.
 */
#include "config.h"
#include "fuzz.h"

/* config_dump()'s text. Caller frees. */
static char *
dump(const struct config *c, size_t *len)
{
	char *text = NULL;
	FILE *out;

	if ((out = open_memstream(&text, len)) == NULL)
		abort();
	config_dump(c, out);
	fclose(out);
	return text;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c, *again;
	char err[1024], *text, *text2;
	size_t len, len2;

	if ((c = config_load(fuzz_path(data, size), err, sizeof(err))) == NULL)
		return 0;
	text = dump(c, &len);
	again = config_load(
	    fuzz_path((const uint8_t *)text, len), err, sizeof(err));
	if (again == NULL) {
		fprintf(stderr, "a loaded config, dumped, fails: %s\n%s", err,
		    text);
		abort();
	}
	text2 = dump(again, &len2);
	if (len2 != len || memcmp(text, text2, len) != 0) {
		fprintf(stderr, "dumped:\n%s\nloaded and dumped again:\n%s",
		    text, text2);
		abort();
	}
	free(text2);
	config_free(again);
	config_free(c);
	free(text);
	return 0;
}
