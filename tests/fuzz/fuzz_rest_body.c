/*
 * Fuzzes the REST request bodies the controller checks before acting on
 * them: the body parsed by jsonx_parse() (api_read_body() in api.c), then
 * a job submission checked by api_job_parse() (POST /jobs, api_jobs.c)
 * against the default configuration's limits, and a policy's name and
 * params by policyjson_check() (PUT /policy, envelope.c).
 */
#include <jansson.h>

#include "apireq.h"
#include "config.h"
#include "fuzz.h"
#include "jobs.h"
#include "jsonx.h"
#include "policyjson.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config *conf;
	struct policy pol;
	const char *name = NULL;
	char err[512];
	struct job *j;
	json_t *body;

	if (conf == NULL &&
	    (conf = config_load(NULL, err, sizeof(err))) == NULL)
		abort();
	body = jsonx_parse((const char *)data, size, err, sizeof(err));
	if (body == NULL)
		return 0;
	if ((j = job_new()) == NULL)
		abort();
	api_job_parse(conf, body, j, err, sizeof(err));
	job_free(j);
	if (json_is_object(body) &&
	    jsonx_string(body, "name", &name, err, sizeof(err)) == 1)
		policyjson_check(name, json_object_get(body, "params"), &pol,
		    err, sizeof(err));
	json_decref(body);
	return 0;
}
