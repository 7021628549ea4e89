// SPDX-License-Identifier: GPL-2.0
/*
 * unload_test - rmmod refuses while /dev/vmshield is open, then unloads
 * and wipes every VM key the module ever made, including keys still linked
 * in a keyring at unload time.
 *
 * Must run LAST in a guest: it removes the module, and after lockdown the
 * unsigned module cannot be loaded again. The two tests run in file order.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "common.h"
#include "vmstest.h"
#include "kselftest_harness.h"

static int delete_module(const char *name)
{
	return syscall(__NR_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

static bool module_loaded(void)
{
	return access("/sys/module/vmshield", F_OK) == 0;
}

/* Run rmmod vmshield; its exit status, its output in @out. */
static int rmmod(char *out, size_t size)
{
	int p[2], st;
	ssize_t n, len = 0;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		execlp("rmmod", "rmmod", "vmshield", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], out + len, size - 1 - (size_t)len)) > 0)
		len += n;
	out[len] = '\0';
	close(p[0]);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

TEST(rmmod_refused_while_device_is_open)
{
	uint8_t pk[32], pt[100] = { 1 }, blob[196];
	struct vt_release rel;
	struct vt_vm vm;
	size_t n = sizeof(blob);
	char out[512];
	long k;
	int fd;

	ASSERT_TRUE(module_loaded());
	fd = vt_open_dev();
	ASSERT_GE(fd, 0);
	/* a key that outlives this process: linked in root's user keyring */
	ASSERT_EQ(0, vt_enclave_pk(fd, pk));
	vt_vm_new(&vm, VMS_KR_POLICY_ENCRYPTION_SUPPORTED, 3600);
	ASSERT_EQ(0, vt_release_build(&vm, pk, NULL, 0, &rel));
	k = vt_add(vm.desc, &rel, KEY_SPEC_USER_KEYRING);
	ASSERT_GT(k, 0);
	ASSERT_EQ(0, vt_seal(fd, (key_serial_t)k, 1, pt, sizeof(pt), blob, &n));

	/* rmmod(8) says "in use" (it fails with EBUSY before the syscall) */
	EXPECT_NE(0, rmmod(out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "in use")) TH_LOG("rmmod said: %s", out);
	/* delete_module(2) itself: the open file holds a module reference */
	EXPECT_EQ(-EWOULDBLOCK, delete_module("vmshield"));
	EXPECT_TRUE(module_loaded());
	/* nothing changed: the device and the key still work */
	n = sizeof(blob);
	EXPECT_EQ(0, vt_seal(fd, (key_serial_t)k, 2, pt, sizeof(pt), blob, &n));
	close(fd);
}

TEST(rmmod_after_close_wipes_every_key)
{
	unsigned long long created = 0, wiped = 0;
	struct vt_release rel = { .len = 164 };
	char *log, *p, *line = NULL;
	int i, n, ret = -1;

	/* the fd of the test before was closed when its process exited */
	for (i = 0; i < 50; i++) {
		ret = delete_module("vmshield");
		if (ret != -EWOULDBLOCK)
			break;
		usleep(100000);
	}
	ASSERT_EQ(0, ret) TH_LOG("delete_module: %s", strerror(-ret));
	EXPECT_FALSE(module_loaded());
	EXPECT_NE(0, access(VMSHIELD_DEV, F_OK));
	/* the key type is gone with it */
	EXPECT_EQ(-ENODEV, vt_add("vm:0f8fad5b-d9cb-469f-a165-70867728950e",
				  &rel, KEY_SPEC_USER_KEYRING));

	log = vt_dmesg();
	ASSERT_NE(NULL, log);
	for (p = strstr(log, "vmshield: unloaded: "); p;
	     p = strstr(p + 1, "vmshield: unloaded: "))
		line = p;
	ASSERT_NE(NULL, line) TH_LOG("no 'vmshield: unloaded:' line in dmesg");
	n = sscanf(line, "vmshield: unloaded: %llu vm keys created, %llu wiped",
		   &created, &wiped);
	ASSERT_EQ(2, n) TH_LOG("%.120s", line);
	EXPECT_GT(created, 0);
	EXPECT_EQ(created, wiped) TH_LOG("%.120s", line);
	EXPECT_NE(NULL, strstr(line, "enclave identity wiped"));
	ksft_print_msg("%.*s\n", (int)strcspn(line, "\n"), line);
	fflush(stdout);
	free(log);
}

TEST_HARNESS_MAIN
