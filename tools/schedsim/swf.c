/*
 * Reading Standard Workload Format traces. Lines are read into a fixed
 * buffer, so an overlong line is an error rather than an allocation; every
 * error names the line, because traces from the archive run to hundreds of
 * thousands of lines and a bad one has to be found by eye.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swf.h"

static const char *const field_names[SWF_NFIELDS_MAX] = {
    [SWF_JOB] = "job number",
    [SWF_SUBMIT] = "submit time",
    [SWF_WAIT] = "wait time",
    [SWF_RUN] = "run time",
    [SWF_ALLOC_PROCS] = "allocated processors",
    [SWF_AVG_CPU] = "average CPU time",
    [SWF_USED_MEM] = "used memory",
    [SWF_REQ_PROCS] = "requested processors",
    [SWF_REQ_TIME] = "requested time",
    [SWF_REQ_MEM] = "requested memory",
    [SWF_STATUS] = "status",
    [SWF_USER] = "user",
    [SWF_GROUP] = "group",
    [SWF_EXE] = "executable",
    [SWF_QUEUE] = "queue",
    [SWF_PARTITION] = "partition",
    [SWF_PRECEDING] = "preceding job",
    [SWF_THINK] = "think time",
    [SWF_POWER] = "power per processor",
};

const char *
swf_field_name(enum swf_field f)
{
	if ((int)f < 0 || f >= SWF_NFIELDS_MAX)
		return "?";
	return field_names[f];
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

int
swf_parse_line(const char *line, struct swf_job *job, char *err, size_t errlen)
{
	const char *p = line, *tok[SWF_NFIELDS_MAX];
	size_t len[SWF_NFIELDS_MAX];
	char num[64], *end;
	int n = 0, i;
	double v;

	while (is_space(*p))
		p++;
	if (*p == '\0' || *p == ';')
		return 0;
	while (*p != '\0') {
		if (n < SWF_NFIELDS_MAX)
			tok[n] = p;
		while (*p != '\0' && !is_space(*p))
			p++;
		if (n < SWF_NFIELDS_MAX)
			len[n] = p - tok[n];
		n++;
		while (is_space(*p))
			p++;
	}
	if (n != SWF_NFIELDS && n != SWF_NFIELDS_MAX) {
		snprintf(err, errlen, "expected %d or %d fields, found %d",
		    SWF_NFIELDS, SWF_NFIELDS_MAX, n);
		return -1;
	}
	job->f[SWF_POWER] = -1;
	for (i = 0; i < n; i++) {
		if (len[i] >= sizeof(num))
			goto bad;
		memcpy(num, tok[i], len[i]);
		num[len[i]] = '\0';
		errno = 0;
		v = strtod(num, &end);
		if (*end != '\0' || errno == ERANGE || !isfinite(v))
			goto bad;
		job->f[i] = v;
	}
	return 1;
bad:
	snprintf(err, errlen, "field %d (%s) is not a number: '%.*s'", i + 1,
	    field_names[i], (int)(len[i] > 32 ? 32 : len[i]), tok[i]);
	return -1;
}

int
swf_open(struct swf_reader *r, const char *path)
{
	memset(r, 0, sizeof(*r));
	r->name = path;
	if ((r->fp = fopen(path, "r")) == NULL) {
		snprintf(
		    r->err, sizeof(r->err), "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
swf_next(struct swf_reader *r, struct swf_job *job)
{
	char line[SWF_MAX_LINE + 1], why[256];
	size_t n;
	int rc;

	for (;;) {
		if (fgets(line, sizeof(line), r->fp) == NULL) {
			if (ferror(r->fp)) {
				snprintf(r->err, sizeof(r->err), "%s: %s",
				    r->name, strerror(errno));
				return -1;
			}
			return 0;
		}
		r->lineno++;
		n = strlen(line);
		if (n == sizeof(line) - 1 && line[n - 1] != '\n' &&
		    !feof(r->fp)) {
			snprintf(r->err, sizeof(r->err),
			    "%s:%ld: line longer than %d bytes", r->name,
			    r->lineno, SWF_MAX_LINE);
			return -1;
		}
		rc = swf_parse_line(line, job, why, sizeof(why));
		if (rc == -1) {
			snprintf(r->err, sizeof(r->err), "%s:%ld: %s", r->name,
			    r->lineno, why);
			return -1;
		}
		if (rc == 1)
			return 1;
	}
}

void
swf_close(struct swf_reader *r)
{
	if (r->fp != NULL)
		fclose(r->fp);
	r->fp = NULL;
}
