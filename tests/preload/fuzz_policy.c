/* libFuzzer harness for the withsplice rule parser: rule text arrives from
 * the command line, config files and the environment. Feeds the bytes as
 * one rule (length-bounded, not NUL-terminated) and as a rule list, then
 * runs a decision with a query built from the same bytes. */
#include <splicekit/ws_policy.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ws_policy p;
	struct ws_decision d;
	struct ws_query q = { .role = WS_ROLE_CONNECT, .family = AF_INET, .prog = "fuzz" };
	char err[128];
	char *text;

	ws_policy_init(&p);
	(void)ws_policy_add_rule(&p, (const char *)data, size, err, sizeof(err));
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	(void)ws_policy_add_rules(&p, text, err, sizeof(err));
	free(text);
	if (size >= 19) {
		q.family = data[0] & 1 ? AF_INET6 : AF_INET;
		memcpy(q.addr, data + 1, 16);
		q.port = (uint16_t)(data[17] << 8 | data[18]);
		q.role = data[0] & 2 ? WS_ROLE_LISTEN : WS_ROLE_CONNECT;
	}
	ws_policy_decide(&p, &q, &d);
	return 0;
}
