/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmstest.h - helpers the key and seal tests of vmshield.ko share: build
 * key releases with the format core (as KPS would), add them as "vmshield"
 * keys, drive SEAL/UNSEAL, seal and unseal in userspace with the same TK,
 * read /proc/keys, dmesg and the IMA list.
 *
 * Every function returns 0 (or a positive value it documents) or a
 * negative errno; none of them prints.
 */
#ifndef VMSTEST_H
#define VMSTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <keyutils.h>
#include <linux/vmshield.h>
#include "report.h"	/* core/: the isolation report, VMS_REPORT_MAX */
#include "keyrelease.h"
#include "sealedstate.h"

/* A VM's transport key as the test (playing KPS and the tenant) knows it. */
struct vt_vm {
	uint8_t tk[VMS_TK_LEN];
	uint8_t vm_id[VMS_KR_ID_LEN];
	uint8_t key_id[VMS_KR_ID_LEN];
	uint32_t policy;
	uint32_t lifetime_s;
	char desc[48];			/* "vm:<uuid>" */
};

/* A key release: the blob add_key() takes. */
struct vt_release {
	uint8_t blob[VMS_KR_MAX_LEN];
	size_t len;
};

/* Random TK, VM id and key id; policy and lifetime as given. */
int vt_vm_new(struct vt_vm *vm, uint32_t policy, uint32_t lifetime_s);

/* A release of @vm carrying the vTPM floor @floor (flag bit 2, issue 21). */
int vt_release_build_floor(const struct vt_vm *vm, const uint8_t enclave_pk[32],
			   uint64_t floor, struct vt_release *rel);
/* Build a release of @vm to @enclave_pk, approving @n worker @digests. */
int vt_release_build(const struct vt_vm *vm, const uint8_t enclave_pk[32],
		     const uint8_t *digests, unsigned int n,
		     struct vt_release *rel);

/*
 * Release format v2: the tests' KPS key, a challenge from the enclave
 * naming it (VMSHIELD_IOC_RELEASE_CHALLENGE), and a release from another
 * sender key (the forger's view). vt_release_build() is from vt_kps_sk.
 */
extern const uint8_t vt_kps_sk[32];
int vt_challenge(const uint8_t kps_sk[32], uint8_t c[32], uint64_t *ns);
int vt_release_build_from(const struct vt_vm *vm, const uint8_t enclave_pk[32],
			  const uint8_t kps_sk[32], const uint8_t *digests,
			  unsigned int n, struct vt_release *rel);

/* add_key("vmshield", @desc, rel, ring): the serial or -errno. */
long vt_add(const char *desc, const struct vt_release *rel, key_serial_t ring);
long vt_add_raw(const char *desc, const void *blob, size_t len,
		key_serial_t ring);

/* The device. */
int vt_open_dev(void);
int vt_enclave_pk(int fd, uint8_t pk[32]);

/*
 * SEAL/UNSEAL through the ioctl: 0 or -errno. *@outlen is the buffer size
 * in and what the kernel wrote back (also on ENOSPC) out.
 */
int vt_seal(int fd, key_serial_t serial, uint64_t generation,
	    const void *in, size_t inlen, void *out, size_t *outlen);
int vt_unseal(int fd, key_serial_t serial, const void *in, size_t inlen,
	      void *out, size_t *outlen, uint64_t *generation);

/* The same, in userspace with the format core and OpenSSL. */
int vt_us_seal(const struct vt_vm *vm, uint64_t generation,
	       const void *pt, size_t ptlen, void *out, size_t outlen);
int vt_us_unseal(const struct vt_vm *vm, const void *blob, size_t len,
		 void *out, size_t outlen, uint64_t *generation);

/* A new keyring linked into the process keyring: its serial or -errno. */
long vt_new_ring(const char *name);

/* The /proc/keys line of @serial into @line (NUL-terminated): 0 or -ENOENT. */
int vt_proc_keys_line(key_serial_t serial, char *line, size_t size);
/* The numbers that describe shows for a vmshield key; -ENOENT if absent. */
int vt_key_counters(key_serial_t serial, uint64_t *seals,
		    unsigned int *unseal_failures);

/* The kernel log (klogctl READ_ALL), malloc'ed and NUL-terminated. */
char *vt_dmesg(void);

/* SHA-256 of a file's content, and of a buffer. */
int vt_sha256_file(const char *path, uint8_t out[32]);
void vt_sha256(const void *p, size_t len, uint8_t out[32]);

/*
 * The report text the module measures into IMA, written by the same
 * core/report.c the module uses from what GET_INFO says: its length, or
 * -EINVAL for facts no module would report, -ENOSPC.
 */
int vt_report_text(const struct vmshield_info *info, char *buf, size_t size);
/*
 * Count PCR 10 entries "10 <th> ima-buf sha256:<hex of d> <name> <buffer>"
 * (or ima-ng, no buffer; a buffer must hash to @d); or -errno.
 */
int vt_ima_count_digest(const uint8_t d[32], const char *name);
/* 1-based number of the first such line; -ENOENT when there is none. */
int vt_ima_line_of(const uint8_t d[32], const char *name);

/* Does @hay contain any @win-byte window of @needle? */
bool vt_mem_has_window(const void *hay, size_t haylen,
		       const void *needle, size_t nlen, size_t win);

void vt_random(void *p, size_t len);
void vt_hex(const void *p, size_t len, char *out);
int vt_fill_pattern(void *p, size_t len, unsigned int seed);

/* Milliseconds on CLOCK_BOOTTIME. */
uint64_t vt_boot_ms(void);

#endif
