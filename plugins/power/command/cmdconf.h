/*
 * cmdconf: the configuration of the power/command plugin: every key of its
 * [power] section (docs/plugins.md, "power/command") parsed and checked,
 * each error naming the key's file:line, before anything runs. A module of
 * its own so that command.c holds only what runs.
 */
#ifndef CMDCONF_H
#define CMDCONF_H

#include <stdint.h>

#include <pod/plugin.h>

#include "cmdmap.h"
#include "cmdproc.h"

#define CMDCONF_PATH_MAX 512 /* PATH for the children, NUL included */
#define CMDCONF_PATH_DEFAULT                                                   \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The controls a tool's commands may apply. */
enum cmdconf_ctl { CMDCONF_CLOCK, CMDCONF_POWER, CMDCONF_NCTL };

/* key: the command's key; what: said in messages; flag: POD_CTL_*. */
struct cmdconf_ctl_info {
	const char *key;
	const char *what;
	uint32_t flag;
};
extern const struct cmdconf_ctl_info cmdconf_ctls[CMDCONF_NCTL];

/* The plugin's settings, units in the names. */
struct cmdconf {
	char command[CMDPROC_LINE_MAX]; /* as written */
	struct cmdproc_argv argv;       /* split */
	int stream;                     /* 1: mode stream */
	struct cmdmap map;              /* output to records */
	int period_ms;                  /* between runs, ms */
	int timeout_ms;                 /* a run's deadline, ms */
	int stale_ms;                   /* values older are absent, ms */
	long max_output;                /* bytes of one output */
	int accels;                     /* 0: enumerate in init */
	char model[64];                 /* pod_device.model */
	char set[CMDCONF_NCTL][CMDPROC_LINE_MAX]; /* the control commands */
	double clock_min_mhz, clock_max_mhz;      /* NAN unset */
	double power_min_w, power_max_w;          /* NAN unset */
	double tdp_w;                             /* NAN unset */
	char path[CMDCONF_PATH_MAX];              /* PATH for the children */
};

/*
 * Parses host->conf into *cf, defaults first, then checks what goes
 * together (a control's command with its range, stream with accels, the
 * keys of the other format). 0, or -1 with one line logged through host.
 */
int cmdconf_parse(const struct pod_host *host, struct cmdconf *cf);

/* "file:line: " where key was set (its last setting), or "" when it was
 * not; written into buf, which is returned. */
const char *cmdconf_where(
    const struct pod_host *host, const char *key, char *buf, size_t len);

#endif
