/*
 * Time: the monotonic clock for intervals and timeouts, the wall clock for
 * what is stored, and the one parser of the RFC 3339 times that clients
 * send, so that every place that takes a time takes the same forms.
 */
#ifndef POD_TIMEUTIL_H
#define POD_TIMEUTIL_H

#include <stdint.h>

/* Milliseconds on the monotonic clock (never jumps). */
int64_t time_mono_ms(void);
/* Milliseconds since the Unix epoch. */
int64_t time_wall_ms(void);
/*
 * Parses an RFC 3339 date-time, "YYYY-MM-DDTHH:MM:SS" with an optional
 * fraction of a second (".5", ".123", ".123456789": milliseconds are kept,
 * finer digits dropped) and a zone, "Z" or an offset "+hh:mm" / "-hh:mm";
 * "T" and "Z" may be lower case. Nothing may follow. A leap second (:60)
 * counts as the next second's start. Sets *ms to milliseconds since the
 * Unix epoch (negative before 1970) and returns 0, or returns -1 (*ms
 * untouched) for anything else, including dates that do not exist
 * (2023-02-29) and a missing zone.
 */
int time_parse_rfc3339(const char *s, int64_t *ms);

#endif
