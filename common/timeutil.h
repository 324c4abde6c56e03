/* Clocks: monotonic for intervals and timeouts, wall for what is stored. */
#ifndef POD_TIMEUTIL_H
#define POD_TIMEUTIL_H

#include <stdint.h>

/* Milliseconds on the monotonic clock (never jumps). */
int64_t time_mono_ms(void);
/* Milliseconds since the Unix epoch. */
int64_t time_wall_ms(void);

#endif
