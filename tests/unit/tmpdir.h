/*
 * A unit test's scratch directory: made under $TMPDIR (else /tmp) when the
 * test starts, removed with everything in it when it ends, or kept, and
 * named, when POD_KEEP_TMP is set, to look at what the test left.
 * Header-only, like check.h: include it once per test program.
 */
#ifndef POD_TEST_TMPDIR_H
#define POD_TEST_TMPDIR_H

#include <sys/stat.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

static int
tmpdir_rm_entry(
    const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Makes dir (size bytes) "$TMPDIR/pod-NAME-test-XXXXXX". 0, or -1 said on
 * stderr. */
static inline int
tmpdir_make(char *dir, size_t size, const char *name)
{
	const char *base = getenv("TMPDIR");

	snprintf(
	    dir, size, "%s/pod-%s-test-XXXXXX", base ? base : "/tmp", name);
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		return -1;
	}
	return 0;
}

/* Removes dir and all in it, unless POD_KEEP_TMP is set. */
static inline void
tmpdir_remove(const char *dir)
{
	if (getenv("POD_KEEP_TMP") != NULL)
		printf("kept %s\n", dir);
	else
		nftw(dir, tmpdir_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
