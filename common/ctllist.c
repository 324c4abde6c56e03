/*
 * Lists of controllers and the reply that sends a client to the next one:
 * see ctllist.h.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "ctllist.h"

#define CTLLIST_SPACE " \t"

int
ctllist_parse(const char *text, struct ctllist *l, char *err, size_t errlen)
{
	const char *p = text, *end, *comma;
	size_t len;
	int i;

	memset(l, 0, sizeof(*l));
	if (text[strspn(text, CTLLIST_SPACE)] == '\0') {
		snprintf(err, errlen, "no address given");
		return -1;
	}
	for (;;) {
		p += strspn(p, CTLLIST_SPACE);
		comma = strchr(p, ',');
		end = comma != NULL ? comma : p + strlen(p);
		while (end > p && strchr(CTLLIST_SPACE, end[-1]) != NULL)
			end--;
		len = (size_t)(end - p);
		if (len == 0) {
			snprintf(err, errlen,
			    "'%s': address %d of the list is empty", text,
			    l->n + 1);
			return -1;
		}
		if (l->n == CTLLIST_MAX) {
			snprintf(err, errlen, "'%s': more than %d addresses",
			    text, CTLLIST_MAX);
			return -1;
		}
		if (len >= CTLLIST_URL_MAX) {
			snprintf(err, errlen,
			    "address %d of the list is longer than %d "
			    "characters",
			    l->n + 1, CTLLIST_URL_MAX - 1);
			return -1;
		}
		memcpy(l->url[l->n], p, len);
		l->url[l->n][len] = '\0';
		for (i = 0; i < l->n; i++)
			if (strcmp(l->url[i], l->url[l->n]) == 0) {
				snprintf(err, errlen, "'%s' is given twice",
				    l->url[i]);
				return -1;
			}
		l->n++;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

/* Copies s into out (size bytes), unprintable bytes as '?'. */
static void
printable(const char *s, char *out, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		out[i] = s[i] >= ' ' && s[i] <= '~' ? s[i] : '?';
	out[i] = '\0';
}

int
ctllist_passive(
    long status, const char *body, size_t len, char *why, size_t whylen)
{
	json_t *root, *e, *code, *active;
	const char *words;
	char url[CTLLIST_WHY_MAX];
	int rc = 0;

	if (status != 503 || body == NULL ||
	    (root = json_loadb(body, len, 0, NULL)) == NULL)
		return 0;
	e = json_object_get(root, "error");
	code = json_object_get(e, "code");
	if (json_is_string(code) &&
	    (strcmp(json_string_value(code), "standby") == 0 ||
	        strcmp(json_string_value(code), "not_active") == 0)) {
		words = strcmp(json_string_value(code), "standby") == 0
		            ? "standby"
		            : "not active";
		active = json_object_get(e, "active");
		if (json_is_string(active) && json_string_length(active) > 0) {
			printable(json_string_value(active), url, sizeof(url));
			snprintf(why, whylen, "%s (the active one is %s)",
			    words, url);
		} else
			snprintf(why, whylen, "%s", words);
		rc = 1;
	}
	json_decref(root);
	return rc;
}
