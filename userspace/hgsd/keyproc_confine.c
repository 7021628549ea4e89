// SPDX-License-Identifier: GPL-2.0
/*
 * keyproc_confine.c - what the key process may still do once it holds
 * the keys: PR_SET_NO_NEW_PRIVS, then a seccomp allow-list (libseccomp)
 * applied to all its threads at once. Anything else kills the whole
 * process (SCMP_ACT_KILL_PROCESS, SIGSYS); hgsd sees it exit and stops
 * with a log line that says so (keyproc_report_exit()).
 *
 * The list is what serving needs and nothing more: socket I/O on the
 * channels it already has (no socket, connect, bind, accept), memory,
 * time, randomness, and plain file operations for a new guardian's
 * encrypted key file (read the master key, write temp, fsync, link or
 * rename, unlink). No exec, fork/clone, ptrace, kill, setuid, mount,
 * module or BPF calls, no ioctl.
 */
#include <errno.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

#include <seccomp.h>

#include "keyproc.h"
#include "vms_compiler.h"

static const int allowed[] = {
	/* channel I/O and logging */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(recvfrom), SCMP_SYS(recvmsg), SCMP_SYS(sendto), SCMP_SYS(sendmsg),
	SCMP_SYS(close),
	/* threads, memory */
	SCMP_SYS(futex), SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap),
	SCMP_SYS(mremap), SCMP_SYS(mprotect), SCMP_SYS(madvise),
	SCMP_SYS(sched_yield), SCMP_SYS(rseq), SCMP_SYS(set_robust_list),
	SCMP_SYS(sigaltstack),
	/* identity, time, randomness (OpenSSL's fork check calls getpid) */
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getrandom),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
	/* signals and exit */
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(restart_syscall),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
	/* guardian key files: read the master key, write one atomically */
	SCMP_SYS(openat), SCMP_SYS(open), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
	SCMP_SYS(stat), SCMP_SYS(lstat), SCMP_SYS(statx), SCMP_SYS(lseek),
	SCMP_SYS(fchmod), SCMP_SYS(fsync), SCMP_SYS(fdatasync), SCMP_SYS(fcntl),
	SCMP_SYS(link), SCMP_SYS(linkat), SCMP_SYS(rename), SCMP_SYS(renameat),
	SCMP_SYS(renameat2), SCMP_SYS(unlink), SCMP_SYS(unlinkat),
};

#ifdef VMS_SANITIZED
/*
 * A sanitized build only (make -C userspace SAN=1, VMS_SANITIZED), never
 * production: the ASan/UBSan runtime asks for the CPU count as it
 * allocates, and a report reads the program's name (readlink), asks
 * whether stderr is a terminal (ioctl TCGETS) and probes memory it dumps
 * through a pipe. Without these the key process dies of SIGSYS instead
 * of saying what the sanitizer found.
 */
static const int sanitizer_allowed[] = {
	SCMP_SYS(sched_getaffinity), SCMP_SYS(readlink), SCMP_SYS(readlinkat),
	SCMP_SYS(pipe), SCMP_SYS(pipe2),
};
#endif

int keyproc_confine(void)
{
	scmp_filter_ctx ctx;
	size_t i;
	int r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -ENOMEM;
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);	/* every thread */
	for (i = 0; !r && i < ARRAY_SIZE(allowed); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
#ifdef VMS_SANITIZED
	for (i = 0; !r && i < ARRAY_SIZE(sanitizer_allowed); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sanitizer_allowed[i], 0);
	if (!r)	/* isatty(2) only */
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_EQ, TCGETS));
#endif
	if (!r)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}
