/* The commands the control socket serves itself: `help` (the registry),
 * `quit` (ctl.c closes the client after the reply) and `show stats`: the
 * ctl's own counters, then each registered section. */
#include <stdio.h>

#include "ctl/ctl_int.h"

static int help(void *arg, const struct disp_ctl_args *a, struct disp_ctl_out *o)
{
	const struct disp_ctl *ctl = arg;
	int r = disp_ctl_printf(o, "commands:\n");

	(void)a;
	for (size_t i = 0; r == 0 && i < ctl->ncmds; i++) {
		const struct disp_ctl_cmd *c = &ctl->cmds[i];
		char syn[128];

		snprintf(syn, sizeof(syn), "%s%s%s%s%s", c->verb, c->noun ? " " : "",
			 c->noun ? c->noun : "", c->args ? " " : "",
			 c->args ? c->args : "");
		r = disp_ctl_printf(o, "  %-34s %s\n", syn, c->help);
	}
	return r ? r : disp_ctl_printf(o, "a trailing json or --json asks for a JSON reply\n");
}

static int quit(void *arg, const struct disp_ctl_args *a, struct disp_ctl_out *o)
{
	(void)arg;
	(void)a;
	return disp_ctl_printf(o, "bye\n");
}

static int show_stats(void *arg, const struct disp_ctl_args *a,
		      struct disp_ctl_out *o)
{
	struct disp_ctl *ctl = arg;
	uint64_t up = (disp_ctl_now_ms() - ctl->started_ms) / 1000;

	if (a->json)
		disp_ctl_printf(o, "{\"uptime_s\":%llu,\"ctl_commands\":%llu,\"ctl_errors\":%llu",
				(unsigned long long)up,
				(unsigned long long)ctl->commands,
				(unsigned long long)ctl->errors);
	else
		disp_ctl_printf(o, "uptime %llus\nctl commands %llu, errors %llu, clients refused %llu, timed out %llu\n",
				(unsigned long long)up,
				(unsigned long long)ctl->commands,
				(unsigned long long)ctl->errors,
				(unsigned long long)ctl->rejected,
				(unsigned long long)ctl->timed_out);
	for (size_t i = 0; i < ctl->nsections; i++) {
		const struct ctl_section *s = &ctl->sections[i];

		if (a->json)
			disp_ctl_printf(o, ",\"%s\":", s->name);
		s->fn(s->arg, o, a->json);
	}
	return a->json ? disp_ctl_printf(o, "}\n") : 0;
}

int disp_ctl_builtins(struct disp_ctl *ctl)
{
	const struct disp_ctl_cmd cmds[] = {
		{ "show", "stats", NULL, "uptime, control and engine counters",
		  show_stats, ctl },
		{ "help", NULL, NULL, "this list", help, ctl },
		{ "quit", NULL, NULL, "close the connection", quit, ctl },
	};
	int r = 0;

	for (size_t i = 0; r == 0 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		r = disp_ctl_register(ctl, &cmds[i]);
	return r;
}
