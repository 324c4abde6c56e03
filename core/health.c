/*
 * Node health: see health.h. The decision is level-triggered: it is taken
 * again on every tick from what holds now, so a drain or a requeue that
 * the shell could not store is simply ordered again, and repeating one is
 * harmless (a drained node is not drained twice; a node whose jobs were
 * requeued has none left, and takes no new ones while a condition holds).
 */
#include <stdio.h>
#include <string.h>

#include "health.h"

/* Per condition: its name (JSON, config keys), what people read in a
 * sentence, and as a drain reason. */
static const struct {
	const char *name;
	const char *words;
	const char *terse;
} conds[HEALTH_NCONDS] = {
    [HEALTH_LEAK] = {"leak", "a coolant leak", "coolant leak"},
    [HEALTH_LOWFLOW] = {"low_flow", "low coolant flow", "low coolant flow"},
    [HEALTH_OVERTEMP] = {"overtemp",
        "an accelerator over its critical temperature",
        "accelerator over critical temperature"},
};

void
health_config_default(struct health_config *c)
{
	memset(c, 0, sizeof(*c));
	c->rule[HEALTH_LEAK].drain_after_s = 0;
	c->rule[HEALTH_LEAK].requeue = 1;
	c->rule[HEALTH_LOWFLOW].drain_after_s = 30;
	c->rule[HEALTH_LOWFLOW].requeue = 0;
	c->rule[HEALTH_OVERTEMP].drain_after_s = 60;
	c->rule[HEALTH_OVERTEMP].requeue = 0;
}

void
health_update(struct health *h, unsigned now_conds, int64_t now_ms)
{
	int c;

	for (c = 0; c < HEALTH_NCONDS; c++) {
		unsigned bit = HEALTH_BIT(c);

		if ((now_conds & bit) && !(h->conds & bit))
			h->since_ms[c] = now_ms;
		else if (!(now_conds & bit)) {
			h->since_ms[c] = 0;
			h->forced &= ~bit;
		}
	}
	h->conds = now_conds & (HEALTH_BIT(HEALTH_NCONDS) - 1);
}

int
health_usable(const struct health *h)
{
	return h->conds == 0;
}

void
health_decide(const struct health_config *cf, const struct health *h,
    int drained, int64_t now_ms, struct health_decision *d)
{
	int c;

	memset(d, 0, sizeof(*d));
	d->usable = health_usable(h);
	for (c = 0; c < HEALTH_NCONDS; c++) {
		const struct health_rule *r = &cf->rule[c];
		unsigned bit = HEALTH_BIT(c);

		if (!(h->conds & bit) || r->drain_after_s < 0 ||
		    now_ms - h->since_ms[c] < (int64_t)r->drain_after_s * 1000)
			continue;
		d->fired |= bit;
		if (!drained && !(h->forced & bit))
			d->drain = 1;
		if (r->requeue)
			d->requeue = 1;
	}
}

void
health_force(struct health *h)
{
	h->forced |= h->conds;
}

const char *
health_cond_name(enum health_cond c)
{
	return c >= 0 && c < HEALTH_NCONDS ? conds[c].name : NULL;
}

char *
health_describe(unsigned set, int terse, char *buf, size_t size)
{
	int c, n = 0, total = 0;
	size_t len;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	for (c = 0; c < HEALTH_NCONDS; c++)
		total += (set & HEALTH_BIT(c)) != 0;
	for (c = 0; c < HEALTH_NCONDS; c++) {
		if (!(set & HEALTH_BIT(c)))
			continue;
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s",
		    n == 0           ? ""
		    : n == total - 1 ? " and "
		                     : ", ",
		    terse ? conds[c].terse : conds[c].words);
		n++;
	}
	return buf;
}

char *
health_names(unsigned set, char *buf, size_t size)
{
	int c;
	size_t len;

	if (size == 0)
		return buf;
	snprintf(buf, size, "%s", set ? "" : "ok");
	for (c = 0; c < HEALTH_NCONDS; c++) {
		if (!(set & HEALTH_BIT(c)))
			continue;
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s", len ? "," : "",
		    conds[c].name);
	}
	return buf;
}
