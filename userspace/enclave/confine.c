// SPDX-License-Identifier: GPL-2.0
/*
 * confine.c - vmshield-enclaved as a program holding secrets: not
 * dumpable (no core, no ptrace by non-root, no /proc/PID/mem), every page
 * locked (never swapped), no new privileges, and a seccomp allow-list with
 * no open/openat/execve/ptrace/mprotect and no executable mapping: after
 * start it touches no file and can gain no code.
 */
#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "confine.h"
#include "vms_compiler.h"

static const int vms_allowed[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(close),
	SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep), SCMP_SYS(clock_gettime),
	SCMP_SYS(getrandom), SCMP_SYS(futex), SCMP_SYS(brk), SCMP_SYS(munmap),
	SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(restart_syscall), /* after SIGSTOP */
	SCMP_SYS(exit), SCMP_SYS(exit_group),
	SCMP_SYS(accept4), SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(sendto),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(lseek),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(sched_yield),
	/* the vTPMs (vtpm_spawn.c): a new process's socket from the spawner, messages */
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
};

int vms_confine_memory(void)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return -errno;
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		return -errno;
	return 0;
}

int vms_confine_syscalls(void)
{
	scmp_filter_ctx ctx;
	unsigned int i;
	int r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(vms_allowed); i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, vms_allowed[i], 0);
		if (r)
			goto out;
	}
	/* malloc's mappings, never executable ones */
	r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
			     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* a hung vTPM process is killed; no other signal is sent */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
				     SCMP_A1(SCMP_CMP_EQ, SIGKILL));
	if (!r)
		r = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	return r;
}
