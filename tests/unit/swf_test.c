/*
 * The SWF parser of pod-schedsim: job lines, comments, the field count,
 * numbers, and errors that name the file and line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "swf.h"

/* One line each: what swf_parse_line() returns, the run time (field 4)
 * and requested processors (field 8) of a job, or the message. */
static const struct line_case {
	const char *line;
	int rc;
	double run_s, req_procs;
	const char *err;
} line_cases[] = {
    {"1 0 10 3600 64 -1 -1 64 7200 -1 1 3 1 -1 1 -1 -1 -1", 1, 3600, 64, NULL},
    {"  2\t5 0 20.5 8 19.7 1024 -1 -1 -1 0 1 1 2 1 1 1 0\r\n", 1, 20.5, -1,
        NULL},
    {"; Version: 2.2", 0, 0, 0, NULL},
    {"   ; MaxJobs: 10", 0, 0, 0, NULL},
    {"", 0, 0, 0, NULL},
    {"  \t \n", 0, 0, 0, NULL},
    {"1 0 10 3600 64 -1 -1 64 7200 -1 1 3", -1, 0, 0,
        "expected 18 or 19 fields, found 12"},
    {"1 0 10 3600 64 -1 -1 64 7200 -1 1 3 1 -1 1 -1 -1 -1 650", 1, 3600, 64,
        NULL},
    {"1 0 10 3600 64 -1 -1 64 7200 -1 1 3 1 -1 1 -1 -1 -1 9 9", -1, 0, 0,
        "expected 18 or 19 fields, found 20"},
    {"1 0 10 36 64 -1 -1 64 7200 -1 1 3 1 -1 1 -1 -1 -1 x", -1, 0, 0,
        "field 19 (power per processor) is not a number: 'x'"},
    {"1 0 10 abc 64 -1 -1 64 7200 -1 1 3 1 -1 1 -1 -1 -1", -1, 0, 0,
        "field 4 (run time) is not a number: 'abc'"},
    {"1 0 10 36 64 -1 -1 64 7200 -1 1 3 1 -1 1 -1 -1 nan", -1, 0, 0,
        "field 18 (think time) is not a number: 'nan'"},
    {"1 0 10 36 64 -1 -1 1e999 7200 -1 1 3 1 -1 1 -1 -1 -1", -1, 0, 0,
        "field 8 (requested processors) is not a number: '1e999'"},
    {"1 0 10 36 64 -1 -1 12x 7200 -1 1 3 1 -1 1 -1 -1 -1", -1, 0, 0,
        "field 8 (requested processors) is not a number: '12x'"},
    {"1 0 10 36 64 -1 -1 0000000000000000000000000000000000000000000000000"
     "000000000000000001 7200 -1 1 3 1 -1 1 -1 -1 -1",
        -1, 0, 0,
        "field 8 (requested processors) is not a number: "
        "'00000000000000000000000000000000'"},
};

static void
test_lines(void)
{
	const struct line_case *c;
	struct swf_job j;
	char err[256];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(line_cases) / sizeof(line_cases[0]); i++) {
		c = &line_cases[i];
		err[0] = '\0';
		rc = swf_parse_line(c->line, &j, err, sizeof(err));
		if (rc != c->rc)
			printf("  case %zu: rc %d (%s)\n", i, rc, err);
		CHECK(rc == c->rc);
		if (rc == 1) {
			CHECK(j.f[SWF_RUN] == c->run_s);
			CHECK(j.f[SWF_REQ_PROCS] == c->req_procs);
			/* the optional 19th field, -1 when absent */
			CHECK(j.f[SWF_POWER] ==
			      (strstr(c->line, " 650") != NULL ? 650 : -1));
		}
		if (c->err != NULL) {
			if (strcmp(err, c->err) != 0)
				printf("  case %zu: \"%s\"\n", i, err);
			CHECK(strcmp(err, c->err) == 0);
		}
	}
	CHECK(strcmp(swf_field_name(SWF_REQ_TIME), "requested time") == 0);
	CHECK(strcmp(swf_field_name(SWF_POWER), "power per processor") == 0);
	CHECK(strcmp(swf_field_name(SWF_NFIELDS_MAX), "?") == 0);
}

/* Writes text to a new temporary file; its path into path. */
static int
write_tmp(char *path, size_t len, const char *text)
{
	FILE *fp;
	int fd;

	snprintf(path, len, "/tmp/swf_test.XXXXXX");
	if ((fd = mkstemp(path)) == -1)
		return -1;
	if ((fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		return -1;
	}
	fputs(text, fp);
	return fclose(fp);
}

static void
test_reader(void)
{
	struct swf_reader r;
	struct swf_job j;
	char path[64], want[128], *big;
	int rc;

	CHECK(write_tmp(path, sizeof(path),
	          "; a header\n"
	          ";\n"
	          "1 0 0 100 2 -1 -1 2 100 -1 1 1 1 -1 1 -1 -1 -1\n"
	          "\n"
	          "2 10 0 50 1 -1 -1 1 60 -1 1 1 1 -1 1 -1 -1 -1\n"
	          "3 20 0 50 1\n") == 0);
	CHECK(swf_open(&r, path) == 0);
	CHECK(swf_next(&r, &j) == 1 && j.f[SWF_JOB] == 1 && r.lineno == 3);
	CHECK(swf_next(&r, &j) == 1 && j.f[SWF_SUBMIT] == 10 &&
	      j.f[SWF_REQ_TIME] == 60 && r.lineno == 5);
	CHECK(swf_next(&r, &j) == -1);
	snprintf(want, sizeof(want), "%s:6: expected 18 or 19 fields, found 5",
	    path);
	CHECK(strcmp(r.err, want) == 0);
	swf_close(&r);
	unlink(path);

	/* the last line without a newline is still a line */
	CHECK(write_tmp(path, sizeof(path),
	          "1 0 0 100 2 -1 -1 2 100 -1 1 1 1 -1 1 -1 -1 -1") == 0);
	CHECK(swf_open(&r, path) == 0);
	CHECK(swf_next(&r, &j) == 1 && j.f[SWF_RUN] == 100);
	CHECK(swf_next(&r, &j) == 0);
	swf_close(&r);
	unlink(path);

	/* an overlong line is an error, not an allocation */
	big = malloc(SWF_MAX_LINE + 64);
	CHECK(big != NULL);
	if (big != NULL) {
		memset(big, ' ', SWF_MAX_LINE + 10);
		snprintf(big + SWF_MAX_LINE + 10, 50, "1\n");
		CHECK(write_tmp(path, sizeof(path), big) == 0);
		CHECK(swf_open(&r, path) == 0);
		rc = swf_next(&r, &j);
		CHECK(rc == -1);
		snprintf(want, sizeof(want), "%s:1: line longer than %d bytes",
		    path, SWF_MAX_LINE);
		CHECK(strcmp(r.err, want) == 0);
		swf_close(&r);
		unlink(path);
		free(big);
	}

	CHECK(swf_open(&r, "/nonexistent/trace.swf") == -1);
	CHECK(strcmp(r.err,
	          "/nonexistent/trace.swf: No such file or directory") == 0);
}

int
main(void)
{
	test_lines();
	test_reader();
	return check_summary("swf_test");
}
