/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keys.h - HGS's service keys (keys.c): the attestation signer, the
 * HTTPS key and the guardians, created at --init and loaded at start.
 * The key process decrypts and holds the private keys; the network
 * process loads the public parts only.
 *
 * Included by hgsd.h (struct hgsd holds the guardians), main.c (--init,
 * start, stop), keyproc.c (the key process's side) and admin.c (guardian
 * changes on the network side).
 */
#ifndef HGSD_KEYS_H
#define HGSD_KEYS_H

#include <stddef.h>

#include "vms_guardian.h"

#define HGSD_MAX_GUARDIANS 16

struct hgsd;
struct hgsd_config;

struct hgs_guardian {
	struct vms_guardian g;
	int primary;
};

/*
 * --init: create the keys, the store and hgsd.conf in @dir; -EEXIST if
 * @dir holds an HGS already. @tls_san: subjectAltName of the HTTPS
 * certificate (NULL: localhost and 127.0.0.1).
 */
int keys_init(const char *dir, struct hgsd_config *cfg, const char *tls_san);
/* Key process: decrypt everything. */
int keys_load(struct hgsd *h);
/*
 * Key process, at a reload (SIGHUP): keys/tls.key (decrypted) and
 * tls.pem read again, checked to be a pair, as one PEM text: the key,
 * then the certificate (malloc'ed, NUL-terminated; wipe it with
 * vms_wipe_free(*pem, *len)). 0 or -errno, logged.
 */
int keys_tls_reload(struct hgsd *h, char **pem, size_t *len);
/*
 * Key process: a new guardian, held in memory and written encrypted;
 * its public PEM in *pem.
 */
int keys_new_guardian_held(struct hgsd *h, const char *name, char **pem);
/* Key process: forget guardian @name; -ENOENT if unknown. */
int keys_guardian_drop(struct hgsd *h, const char *name);
/*
 * Key process: load guardian @name again from its key file, which must
 * hold the certificates the store publishes (@pem).
 */
int keys_guardian_load_held(struct hgsd *h, const char *name, const char *pem);
/* Network process: signer certificate and public guardians only. */
int keys_load_public(struct hgsd *h);
/* Network process: append a public guardian (after the store has it). */
int keys_add_public_guardian(struct hgsd *h, const char *pem);
/*
 * Network process: drop a public guardian / rename a removed guardian's
 * key file out of the way (keys/removed-guardian-NAME-TIME.pem).
 */
int keys_drop_public_guardian(struct hgsd *h, const char *name);
int keys_retire_guardian_file(struct hgsd *h, const char *name, char *out, size_t len);
void keys_free(struct hgsd *h);

/*
 * Network process: guardian @name's key file (keys/guardian-NAME.pem,
 * its private keys encrypted under the master key) as text (malloc),
 * to share it through the store; write one the store shared (never over
 * an existing file: -EEXIST; -EINVAL if it is not PEM); remove it.
 */
int keys_guardian_file_read(struct hgsd *h, const char *name, char **keyfile);
int keys_guardian_file_install(struct hgsd *h, const char *name, const char *keyfile);
int keys_guardian_file_remove(struct hgsd *h, const char *name);

#endif /* HGSD_KEYS_H */
