/*
 * Job dependencies (see jobdeps.h). This first cut takes none: a
 * submission that names one is refused, so nothing waits on a promise the
 * scheduler does not keep.
 */
#include <stdio.h>

#include "jobdeps.h"
#include "jobs.h"

int
jobdeps_admit(
    struct ctl_state *st, struct job *j, char *err, size_t errlen, int *status)
{
	(void)st;
	*status = 400;
	if (j->dependency[0] == '\0')
		return 0;
	snprintf(err, errlen, "dependencies are not supported yet");
	return -1;
}

const char *
jobdeps_hold(struct ctl_state *st, const struct job *j)
{
	(void)st;
	(void)j;
	return NULL;
}
