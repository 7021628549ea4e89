/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmshield.h - userspace API of the vmshield guarded-host module.
 *
 * Documentation
 * =============
 *
 * The module registers the misc device /dev/vmshield (mode 0600, root).
 * Its enclave holds the transport keys (TKs) of shielded VMs, released to
 * it by the Host Guardian Service, and never hands them to userspace.
 * Userspace talks to it with the ioctls below. Every command:
 *
 *  - takes one fixed-size struct made only of __u32/__u64/__u8 arrays,
 *    laid out with no implicit padding (identical on x86-64 and i386);
 *  - refuses unknown bits in @flags with EINVAL;
 *  - refuses non-zero reserved fields with EINVAL;
 *  - returns ENOTTY for an unknown command number;
 *  - returns EFAULT when the argument pointer is not readable/writable;
 *  - never writes the argument back on failure, unless a command's
 *    description says otherwise.
 *
 * Version: VMSHIELD_UAPI_VERSION is bumped when a command is added or a
 * reserved field gets a meaning (5: GET_INFO's lockdown_at_load,
 * ptrace_scope and kps_pk); a command's size and the meaning of a field
 * never change once released (a new number is added instead).
 *
 * The ioctl magic 0xB9 is unassigned in the kernel's ioctl-number.rst.
 *
 * Keys: a VM's transport key enters the module as a key of type
 * "vmshield": add_key("vmshield", "vm:<uuid>", release_blob, len, ring).
 * The module opens the key-release blob inside its enclave; the key has no
 * read operation. add_key errors: EMSGSIZE/EILSEQ/EPROTONOSUPPORT/EINVAL
 * (malformed blob), ENOKEY (released to another enclave), EKEYREJECTED
 * (description's VM id differs from the blob's, or a shielded key on a host
 * below kernel-locked), EALREADY (this release was already opened during
 * this load: revocation is final), ENOSPC (the load's memory of opened
 * releases is full: reload), EBADMSG (tampered), EINVAL (description not
 * "vm:<uuid>"). See Documentation/uapi.md.
 *
 * VMSHIELD_IOC_GET_INFO - describe the enclave and the isolation it has.
 *
 *	Argument: struct vmshield_info (in: flags, reserved; out: the rest).
 *	Context: process context, any caller that can open the device.
 *	The report is computed by the kernel at the time of the call.
 *
 *	In placement hypervisor (an enclave mailbox device was bound at load)
 *	@placement is VMSHIELD_PLACEMENT_HYPERVISOR, @isolation_level
 *	VMSHIELD_ISOLATION_HYPERVISOR, @enclave_pk the key the enclave
 *	(vmshield-enclaved) answers now, @max_state_len its cap (1 MiB).
 *
 *	Return: 0 on success, else -1 with errno:
 *	 EFAULT    - @arg is not a valid user pointer.
 *	 EINVAL    - @flags has an unknown bit, or a reserved field is not zero.
 *	 EHOSTDOWN - (placement hypervisor) the enclave did not answer within
 *	             the module's bound (enclave_timeout_ms), or is not ready.
 *	 EPROTO    - (placement hypervisor) the enclave's answer was malformed.
 *
 * In placement hypervisor every command and add_key() may also fail with
 * EHOSTDOWN or EPROTO as above (the enclave is down, hung or answering
 * garbage: nothing is used, no key state changes), and SEAL/UNSEAL with
 * ENOBUFS (add_key: the enclave holds its maximum of keys) or EIO (the
 * enclave failed internally). Documentation/enclave-protocol.md.
 *
 * VMSHIELD_IOC_SEAL - seal vTPM state under a loaded VM key.
 *
 *	Argument: struct vmshield_seal. @key_serial names a key of type
 *	"vmshield" (added with add_key(2), see Documentation/uapi.md), looked
 *	up with the caller's credentials; the caller needs Read permission on
 *	it (the module never returns key bytes; Read means "may use").
 *	@in_ptr/@in_len: the plaintext state (at most @max_state_len).
 *	@generation: recorded in the sealed blob's header.
 *	@out_ptr/@out_len: buffer for the sealed blob; on success @out_len is
 *	set to the bytes written.
 *	Context: process context; sleeps.
 *
 *	Return: 0 on success, else -1 with errno:
 *	 EFAULT       - a pointer is not valid user memory, or the argument
 *	                or output buffer is not writable (checked before
 *	                any work: nothing is written, no nonce spent).
 *	 EINVAL       - unknown @flags bit, reserved field not zero, or
 *	                @key_serial is not a vmshield key.
 *	 EMSGSIZE     - @in_len is over @max_state_len.
 *	 ENOSPC       - @out_len is too small: @out_len is set to the size
 *	                needed (the only failure that writes the argument
 *	                back) and nothing is written to the output buffer.
 *	 ENOKEY       - no such key, or not visible to the caller.
 *	 EACCES       - no Read permission on the key; or, for a shielded
 *	                key, the caller's executable is not an approved worker
 *	                (its IMA SHA-256 digest is not in the key's release).
 *	 EPERM        - shielded key and the caller is dumpable: call
 *	                prctl(PR_SET_DUMPABLE, 0) first.
 *	 EKEYREJECTED - shielded key and the host is below kernel-locked.
 *	 EKEYEXPIRED  - the key's lifetime is over (boot-time clock).
 *	 EKEYREVOKED  - the key was revoked, or failed closed after an error.
 *	 EDQUOT       - the key reached its seal limit: have it released again.
 *	 ENOMEM       - out of memory.
 *
 * VMSHIELD_IOC_UNSEAL - open a sealed blob under a loaded VM key.
 *
 *	Argument: struct vmshield_seal, as for SEAL with in = the sealed blob
 *	(at most @max_state_len + VMSHIELD_SEAL_OVERHEAD bytes) and out = the
 *	plaintext. On success @out_len is the plaintext length and
 *	@generation the generation recorded in the blob. Nothing is written
 *	to the output buffer unless the blob authenticated.
 *
 *	Return: 0 on success, else -1 with errno: as for SEAL, plus
 *	 EMSGSIZE        - blob truncated, trailing bytes, or over the cap.
 *	 EILSEQ          - not a sealed-state blob (bad magic).
 *	 EPROTONOSUPPORT - unknown sealed-state version.
 *	 EINVAL          - unknown header flags (also as for SEAL).
 *	 EKEYREJECTED    - the blob belongs to another VM or key id (also as
 *	                   for SEAL). A key added from a roll release (TK
 *	                   roll) opens two key ids, the current TK's and
 *	                   the next one's; SEAL writes only the next one's.
 *	 EBADMSG         - authentication failed: the blob was altered or
 *	                   sealed under another key. Counted per key.
 *
 * VMSHIELD_IOC_ENCLAVE_REPORT - the enclave's signed report for a nonce
 *	(placement hypervisor; UAPI version 2).
 *
 *	Argument: struct vmshield_enclave_report. The enclave builds the
 *	report (its public key, its program's digest, its boot id, the
 *	platform id, @nonce) and the platform signs it; the agent sends both
 *	to HGS. Context: process context; sleeps. Root only (the device).
 *
 *	Return: 0 on success, else -1 with errno:
 *	 EFAULT     - @arg is not a valid user pointer.
 *	 EINVAL     - @flags has an unknown bit, or a reserved field is not zero.
 *	 EOPNOTSUPP - placement kernel (no platform signs for this enclave), or
 *	              the enclave has no platform key.
 *	 EHOSTDOWN  - the enclave did not answer within the bound.
 *	 EPROTO     - the enclave's answer was malformed or too long.
 *
 * VMSHIELD_IOC_RELEASE_CHALLENGE - a fresh challenge for one key release
 *	(UAPI version 3).
 *	Argument: struct vmshield_release_challenge. @kps_pk names the KPS
 *	key (X25519) the enclave accepts releases from. The first call for
 *	an enclave identity sets it, once; every later call must name the
 *	same key. The enclave then issues a 32-byte random @challenge and
 *	@challenge_ns, its own clock at issue (boot time in placement kernel,
 *	vmshield-enclaved's CLOCK_BOOTTIME in placement hypervisor). The
 *	agent sends both to KPS with the release request; the release (format
 *	v2) carries them, and add_key() accepts it only while the challenge
 *	is pending: issued by this identity, not used, at most 300 s old. A
 *	key's lifetime runs from @challenge_ns. Context: process context;
 *	sleeps. Root only (the device).
 *	Return: 0 on success, else -1 with errno:
 *	 EFAULT    - @arg is not a valid user pointer.
 *	 EINVAL    - @flags has an unknown bit, a reserved field is not zero,
 *	             or @kps_pk is all-zero.
 *	 EPERM     - this enclave identity already accepts another KPS key
 *	             (it changes only with the identity: reload the module).
 *	 EBUSY     - 64 challenges are pending: one must be used or age out.
 *	 EHOSTDOWN, EPROTO - (placement hypervisor) as above.
 * add_key() errors of release format v2, besides those above: EPERM (the
 * release was made by another KPS key than the one the enclave accepts, or
 * no KPS key was set yet), ESTALE (its challenge was not issued by this
 * enclave identity, was already used, or the release names another issue
 * time), ETIME (its challenge is older than 300 s), EKEYEXPIRED (its
 * absolute expiry, challenge time + lifetime, has passed).
 * A release with flag bit 1 (the KP requires the vTPM in the enclave):
 * add_key() in placement kernel fails with EOPNOTSUPP; in placement
 * hypervisor the key loads, and SEAL/UNSEAL with it fail with EOPNOTSUPP
 * (its state is sealed only by the enclave's vTPM: VMSHIELD_IOC_VTPM).
 */
#ifndef _UAPI_LINUX_VMSHIELD_H
#define _UAPI_LINUX_VMSHIELD_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define VMSHIELD_UAPI_VERSION		6
#define VMSHIELD_DEVICE_NAME		"vmshield"

/* Where the enclave runs. */
#define VMSHIELD_PLACEMENT_KERNEL	1	/* inside vmshield.ko */
#define VMSHIELD_PLACEMENT_HYPERVISOR	2	/* in vmshield-enclaved, reached over a mailbox */

/*
 * Isolation level the module claims, from weakest to strongest.
 * KERNEL_OPEN: lockdown below confidentiality or module signatures not
 *	enforced; host root may read kernel memory.
 * KERNEL_LOCKED: lockdown at confidentiality and module signature
 *	enforcement; host root cannot read kernel memory.
 * HYPERVISOR: the host kernel never holds the keys.
 */
#define VMSHIELD_ISOLATION_KERNEL_OPEN		1
#define VMSHIELD_ISOLATION_KERNEL_LOCKED	2
#define VMSHIELD_ISOLATION_HYPERVISOR		3

/* Kernel lockdown level, as security_locked_down() shows it. */
#define VMSHIELD_LOCKDOWN_NONE			0
#define VMSHIELD_LOCKDOWN_INTEGRITY		1
#define VMSHIELD_LOCKDOWN_CONFIDENTIALITY	2

/* Facts in vmshield_info.facts, each proven by the kernel at call time. */
#define VMSHIELD_FACT_SIG_ENFORCED	(1U << 0) /* unsigned modules refused */
#define VMSHIELD_FACT_MODULE_SIG_OK	(1U << 1) /* this module's signature verified */
#define VMSHIELD_FACT_SELFTEST_OK	(1U << 2) /* crypto self-test passed at load */
#define VMSHIELD_FACT_IMA_MEASURED	(1U << 3) /* report recorded by IMA */
#define VMSHIELD_FACT_KPS_SET		(1U << 4) /* @kps_pk names the accepted KPS key */
#define VMSHIELD_FACT_HOST_FACTS	(1U << 5) /* lockdown_at_load, ptrace_scope set */
#define VMSHIELD_FACT_CRASH_KERNEL	(1U << 6) /* a crash kernel is loaded (kdump) */
#define VMSHIELD_FACTS_ALL		((1U << 7) - 1)

/* vmshield_info.ptrace_scope when Yama's setting cannot be read. */
#define VMSHIELD_PTRACE_SCOPE_UNKNOWN	0xffff

#define VMSHIELD_INFO_FLAGS_ALL		0U	/* no input flag defined yet */

#define VMSHIELD_X25519_LEN		32

/**
 * struct vmshield_info - argument of VMSHIELD_IOC_GET_INFO
 * @uapi_version:	out: VMSHIELD_UAPI_VERSION of the running module.
 * @placement:		out: VMSHIELD_PLACEMENT_*.
 * @isolation_level:	out: VMSHIELD_ISOLATION_*.
 * @lockdown:		out: VMSHIELD_LOCKDOWN_*.
 * @facts:		out: VMSHIELD_FACT_* bits.
 * @flags:		in: must be 0.
 * @enclave_pk:		out: the enclave's X25519 public key (new every load).
 * @max_state_len:	out: largest plaintext SEAL/UNSEAL accepts, bytes.
 * @lockdown_at_load:	in: must be 0; out: VMSHIELD_LOCKDOWN_* when the
 *			module was loaded (with VMSHIELD_FACT_HOST_FACTS).
 * @ptrace_scope:	in: must be 0; out: Yama's ptrace_scope (0..3) when
 *			the report was last measured, or
 *			VMSHIELD_PTRACE_SCOPE_UNKNOWN (with ..._HOST_FACTS).
 * @kps_pk:		in: must be 0. out: with VMSHIELD_FACT_KPS_SET, the one
 *			KPS key the enclave accepts releases from (named by the
 *			identity's first VMSHIELD_IOC_RELEASE_CHALLENGE, and in
 *			the isolation report as kps_pk=); else all zero.
 */
struct vmshield_info {
	__u32 uapi_version;
	__u32 placement;
	__u32 isolation_level;
	__u32 lockdown;
	__u32 facts;
	__u32 flags;
	__u8  enclave_pk[VMSHIELD_X25519_LEN];
	__u32 max_state_len;
	__u16 lockdown_at_load;		/* was __u32 reserved0 */
	__u16 ptrace_scope;
	__u8  kps_pk[VMSHIELD_X25519_LEN];	/* was __u64 reserved[4] */
};

#define VMSHIELD_SEAL_FLAGS_ALL		0U	/* no input flag defined yet */
#define VMSHIELD_SEAL_OVERHEAD		96	/* sealed blob = state + this */
#define VMSHIELD_MAX_STATE_LEN		(16U << 20)

/**
 * struct vmshield_seal - argument of VMSHIELD_IOC_SEAL and _UNSEAL
 * @key_serial:	in: serial of a "vmshield" key (key_serial_t).
 * @flags:	in: must be 0.
 * @generation:	SEAL in: generation to record; UNSEAL out: the recorded one.
 * @in_ptr:	in: user address of the input.
 * @in_len:	in: input length in bytes.
 * @out_ptr:	in: user address of the output buffer.
 * @out_len:	in: its size; out: bytes written, or the size needed (ENOSPC).
 * @reserved:	in: must be 0.
 */
struct vmshield_seal {
	__s32 key_serial;
	__u32 flags;
	__u64 generation;
	__u64 in_ptr;
	__u64 in_len;
	__u64 out_ptr;
	__u64 out_len;
	__u64 reserved[2];
};

#define VMSHIELD_REPORT_NONCE_LEN	32
#define VMSHIELD_REPORT_BODY_MAX	1024
#define VMSHIELD_REPORT_SIG_MAX		72
#define VMSHIELD_REPORT_FLAGS_ALL	0U	/* no input flag defined yet */

/**
 * struct vmshield_enclave_report - argument of VMSHIELD_IOC_ENCLAVE_REPORT
 * @nonce:	in: the HGS nonce the report must carry.
 * @flags:	in: must be 0.
 * @body_len:	out: bytes of @body used.
 * @sig_len:	out: bytes of @sig used.
 * @reserved0:	in: must be 0.
 * @body:	out: the report body, ASCII lines
 *		(Documentation/enclave-protocol.md, "REPORT").
 * @sig:	out: ECDSA P-256/SHA-256 signature over @body, DER, low-S, by
 *		the platform attestation key.
 * @reserved:	in: must be 0.
 */
struct vmshield_enclave_report {
	__u8  nonce[VMSHIELD_REPORT_NONCE_LEN];
	__u32 flags;
	__u32 body_len;
	__u32 sig_len;
	__u32 reserved0;
	__u8  body[VMSHIELD_REPORT_BODY_MAX];
	__u8  sig[VMSHIELD_REPORT_SIG_MAX];
	__u64 reserved[2];
};

#define VMSHIELD_CHALLENGE_LEN		32
#define VMSHIELD_CHALLENGE_FLAGS_ALL	0U	/* no input flag defined yet */

/**
 * struct vmshield_release_challenge - argument of
 *	VMSHIELD_IOC_RELEASE_CHALLENGE
 * @kps_pk:		in: the KPS key the enclave accepts releases from.
 * @challenge:		out: the fresh challenge.
 * @challenge_ns:	out: the enclave's clock when it issued it.
 * @flags:		in: must be 0.
 * @reserved0:		in: must be 0.
 * @reserved:		in: must be 0.
 */
struct vmshield_release_challenge {
	__u8  kps_pk[VMSHIELD_X25519_LEN];
	__u8  challenge[VMSHIELD_CHALLENGE_LEN];
	__u64 challenge_ns;
	__u32 flags;
	__u32 reserved0;
	__u64 reserved[2];
};

#define VMSHIELD_IOC_MAGIC	0xB9
#define VMSHIELD_IOC_GET_INFO	_IOWR(VMSHIELD_IOC_MAGIC, 0x00, struct vmshield_info)
#define VMSHIELD_IOC_SEAL	_IOWR(VMSHIELD_IOC_MAGIC, 0x01, struct vmshield_seal)
#define VMSHIELD_IOC_UNSEAL	_IOWR(VMSHIELD_IOC_MAGIC, 0x02, struct vmshield_seal)
#define VMSHIELD_IOC_ENCLAVE_REPORT \
	_IOWR(VMSHIELD_IOC_MAGIC, 0x03, struct vmshield_enclave_report)
#define VMSHIELD_IOC_RELEASE_CHALLENGE \
	_IOWR(VMSHIELD_IOC_MAGIC, 0x04, struct vmshield_release_challenge)

/*
 * VMSHIELD_IOC_VTPM (UAPI 4) - the VM's vTPM inside the enclave
 * (Documentation/vtpm-in-enclave.md). Placement hypervisor only: the vTPM
 * runs in vmshield-enclaved, its state is sealed there under a key derived
 * from the VM's key, and only sealed state and TPM traffic pass here.
 *
 *	Argument: struct vmshield_vtpm. @op says what:
 *	 CREATE    - start the VM's vTPM: from the sealed state at @in (as a
 *	             STORE output or GET_STATE gave it), or a new TPM when
 *	             @in_len is 0 (its first state is then a STORE output).
 *	             A rolled key's vTPM from a state under its current TK:
 *	             that state sealed under the next TK is a STORE output
 *	             (the TK roll, re-sealed inside the enclave).
 *	 DESTROY   - stop it (its sealed state stays the caller's).
 *	 COMMAND   - one TPM command at @in (10..VMSHIELD_VTPM_MAX_CMD bytes);
 *	             its response goes to @out.
 *	 CONTROL   - @ctrl (VMSHIELD_VTPM_CTRL_*) with @arg; @result is the
 *	             TPM result code; GET_ESTABLISHED writes one byte to @out.
 *	 CONFIRM   - the sealed state of @generation is stored: @out gets the
 *	             answer held for it (COMMAND's response, CONTROL's result).
 *	 GET_STATE - the current state, sealed again (a state blob for
 *	             migration), of the current @generation.
 *	 STATEMENT - the last confirmed @generation of the key's vTPM record
 *	             (it outlives a destroyed or crashed vTPM), signed by
 *	             the platform for HGS's freshness record: @out gets a
 *	             2-byte big-endian body length, the body and the
 *	             signature (Documentation/vtpm-in-enclave.md §3).
 *	When the command changed the vTPM's state, @out_flags has
 *	VMSHIELD_VTPM_STORE: @out is then the new sealed state of
 *	@generation, to be written to disk (atomically) before CONFIRM; the
 *	vTPM answers nothing else (EBUSY) until then.
 *	@out_len must be at least VMSHIELD_VTPM_OUT_MIN for every op but
 *	DESTROY (a state to store is never lost to a short buffer).
 *	Context: process context; the key's rules are SEAL's (a shielded key:
 *	an approved worker on a kernel-locked host).
 *
 *	Return: 0 on success, with @generation, @result, @out_flags and
 *	@out_len written back; else -1 with errno:
 *	 EOPNOTSUPP  - placement kernel: there is no vTPM in the enclave.
 *	 EINVAL      - unknown @op or @ctrl, a @flags bit, a reserved field,
 *	               or a field the @op does not take is not zero; CONFIRM
 *	               with no answer waiting.
 *	 EMSGSIZE    - @in_len over the @op's bound (or a command under 10).
 *	 ENOSPC      - @out_len below VMSHIELD_VTPM_OUT_MIN (nothing done).
 *	 ENOKEY, EKEYREVOKED, EKEYEXPIRED, EACCES, EKEYREJECTED - the key, as
 *	               for SEAL (a key the enclave no longer holds: its vTPM
 *	               is stopped).
 *	 ENODEV      - the key has no running vTPM (STATEMENT: no record).
 *	 EEXIST      - CREATE: the key has a running vTPM.
 *	 EPIPE       - the vTPM's process died (CREATE it again from the
 *	               last stored state).
 *	 EBUSY       - a sealed state waits for its CONFIRM.
 *	 ESTALE      - CREATE: the state is older than the enclave's
 *	               generation for this key; CONFIRM: another generation.
 *	 EILSEQ, EBADMSG, EPROTONOSUPPORT - CREATE: not a sealed state, or
 *	               not this VM's vTPM state.
 *	 ENOBUFS     - the enclave runs its maximum of vTPMs.
 *	 EHOSTDOWN, EPROTO, EIO, ENOMEM - the enclave or channel failed.
 *	 EFAULT      - a pointer is not valid (the argument and the first
 *	               VMSHIELD_VTPM_MAX_CMD bytes of @out are checked
 *	               before the call); or a sealed state to store could
 *	               not be written to @out: the vTPM is then stopped
 *	               (ENODEV until CREATE from the last stored state; no
 *	               acknowledged change is lost).
 */
#define VMSHIELD_VTPM_CREATE		1
#define VMSHIELD_VTPM_DESTROY		2
#define VMSHIELD_VTPM_COMMAND		3
#define VMSHIELD_VTPM_CONTROL		4
#define VMSHIELD_VTPM_CONFIRM		5
#define VMSHIELD_VTPM_GET_STATE		6
#define VMSHIELD_VTPM_STATEMENT		7

#define VMSHIELD_VTPM_CTRL_INIT			1	/* @arg 1: drop volatile */
#define VMSHIELD_VTPM_CTRL_SHUTDOWN		2
#define VMSHIELD_VTPM_CTRL_LOCALITY		3	/* @arg 0..4 */
#define VMSHIELD_VTPM_CTRL_CANCEL		4
#define VMSHIELD_VTPM_CTRL_STORE_VOLATILE	5
#define VMSHIELD_VTPM_CTRL_GET_ESTABLISHED	6
#define VMSHIELD_VTPM_CTRL_RESET_ESTABLISHED	7	/* @arg locality */

#define VMSHIELD_VTPM_STORE		(1U << 0)	/* @out_flags */
#define VMSHIELD_VTPM_FLAGS_ALL		0U	/* no input flag defined yet */
#define VMSHIELD_VTPM_MAX_CMD		4096
#define VMSHIELD_VTPM_MAX_STATE		(1U << 20)
#define VMSHIELD_VTPM_OUT_MIN		(VMSHIELD_VTPM_MAX_STATE + VMSHIELD_SEAL_OVERHEAD)

/**
 * struct vmshield_vtpm - argument of VMSHIELD_IOC_VTPM
 * @key_serial:	in: serial of the VM's "vmshield" key.
 * @op:		in: VMSHIELD_VTPM_*.
 * @generation:	CONFIRM in: the generation stored; out: the state's generation.
 * @ctrl:	CONTROL in: VMSHIELD_VTPM_CTRL_*; else 0.
 * @arg:	CONTROL in: its argument; else 0.
 * @result:	out: the TPM result code (CONTROL; CONFIRM of a CONTROL).
 * @flags:	in: must be 0.
 * @out_flags:	out: VMSHIELD_VTPM_STORE or 0.
 * @reserved0:	in: must be 0.
 * @in_ptr:	in: user address of the input (CREATE, COMMAND).
 * @in_len:	in: its length (else 0).
 * @out_ptr:	in: user address of the output buffer.
 * @out_len:	in: its size; out: bytes written.
 * @reserved:	in: must be 0.
 */
struct vmshield_vtpm {
	__s32 key_serial;
	__u32 op;
	__u64 generation;
	__u32 ctrl;
	__u32 arg;
	__u32 result;
	__u32 flags;
	__u32 out_flags;
	__u32 reserved0;
	__u64 in_ptr;
	__u64 in_len;
	__u64 out_ptr;
	__u64 out_len;
	__u64 reserved[2];
};

#define VMSHIELD_IOC_VTPM	_IOWR(VMSHIELD_IOC_MAGIC, 0x10, struct vmshield_vtpm)

#endif /* _UAPI_LINUX_VMSHIELD_H */
