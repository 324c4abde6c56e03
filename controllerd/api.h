/*
 * The REST API (DESIGN.md "Contracts"), on libevent's evhttp: one static
 * route table, one authentication hook, JSON in and out, errors as
 * {"error":{"code":…,"message":…}}.
 */
#ifndef CTL_API_H
#define CTL_API_H

#define API_MAX_BODY         (4 * 1024 * 1024) /* bytes; larger requests get 413 */
#define API_MAX_PARKED       65536             /* long polls held at once */
#define TELEMETRY_MAX_POINTS 10000 /* points in one telemetry reply */
#define API_MAX_WAIT_S       60    /* longest long poll, s */

#include <stdio.h>

struct ctl_state;

/* Binds the REST server to st->conf->listen on st->base and logs the
 * address actually bound (port 0 picks a free one). 0 or -1 (logged). */
int api_start(struct ctl_state *st);
void api_stop(struct ctl_state *st);
/* Prints every route as "METHOD PATH RULE SERVER", one a line
 * (--routes): SERVER is "standby" when a standby serves it too, else
 * "active". */
void api_print_routes(FILE *out);

#endif
