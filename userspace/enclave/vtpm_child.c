// SPDX-License-Identifier: GPL-2.0
/*
 * vtpm_child.c - one VM's vTPM process: libtpms (through the worker's
 * in-memory NVRAM, worker/vtpm.c) behind the messages of vtpm_child.h.
 *
 * Confinement, set before the first message: its pages locked, not
 * dumpable, killed when the spawner dies, every descriptor but its socket
 * and stderr closed, no new privileges, and a seccomp allow-list narrower
 * than the enclave's: read and write its socket, memory, time, randomness,
 * exit. No open, no socket, no fork, no exec, no kill, no ptrace: a guest
 * that found a bug in libtpms owns this process and its VM's TPM state
 * (which it could use through TPM commands anyway), nothing else.
 */
#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>
#include <libtpms/tpm_tis.h>
#include <openssl/crypto.h>

#include "enclave_proto.h"
#include "tpm_state.h"
#include "vms_compiler.h"
#include "vtpm.h"
#include "vtpm_child.h"

#define VMS_VC_RESP_BUF	(64u << 10)
#define VMS_TPM_RC_FAILURE	0x101

static const int vms_vc_allowed[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(sendmsg), SCMP_SYS(close),
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
	SCMP_SYS(getrandom), SCMP_SYS(clock_gettime), SCMP_SYS(futex),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(exit),
	SCMP_SYS(exit_group), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(restart_syscall),
};

static int vms_vc_confine(int fd)
{
	scmp_filter_ctx ctx;
	unsigned int i;
	int r, d;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) ||
	    mlockall(MCL_CURRENT | MCL_FUTURE) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	for (d = 3; d < 1024; d++)
		if (d != fd)
			close(d);
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -ENOMEM;
	for (i = 0, r = 0; !r && i < ARRAY_SIZE(vms_vc_allowed); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, vms_vc_allowed[i], 0);
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!r)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

/* What one message made: the answer before it is written. */
struct vms_vc_answer {
	uint32_t result;
	uint32_t flags;
	const uint8_t *resp;
	size_t resp_len;
	struct vms_secret state;
	uint8_t byte;
};

/* The NVRAM now, as the worker's container. */
static int vms_vc_state(struct vms_vc_answer *a)
{
	const struct vms_secret *perm = vtpm_nv_get(TPMLIB_STATE_PERMANENT);
	const struct vms_secret *vol = vtpm_nv_get(TPMLIB_STATE_VOLATILE);

	if (!perm)
		return -ENODATA;
	a->flags |= VMS_VC_F_CHANGED;
	return vts_build(vol ? VTS_F_SUSPENDED : 0, perm->p, perm->len,
			 vol ? vol->p : NULL, vol ? vol->len : 0, &a->state);
}

static uint32_t vms_vc_start(const uint8_t *data, size_t len,
			     struct vms_vc_answer *a)
{
	struct vts_view v;

	if (vtpm_nv_get(TPMLIB_STATE_PERMANENT))
		return TPM_BAD_ORDINAL;		/* started once only */
	if (!len) {
		/* manufacture: MainInit finds no state and makes one */
		if (vtpm_init())
			return TPM_FAIL;
		vtpm_terminate();
		return vms_vc_state(a) ? TPM_FAIL : 0;
	}
	if (vts_parse(data, len, &v))
		return TPM_BAD_PARAMETER;
	if (vtpm_prepare() || vtpm_nv_put(TPMLIB_STATE_PERMANENT, v.perm,
					  v.perm_len))
		return TPM_FAIL;
	if ((v.flags & VTS_F_SUSPENDED) && v.vol_len &&
	    vtpm_nv_put(TPMLIB_STATE_VOLATILE, v.vol, v.vol_len))
		return TPM_FAIL;
	return 0;
}

static uint32_t vms_vc_command(const uint8_t *cmd, size_t len,
			       struct vms_vc_answer *a)
{
	static unsigned char *resp;
	static uint32_t resp_size, last_len;
	static uint8_t failure[10];
	unsigned char *copy;
	uint32_t rlen = 0;
	TPM_RESULT rc;

	if (!resp) {
		/* big enough for any response: libtpms never reallocs it */
		resp = malloc(VMS_VC_RESP_BUF);
		if (!resp)
			return TPM_FAIL;
		resp_size = VMS_VC_RESP_BUF;
	}
	/* the last response only: libtpms writes no further than that */
	OPENSSL_cleanse(resp, last_len);
	last_len = 0;
	if (vtpm_is_running() && len >= 10 && len <= VMS_EP_VTPM_MAX_CMD) {
		copy = OPENSSL_malloc(len);
		if (!copy)
			return TPM_FAIL;
		memcpy(copy, cmd, len);
		rc = TPMLIB_Process(&resp, &rlen, &resp_size, copy,
				    (uint32_t)len);
		OPENSSL_clear_free(copy, len);
		last_len = rlen < resp_size ? rlen : resp_size;
		if (rc == TPM_SUCCESS && rlen >= 10 && resp &&
		    rlen <= VMS_EP_VTPM_MAX_CMD) {
			a->resp = resp;
			a->resp_len = rlen;
			if (vtpm_nv_changed() && vms_vc_state(a))
				return TPM_FAIL;
			return 0;
		}
	}
	/* not running, or libtpms failed: TPM_RC_FAILURE, as swtpm does */
	failure[0] = 0x80;
	failure[1] = 0x01;
	failure[5] = 10;
	failure[6] = 0;
	failure[7] = 0;
	failure[8] = VMS_TPM_RC_FAILURE >> 8;
	failure[9] = VMS_TPM_RC_FAILURE & 0xff;
	a->resp = failure;
	a->resp_len = sizeof(failure);
	return 0;
}

static bool vms_vc_needs_running(uint32_t op)
{
	return op == VMS_VTPM_CTRL_CANCEL ||
	       op == VMS_VTPM_CTRL_STORE_VOLATILE ||
	       op == VMS_VTPM_CTRL_GET_ESTABLISHED ||
	       op == VMS_VTPM_CTRL_RESET_ESTABLISHED;
}

static uint32_t vms_vc_control(uint32_t op, uint32_t arg,
			       struct vms_vc_answer *a)
{
	TPM_BOOL bit = 0;
	uint32_t res;
	bool had_vol;

	if (vms_vc_needs_running(op) && !vtpm_is_running())
		return TPM_BAD_ORDINAL;
	switch (op) {
	case VMS_VTPM_CTRL_INIT:
		if (!vtpm_nv_get(TPMLIB_STATE_PERMANENT))
			return TPM_FAIL;
		had_vol = vtpm_nv_get(TPMLIB_STATE_VOLATILE) != NULL;
		if (vtpm_init())
			return TPM_FAIL;
		if (arg & 1)
			vtpm_nv_put(TPMLIB_STATE_VOLATILE, NULL, 0);
		if ((vtpm_nv_changed() ||
		     (had_vol && !vtpm_nv_get(TPMLIB_STATE_VOLATILE))) &&
		    vms_vc_state(a))
			return TPM_FAIL;
		return 0;
	case VMS_VTPM_CTRL_SHUTDOWN:
		vtpm_terminate();
		if (vtpm_nv_changed() && vms_vc_state(a))
			return TPM_FAIL;
		return 0;
	case VMS_VTPM_CTRL_LOCALITY:
		if (arg > 4)
			return TPM_BAD_LOCALITY;
		vtpm_set_locality((uint8_t)arg);
		return 0;
	case VMS_VTPM_CTRL_CANCEL:
		return TPMLIB_CancelCommand();
	case VMS_VTPM_CTRL_STORE_VOLATILE:
		if (vtpm_store_volatile() || vms_vc_state(a))
			return TPM_FAIL;
		return 0;
	case VMS_VTPM_CTRL_GET_ESTABLISHED:
		res = TPM_IO_TpmEstablished_Get(&bit);
		a->byte = bit ? 1 : 0;
		a->resp = &a->byte;
		a->resp_len = 1;
		return res;
	case VMS_VTPM_CTRL_RESET_ESTABLISHED:
		if (arg > 4)
			return TPM_BAD_LOCALITY;
		vtpm_set_locality((uint8_t)arg);
		res = TPM_IO_TpmEstablished_Reset();
		vtpm_set_locality(0);
		return res;
	case VMS_VC_STATE:
		return vms_vc_state(a) ? TPM_FAIL : 0;
	}
	return TPM_BAD_ORDINAL;
}

static uint32_t vms_vc_dispatch(const uint8_t *msg, size_t len,
				struct vms_vc_answer *a)
{
	uint32_t op, arg;

	if (len < 8)
		return TPM_BAD_PARAMETER;
	memcpy(&op, msg, 4);
	memcpy(&arg, msg + 4, 4);
	if (op == VMS_VC_START)
		return vms_vc_start(msg + 8, len - 8, a);
	if (op == VMS_VC_COMMAND)
		return vms_vc_command(msg + 8, len - 8, a);
	if (len != 8)
		return TPM_BAD_PARAMETER;
	return vms_vc_control(op, arg, a);
}

_Noreturn void vms_vtpm_child_main(int fd)
{
	if (vms_vc_confine(fd))
		_exit(127);
	for (;;) {
		struct vms_vc_answer a = { 0 };
		uint32_t hdr[3];
		uint8_t *msg;
		size_t len;
		int r;

		if (vms_vc_read(fd, -1, &msg, &len))
			break;	/* the enclave closed it: this vTPM is over */
		hdr[0] = vms_vc_dispatch(msg, len, &a);
		hdr[1] = a.flags;
		hdr[2] = (uint32_t)a.resp_len;
		explicit_bzero(msg, len);
		free(msg);
		r = vms_vc_write(fd, hdr, sizeof(hdr), a.resp, a.resp_len,
				 a.state.p, a.state.len);
		vms_secret_free(&a.state);
		if (r)
			break;
	}
	vtpm_stop();
	_exit(0);
}
