// SPDX-License-Identifier: GPL-2.0
/*
 * leftovers.c - run one test and fail it if it leaves a process or a
 * mount behind: `leftovers NAME CMD [ARG]...` (the check runner's wrapper,
 * userspace/Makefile).
 *
 * This process is a child subreaper, so every descendant the test
 * orphans (an hgsd, a swtpm it never stopped) is re-parented here and
 * waitpid(-1) sees it. As root the test runs in a private mount
 * namespace: a mount made there is invisible outside and goes away with
 * the namespace, and a mount still in it after the test is one the test
 * made (other engineers' mounts never propagate in). After the test:
 * descendants get a grace period to end on their own (a watchdog that
 * stops PostgreSQL, a key process dying with its hgsd); whatever is still
 * there is named on a "not ok" TAP line and killed. The exit status is
 * the test's, or 1 if it passed and left something. Its last line is a
 * TAP comment with the CPU-seconds the test and its descendants used
 * (where a suite's time goes: Documentation/testing.md).
 *
 * `leftovers --cpu FILE NAME CMD [ARG]...` (scripts/check.sh, around each
 * suite): only the accounting. After the same wait for the descendants,
 * "USER SYS" (CPU seconds of everything reaped: CMD and every descendant,
 * orphans included, since they come here) goes to FILE. No mount
 * namespace, nothing killed, the status is CMD's: a suite is judged by its
 * TAP; those still running after the grace are counted on a comment line
 * and their CPU is not.
 */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_MOUNTS	1024
#define GRACE_MS	10000	/* how long descendants may take to end */

static int mount_ids[MAX_MOUNTS];	/* the mounts before the test */
static char mount_points[MAX_MOUNTS][256];
static int n_mount_ids;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Reap what has ended; 1 if no child is left (every descendant gone). */
static int reap_all(void)
{
	for (;;) {
		pid_t p = waitpid(-1, NULL, WNOHANG);

		if (p > 0)
			continue;
		return p < 0 && errno == ECHILD;
	}
}

/* Wait up to @ms for every descendant to end; 1 if they did. */
static int wait_empty(long ms)
{
	long t;

	for (t = 0; t <= ms; t += 50) {
		if (reap_all())
			return 1;
		sleep_ms(50);
	}
	return reap_all();
}

/* "PID (comm) cmdline" of @pid into @out, the NULs of cmdline as spaces */
static void describe(pid_t pid, char *out, size_t len)
{
	char path[64], buf[200];
	size_t n = 0, i;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	for (i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	buf[n] = 0;
	snprintf(out, len, "%d %s", pid, buf);
}

/*
 * Name and kill this process's children (the orphans re-parented here);
 * their own children come here in turn. The number of processes named.
 */
static int kill_children(const char *name, int sig)
{
	char path[64], line[512], who[256];
	struct dirent *d;
	int found = 0;
	DIR *dir = opendir("/proc");

	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		pid_t pid = atoi(d->d_name), ppid = 0;
		char *p;
		FILE *f;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		p = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
		fclose(f);
		/* after "(comm)": " S PPID ..." */
		if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1 || ppid != getpid())
			continue;
		if (sig == SIGTERM) {
			describe(pid, who, sizeof(who));
			printf("# %s left a process behind: %s\n", name, who);
		}
		kill(pid, sig);
		found++;
	}
	closedir(dir);
	return found;
}

/* This namespace's mounts: their IDs and mount points; how many, or -1. */
static int read_mounts(int *ids, char (*points)[256], int max)
{
	char line[4096];
	int n = 0;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	if (!f)
		return -1;
	while (n < max && fgets(line, sizeof(line), f)) {
		/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT ..." */
		if (sscanf(line, "%d %*d %*s %*s %255s", &ids[n], points[n]) == 2)
			n++;
	}
	fclose(f);
	return n;
}

/* The mounts made since the start: named, detached; how many. */
static int new_mounts(const char *name)
{
	static int ids[MAX_MOUNTS];
	static char points[MAX_MOUNTS][256];
	int n = read_mounts(ids, points, MAX_MOUNTS), i, j, found = 0;

	/* newest last: detach from the end, so a mount over one goes first */
	for (i = n - 1; i >= 0; i--) {
		for (j = 0; j < n_mount_ids && mount_ids[j] != ids[i]; j++)
			;
		if (j < n_mount_ids)
			continue;
		printf("# %s left a mount behind: %s\n", name, points[i]);
		umount2(points[i], MNT_DETACH);
		found++;
	}
	return found;
}

/* CPU seconds in user and system mode of every descendant reaped so far */
static int reaped_cpu(double *user, double *sys)
{
	struct rusage ru;

	if (getrusage(RUSAGE_CHILDREN, &ru))
		return -1;
	*user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	*sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	return 0;
}

/* "USER SYS" CPU seconds of every reaped descendant into @path; 0 or -1 */
static int write_cpu(const char *path)
{
	double user, sys;
	FILE *f;
	int bad;

	if (reaped_cpu(&user, &sys))
		return -1;
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%.6f %.6f\n", user, sys);
	bad = ferror(f);
	return fclose(f) || bad ? -1 : 0;
}

/* The number of this process's children (the orphans re-parented here). */
static int count_children(void)
{
	char path[64];
	FILE *f;
	int n = 0;
	long pid;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", getpid());
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fscanf(f, "%ld", &pid) == 1)
		n++;
	fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	int st = 0, rc, procs = 0, mounts = 0, mount_check = 0;
	const char *name, *cpu_file = NULL;
	double user, sys;
	pid_t pid;

	if (argc >= 3 && !strcmp(argv[1], "--cpu")) {
		cpu_file = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: %s [--cpu FILE] NAME CMD [ARG]...\n", argv[0]);
		return 2;
	}
	name = argv[1];
	if (prctl(PR_SET_CHILD_SUBREAPER, 1)) {
		perror("leftovers: PR_SET_CHILD_SUBREAPER");
		return 2;
	}
	/* root: a private mount namespace (else no test can mount anyway) */
	if (!cpu_file && geteuid() == 0 && !unshare(CLONE_NEWNS) &&
	    !mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		n_mount_ids = read_mounts(mount_ids, mount_points, MAX_MOUNTS);
		mount_check = n_mount_ids > 0;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("leftovers: fork");
		return 2;
	}
	if (!pid) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "leftovers: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);

	if (cpu_file) {
		if (!wait_empty(GRACE_MS)) {
			printf("# %s: %d process(es) still running, their CPU not counted\n",
			       name, count_children());
			fflush(stdout);
		}
		if (write_cpu(cpu_file))
			fprintf(stderr, "leftovers: %s: %s\n", cpu_file, strerror(errno));
		return rc;
	}
	if (!wait_empty(GRACE_MS)) {
		procs = kill_children(name, SIGTERM);
		if (!wait_empty(2000))
			while (kill_children(name, SIGKILL) && !wait_empty(500))
				;
	}
	if (mount_check)
		mounts = new_mounts(name);
	if (procs || mounts) {
		printf("not ok - %s left %d process(es) and %d mount(s) behind (killed, detached)\n",
		       name, procs, mounts);
		if (!rc)
			rc = 1;
	}
	if (reaped_cpu(&user, &sys))
		user = sys = 0;
	printf("# %s: %.1f CPU-s\n", name, user + sys);
	fflush(stdout);
	return rc;
}
