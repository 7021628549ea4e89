// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_codec - libFuzzer harness: base64, hex and UUID decoding
 * (lib/util/b64.c, hex.c), which read every binary field of the HGS wire
 * protocol. What decodes re-encodes to what decodes to the same bytes;
 * what is refused leaves no output. Seeds: corpus/fuzz_codec/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vms_b64.h"
#include "vms_hex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void b64_round_trip(const char *s, size_t len)
{
	uint8_t *out = NULL, *again = NULL;
	size_t olen = 0, alen = 0;
	char *enc;

	if (vms_b64_decode(s, len, 4096, &out, &olen)) {
		if (out)
			abort();
		return;
	}
	enc = vms_b64_encode(out, olen);
	if (!enc || vms_b64_decode(enc, strlen(enc), 4096, &again, &alen) ||
	    alen != olen || memcmp(out, again, olen))
		abort();
	free(enc);
	free(out);
	free(again);
}

static void hex_round_trip(const char *s)
{
	uint8_t out[512], again[512], uuid[16];
	char enc[2 * sizeof(out) + 1];
	size_t olen = 0, alen = 0;

	if (!vms_hex_decode(s, out, sizeof(out), &olen)) {
		if (olen > sizeof(out))
			abort();
		vms_hex_encode(out, olen, enc);
		if (vms_hex_decode(enc, again, sizeof(again), &alen) || alen != olen ||
		    memcmp(out, again, olen))
			abort();
	}
	vms_uuid_parse(s, uuid);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	b64_round_trip(s, size);
	hex_round_trip(s);
	free(s);
	return 0;
}
