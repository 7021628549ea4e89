// SPDX-License-Identifier: GPL-2.0
/*
 * device.c - libvmshield: /dev/vmshield from userspace.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include "vmshield.h"

int vms_dev_open(void)
{
	int fd = open(VMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

void vms_dev_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

int vms_dev_get_info(int fd, struct vmshield_info *info)
{
	memset(info, 0, sizeof(*info));
	if (ioctl(fd, VMSHIELD_IOC_GET_INFO, info) < 0)
		return -errno;
	return 0;
}

int vms_dev_release_challenge(int fd, const uint8_t kps_pk[32],
			      uint8_t challenge[32], uint64_t *challenge_ns)
{
	struct vmshield_release_challenge c;

	memset(&c, 0, sizeof(c));
	memcpy(c.kps_pk, kps_pk, sizeof(c.kps_pk));
	if (ioctl(fd, VMSHIELD_IOC_RELEASE_CHALLENGE, &c) < 0)
		return -errno;
	memcpy(challenge, c.challenge, sizeof(c.challenge));
	*challenge_ns = c.challenge_ns;
	return 0;
}

int vms_dev_enclave_report(int fd, const uint8_t nonce[32],
			   uint8_t body[VMSHIELD_REPORT_BODY_MAX], size_t *body_len,
			   uint8_t sig[VMSHIELD_REPORT_SIG_MAX], size_t *sig_len)
{
	struct vmshield_enclave_report r;

	memset(&r, 0, sizeof(r));
	memcpy(r.nonce, nonce, sizeof(r.nonce));
	if (ioctl(fd, VMSHIELD_IOC_ENCLAVE_REPORT, &r) < 0)
		return -errno;
	/* the module never says more than fits; check anyway */
	if (r.body_len > sizeof(r.body) || r.sig_len > sizeof(r.sig))
		return -EPROTO;
	memcpy(body, r.body, r.body_len);
	memcpy(sig, r.sig, r.sig_len);
	*body_len = r.body_len;
	*sig_len = r.sig_len;
	return 0;
}
