/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keyproc.h - the key process (keyproc.c): privilege separation for the
 * service keys. The network side asks it, through this narrow interface,
 * to issue health certificates, to release keys and to add, drop or load
 * guardians; keyproc_confine.c confines it once it is set up.
 *
 * Included by main.c (start, stop, exit), the handlers that need a
 * private key (attest*.c: issue; kps.c: release; admin.c: guardians),
 * keyproc.c and keyproc_confine.c.
 */
#ifndef HGSD_KEYPROC_H
#define HGSD_KEYPROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "keyrelease.h"
#include "vms_hgs_cert.h"
#include "vms_hgs_reason.h"
#include "vms_kp.h"

struct hgsd;

struct keyproc_release_req {
	uint8_t vm_id[16];
	uint8_t enclave_pk[32];
	uint32_t level;			/* the certificate's */
	uint32_t attest_mode;		/* the certificate's: VMS_KP_ATTEST_* */
	uint32_t placement;		/* the certificate's: VMSHIELD_PLACEMENT_* */
	uint32_t platform;		/* the certificate's: enum vms_platform_type */
	uint32_t lifetime_s;		/* encryption-supported KPs */
	uint32_t n_digests;
	uint8_t digests[VMS_KR_MAX_DIGESTS][32];
	/* release format v2: the enclave's challenge and its issue time */
	uint8_t challenge[VMS_KR_CHALLENGE_LEN];
	uint64_t challenge_ns;
	/* the TK roll (issue 20): release the current TK and a new one */
	uint32_t roll;
	uint32_t lifetime_shielded_s;	/* shielded KPs (issue 18: shorter) */
	uint32_t reserved;
	/* issue 21: release flag bit 2 with this floor when nonzero */
	uint64_t vtpm_floor;
};

struct keyproc_release_rep {
	int32_t reason;			/* enum vms_hgs_reason */
	uint32_t blob_len;
	struct vms_kp_info info;
	uint8_t blob[VMS_KR_ROLL_MAX_LEN];
	/* a roll: the next TK's key id; the rolled KP follows the reply */
	uint8_t next_key_id[16];
};

/* Fork the key process; it loads the keys and hands back the TLS key. */
int keyproc_start(struct hgsd *h);
void keyproc_stop(void);
pid_t keyproc_pid(void);
/* The key process exited: reap it and log why (a seccomp kill by name). */
void keyproc_report_exit(void);
int keyproc_issue(const struct vms_health_cert_info *in, long validity_s,
		  long margin_s, uint8_t **der, size_t *len);	/* OPENSSL_free */
enum vms_hgs_reason keyproc_release(const struct keyproc_release_req *rq,
				    const uint8_t *kp, size_t kplen,
				    struct keyproc_release_rep *rep);
/*
 * The same; with @rq->roll, *@rolled gets the rolled KP (malloc; the
 * new TK enveloped to the KP's guardians, signed by one of ours).
 */
enum vms_hgs_reason keyproc_release_roll(const struct keyproc_release_req *rq,
					 const uint8_t *kp, size_t kplen,
					 struct keyproc_release_rep *rep,
					 uint8_t **rolled, size_t *rolled_len);
int keyproc_add_guardian(const char *name, char **pem);
/*
 * The KPS key's public half (X25519): the sender of every key release,
 * the one key an enclave accepts releases from. 0 or -errno.
 */
int keyproc_kps_public_key(uint8_t pk[32]);
/*
 * Drop guardian @name from the key process (its keys wiped), or load it
 * again from its key file; -ENOENT if unknown.
 */
int keyproc_guardian_drop(const char *name);
int keyproc_guardian_load(const char *name, const char *pem);
/*
 * Is the key process there and answering (health, metrics)? 0; -ESRCH
 * when it is gone, -EAGAIN when it is stopped (SIGSTOP, a debugger: a
 * round trip would hang), else the round trip's errno. Never cached.
 */
int keyproc_ping(void);
/*
 * A reload: the HTTPS key then certificate, read again by the key
 * process, as one malloc'ed PEM text (wipe: vms_wipe_free(*pem, *len)).
 */
int keyproc_tls_key(char **pem, size_t *len);
/* Confine the key process once it is set up (keyproc_confine.c). */
int keyproc_confine(void);

#endif /* HGSD_KEYPROC_H */
