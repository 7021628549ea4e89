// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_ima_sig - libFuzzer harness: the IMA v2 signature header parser
 * (the sig field of an ima-sig entry, from the host) with verification
 * against fixed RSA and EC keys, and the IMA key certificate loader (the
 * buffer of a KEY_CHECK entry). Seeds: ../tests/data/ima/.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "vms_ima_sig.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EVP_PKEY *rsa, *ec;

/*
 * The keys are made before the first input: an RSA key generation under
 * ASan on a loaded machine took longer than -timeout (10 s), which
 * libFuzzer then blamed on that input.
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!rsa || !ec)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t digest[32] = { 1, 2, 3 };
	struct vms_ima_sig s;
	struct vms_ima_key k;
	int r;

	r = vms_ima_sig_parse(data, size, &s);
	if (r == 0 || r == -ENOTSUP) {
		/* the signature is exactly the rest of the input */
		if (s.sig != data + VMS_IMA_SIG_HDR_LEN ||
		    (size_t)s.sig_len + VMS_IMA_SIG_HDR_LEN != size ||
		    data[0] != VMS_IMA_DIGSIG_TYPE ||
		    data[1] != VMS_IMA_DIGSIG_V2)
			abort();
		if ((r == 0) != (s.hash_algo == VMS_IMA_HASH_SHA256))
			abort();
		vms_ima_hash_name(s.hash_algo);
	} else if (r != -EBADMSG) {
		abort();
	}
	if (r == 0) {
		vms_ima_sig_verify(&s, digest, rsa);
		vms_ima_sig_verify(&s, digest, ec);
	}
	r = vms_ima_key_from_der(data, size, &k);
	if (r == 0) {
		if (!k.pkey || (strcmp(k.type, "RSA") && strcmp(k.type, "EC")))
			abort();
		vms_ima_key_free(&k);
	} else if (k.pkey) {
		abort();	/* a refused certificate leaves no key */
	}
	return 0;
}
