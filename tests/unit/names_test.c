/*
 * Names: the check of free text (job names, drain reasons, comments),
 * which refuses controls, the Unicode bidirectional controls and invalid
 * UTF-8, and says which character.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "names.h"

/* Per case: the text; NULL when accepted, else a fragment of why. */
static const struct {
	const char *text;
	const char *why;
} cases[] = {
    {"", NULL}, {"train resnet", NULL}, {"fan swap, ticket #42 (Zoë)", NULL},
    {"\xe6\xb8\xac\xe8\xa9\xa6 \xf0\x9f\x9a\x80", NULL}, /* CJK, emoji */
    {"a\tb", "U+0009 (control character)"},
    {"a\nb", "U+000A (control character)"},
    {"a\x1b[31m", "U+001B (control character)"}, {"del\x7f", "U+007F (delete)"},
    {"c1 \xc2\x85", "U+0085 (control character)"},
    {"c1 \xc2\x9f", "U+009F (control character)"}, {"ok \xc2\xa0 nbsp", NULL},
    {"evil\xe2\x80\xaetxt.exe", "U+202E (right-to-left override)"},
    {"\xe2\x80\xaa", "U+202A (left-to-right embedding)"},
    {"\xe2\x80\xab", "U+202B (right-to-left embedding)"},
    {"\xe2\x80\xac", "U+202C (pop directional formatting)"},
    {"\xe2\x80\xad", "U+202D (left-to-right override)"},
    {"\xe2\x81\xa6", "U+2066 (left-to-right isolate)"},
    {"\xe2\x81\xa7", "U+2067 (right-to-left isolate)"},
    {"\xe2\x81\xa8", "U+2068 (first strong isolate)"},
    {"\xe2\x81\xa9", "U+2069 (pop directional isolate)"},
    {"\xe2\x80\x8e", "U+200E (left-to-right mark)"},
    {"\xe2\x80\x8f", "U+200F (right-to-left mark)"},
    {"\xd8\x9c", "U+061C (arabic letter mark)"},
    {"\xe2\x80\x8d zwj is fine", NULL}, {"bad \xff", "invalid UTF-8 at byte 4"},
    {"\xc0\xaf", "invalid UTF-8 at byte 0"},     /* overlong '/' */
    {"\xe0\x80\xae", "invalid UTF-8"},           /* overlong */
    {"\xed\xa0\x80", "invalid UTF-8"},           /* surrogate */
    {"\xf4\x90\x80\x80", "invalid UTF-8"},       /* > U+10FFFF */
    {"cut \xe2\x80", "invalid UTF-8 at byte 4"}, /* truncated */
    {"\x80", "invalid UTF-8"},                   /* lone continuation */
};

int
main(void)
{
	char why[128];
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		int rc;

		why[0] = '\0';
		rc = names_text_check(cases[i].text, why, sizeof(why));
		if (cases[i].why == NULL)
			CHECK(rc == 0, "case %zu: refused: %s", i, why);
		else
			CHECK(rc == -1 && strstr(why, cases[i].why) != NULL,
			    "case %zu: rc %d, got '%s' want '%s'", i, rc, why,
			    cases[i].why);
	}
	return check_summary("names_test");
}
