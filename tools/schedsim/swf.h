/*
 * The Standard Workload Format of the Parallel Workloads Archive: one job
 * per line, 18 whitespace-separated numbers, -1 where a value is missing;
 * lines starting with ';' are header comments. This project reads one
 * optional 19th number, the job's mean power per processor (W), so that a
 * trace can carry what admission needs. The parser only checks the
 * syntax and names every field; what the fields mean for a simulation is
 * pod-schedsim's business.
 */
#ifndef SWF_H
#define SWF_H

#include <stddef.h>
#include <stdio.h>

#define SWF_NFIELDS     18   /* required */
#define SWF_NFIELDS_MAX 19   /* with the optional power field */
#define SWF_MAX_LINE    4096 /* bytes in one line, newline included */

/* Field positions, 0-based (the format's documentation counts from 1). */
enum swf_field {
	SWF_JOB,         /* job number */
	SWF_SUBMIT,      /* submit time, s */
	SWF_WAIT,        /* wait time, s */
	SWF_RUN,         /* run time, s */
	SWF_ALLOC_PROCS, /* allocated processors */
	SWF_AVG_CPU,     /* average CPU time used, s */
	SWF_USED_MEM,    /* used memory, KB per processor */
	SWF_REQ_PROCS,   /* requested processors */
	SWF_REQ_TIME,    /* requested time, s */
	SWF_REQ_MEM,     /* requested memory, KB per processor */
	SWF_STATUS,      /* 1 completed, 0 failed, 5 cancelled, ... */
	SWF_USER,        /* user id */
	SWF_GROUP,       /* group id */
	SWF_EXE,         /* executable number */
	SWF_QUEUE,       /* queue number */
	SWF_PARTITION,   /* partition number */
	SWF_PRECEDING,   /* preceding job number */
	SWF_THINK,       /* think time after the preceding job, s */
	SWF_POWER,       /* this project's: power per processor, W */
};

struct swf_job {
	double f[SWF_NFIELDS_MAX]; /* by enum swf_field; -1: missing */
};

/* A trace being read line by line. */
struct swf_reader {
	FILE *fp;
	const char *name; /* borrowed: the path, for messages */
	long lineno;      /* of the line read last */
	char err[512];    /* "name:line: what", after swf_next() == -1 */
};

/* "run time", "requested processors", ...; "?" out of range. */
const char *swf_field_name(enum swf_field f);
/* Parses one line (without or with its newline). Returns 1 with the job in
 * *job, 0 for a comment or blank line, -1 with a message in err (without
 * file or line). */
int swf_parse_line(
    const char *line, struct swf_job *job, char *err, size_t errlen);
/* Opens path for swf_next(). 0, or -1 with r->err set. */
int swf_open(struct swf_reader *r, const char *path);
/* The next job: 1, 0 at the end of the file, -1 with r->err set (a bad or
 * overlong line, a read error). */
int swf_next(struct swf_reader *r, struct swf_job *job);
void swf_close(struct swf_reader *r);

#endif
