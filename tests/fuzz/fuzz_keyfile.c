/* libFuzzer harness for the secret files a config names: the ticket-key
 * file reader (`backend ... ticket-key-file PATH`, tls_ticket_key_name)
 * and the ISN secret reader (`isn-secret-file PATH`), both through
 * disp_config_parse as spliced reads them at start.
 *
 * Input: one selector byte (bit 0: isn-secret-file, else ticket-key-file),
 * then the file's bytes, written to a memfd the config names by its
 * /proc/self/fd path (a regular file to fstat). Besides not crashing,
 * the reader must accept exactly the sizes it documents and keep what it
 * says it keeps: a ticket key's first 16 bytes, SHA-256 of the secret.
 * Seeds: seeds/keyfile (48 and 80 byte nginx-style keys, 16/32/64 byte
 * secrets, and the sizes just outside). Golden table: the key-file cases
 * of tests/dispatcher/test_config.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "conf/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char service[] =
	"service s {\n vip 10.0.0.100:443\n mode splice\n"
	" client-interface eth0\n server-interface eth1\n"
	" backend 10.0.1.1:443%s%s\n}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct disp_config *cfg = NULL;
	char text[512], err[512];
	size_t len;
	bool isn, ok;

	if (fd < 0) {
		fd = memfd_create("fuzz_keyfile", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (size < 1)
		return 0;
	isn = data[0] & 1;
	len = size - 1;
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data + 1, len, 0) != (ssize_t)len)
		abort();
	if (isn) {
		int n = snprintf(text, sizeof(text), "isn-secret-file %s\n", path);

		snprintf(text + n, sizeof(text) - (size_t)n, service, "", "");
	} else {
		snprintf(text, sizeof(text), service, " ticket-key-file ", path);
	}
	ok = disp_config_parse(text, strlen(text), "fuzz", &cfg, err, sizeof(err)) == 0;
	if (isn) {
		uint8_t md[SHA256_DIGEST_LENGTH];

		if (ok != (len >= 16 && len <= 64))
			abort(); /* accepted a size it documents as refused, or not */
		if (ok) {
			SHA256(data + 1, len, md);
			if (!cfg->has_isn_secret ||
			    memcmp(cfg->isn_secret, md, sizeof(cfg->isn_secret)) != 0)
				abort();
		}
	} else {
		if (ok != (len == 48 || len == 80))
			abort();
		if (ok) {
			const struct disp_backend_conf *b = &cfg->services[0].backends[0];

			if (!b->has_ticket_name || memcmp(b->ticket_name, data + 1, 16) != 0)
				abort();
		}
	}
	if (!ok && !strstr(err, isn ? "isn-secret-file" : "ticket-key-file"))
		abort(); /* a refusal must name the keyword */
	disp_config_free(cfg);
	return 0;
}
