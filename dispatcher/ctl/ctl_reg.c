/* The command registry: subsystems add their commands and `show stats`
 * sections; the ctl finds a line's command here and derives `help` and
 * its usage errors from the same table, so they cannot drift from what
 * is served. Filled before the control thread starts, read-only after. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_int.h"

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int disp_ctl_register(struct disp_ctl *ctl, const struct disp_ctl_cmd *cmd)
{
	if (!cmd->verb || !cmd->verb[0] || !cmd->fn || !cmd->help)
		return -EINVAL;
	for (size_t i = 0; i < ctl->ncmds; i++) {
		const struct disp_ctl_cmd *c = &ctl->cmds[i];

		/* "flush" and "flush x" would make a line ambiguous. */
		if (strcmp(c->verb, cmd->verb) == 0 &&
		    (same(c->noun, cmd->noun) || !c->noun || !cmd->noun))
			return -EEXIST;
	}
	if (ctl->ncmds == DISP_CTL_CMDS_MAX)
		return -ENOSPC;
	ctl->cmds[ctl->ncmds++] = *cmd;
	return 0;
}

int disp_ctl_register_stats(struct disp_ctl *ctl, const char *name,
			    disp_ctl_stats_fn fn, void *arg)
{
	if (!name || !name[0] || !fn)
		return -EINVAL;
	for (size_t i = 0; i < ctl->nsections; i++)
		if (strcmp(ctl->sections[i].name, name) == 0)
			return -EEXIST;
	if (ctl->nsections == DISP_CTL_SECTIONS_MAX)
		return -ENOSPC;
	ctl->sections[ctl->nsections++] =
		(struct ctl_section){ .name = name, .fn = fn, .arg = arg };
	return 0;
}

int disp_ctl_keep(struct disp_ctl *ctl, void *p)
{
	if (ctl->nkept == sizeof(ctl->kept) / sizeof(ctl->kept[0])) {
		free(p);
		return -ENOSPC;
	}
	ctl->kept[ctl->nkept++] = p;
	return 0;
}

const struct disp_ctl_cmd *disp_ctl_lookup(const struct disp_ctl *ctl,
					   char (*w)[DISP_CTL_WORD_MAX],
					   size_t n, size_t *used)
{
	for (size_t i = 0; n > 0 && i < ctl->ncmds; i++) {
		const struct disp_ctl_cmd *c = &ctl->cmds[i];

		if (strcmp(c->verb, w[0]) != 0)
			continue;
		if (!c->noun) {
			*used = 1;
			return c;
		}
		if (n >= 2 && strcmp(c->noun, w[1]) == 0) {
			*used = 2;
			return c;
		}
	}
	return NULL;
}

/* Whether command i is the first registered with its verb. */
static bool first_of_verb(const struct disp_ctl *ctl, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (strcmp(ctl->cmds[k].verb, ctl->cmds[i].verb) == 0)
			return false;
	return true;
}

int disp_ctl_usage(const struct disp_ctl *ctl, struct disp_ctl_out *o)
{
	int r = disp_ctl_printf(o, "commands:");

	for (size_t i = 0; r == 0 && i < ctl->ncmds; i++) {
		const struct disp_ctl_cmd *c = &ctl->cmds[i];
		const char *sep = " ";

		if (!first_of_verb(ctl, i))
			continue;
		r = disp_ctl_printf(o, "%s %s", i ? ";" : "", c->verb);
		/* All nouns of the verb as one alternative. */
		for (size_t k = i; c->noun && k < ctl->ncmds; k++) {
			if (strcmp(ctl->cmds[k].verb, c->verb) != 0)
				continue;
			disp_ctl_printf(o, "%s%s", sep, ctl->cmds[k].noun);
			sep = "|";
		}
		if (c->args && c->args[0])
			r = disp_ctl_printf(o, " %s", c->args);
	}
	return r;
}

int disp_ctl_nouns(const struct disp_ctl *ctl, const char *verb,
		   struct disp_ctl_out *o)
{
	size_t n = 0, total = 0;
	int r = 0;

	for (size_t i = 0; i < ctl->ncmds; i++)
		total += strcmp(ctl->cmds[i].verb, verb) == 0 && ctl->cmds[i].noun;
	for (size_t i = 0; r == 0 && i < ctl->ncmds; i++) {
		const struct disp_ctl_cmd *c = &ctl->cmds[i];

		if (strcmp(c->verb, verb) != 0 || !c->noun)
			continue;
		n++;
		r = disp_ctl_printf(o, "%s%s", n == 1 ? "" : n == total ? " or " : ", ",
				    c->noun);
	}
	return r;
}
