/*
 * Job array specifications as sbatch writes them: "0-999%50" (a range and
 * at most 50 tasks running at once), "1,3,5-7" (a list), "0-15:4" (a range
 * with a step). A submission's text becomes the sorted list of its task ids
 * and the %N limit; a set of ids becomes text again for listings, where an
 * array's pending tasks show as one entry ("5-999%50").
 *
 * Pure: the size cap comes from the caller (the controller's
 * [scheduler] max_array_size), and errors are text in the caller's buffer,
 * naming the 1-based column of the character that is wrong, so that a user
 * who typed a long list sees where.
 */
#ifndef CORE_ARRAYSPEC_H
#define CORE_ARRAYSPEC_H

#include <stddef.h>

#define ARRAYSPEC_TEXT_MAX 128       /* bytes of a submission's text, NUL in */
#define ARRAYSPEC_ID_MAX   999999999 /* largest task id */

struct arrayspec {
	int *ids;        /* task ids, ascending, each once; owned */
	int n;           /* how many */
	int max_running; /* %N: tasks running at once; 0 no limit */
};

/*
 * Parses `text` into *out: ids sorted and without repeats, max_running
 * from a trailing %N. Refuses empty text, text of ARRAYSPEC_TEXT_MAX bytes
 * or more, anything but digits, ',', '-', ':' and one '%', ranges that end
 * before they start, a step or limit of 0, ids above ARRAYSPEC_ID_MAX, and
 * more than max_tasks ids as written (a repeated id counts each time).
 * Returns 0 (free *out with arrayspec_free()), or -1 with a message in err
 * such as "array '0-9x': unexpected 'x' at 4", or -2 when the text is
 * good but has more than max_tasks ids (*out then holds nothing).
 */
int arrayspec_parse(const char *text, int max_tasks, struct arrayspec *out,
    char *err, size_t errlen);
/* Releases what arrayspec_parse() gave; *a is left empty. */
void arrayspec_free(struct arrayspec *a);
/*
 * Writes ascending ids ids[0..n-1] as text: runs of consecutive ids as
 * "a-b", others alone, joined by ',', then "%N" when max_running > 0
 * ("5-9,12%2"). Like snprintf: returns the length the whole text needs
 * (without the NUL) and writes what fits in buf[len], NUL-terminated when
 * len > 0.
 */
size_t arrayspec_format(
    const int *ids, int n, int max_running, char *buf, size_t len);

#endif
