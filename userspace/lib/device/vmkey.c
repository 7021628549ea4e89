// SPDX-License-Identifier: GPL-2.0
/*
 * vmkey.c - libvmshield: VM keys ("vmshield" key type), SEAL/UNSEAL with
 * buffers sized for the caller, sealed-state files, and error messages.
 * Nothing here prints; every call returns 0 (or a serial) or -errno.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vms_cleanup.h"
#include "vmshield.h"
#include "vms_fileio.h"
#include "vms_hex.h"

#define KEY_TYPE "vmshield"

int vms_dev_key_desc(const uint8_t vm_id[16], char *buf, size_t size)
{
	char uuid[VMS_UUID_STR_LEN];

	if (!vm_id || !buf)
		return -EINVAL;
	if (size < VMS_KEY_DESC_LEN)
		return -ENOSPC;
	vms_uuid_format(vm_id, uuid);
	snprintf(buf, size, "vm:%s", uuid);
	return 0;
}

int vms_dev_key_desc_uuid(const char *uuid, char *buf, size_t size)
{
	uint8_t id[16];

	if (!uuid || vms_uuid_parse(uuid, id))
		return -EINVAL;
	return vms_dev_key_desc(id, buf, size);
}

key_serial_t vms_dev_key_load(const uint8_t vm_id[16], const void *release,
			      size_t len, key_serial_t ring)
{
	char desc[VMS_KEY_DESC_LEN];
	key_serial_t s;
	int ret;

	if (!release || !len || ring == 0)
		return -EINVAL;
	ret = vms_dev_key_desc(vm_id, desc, sizeof(desc));
	if (ret)
		return ret;
	s = add_key(KEY_TYPE, desc, release, len, ring);
	return s < 0 ? -errno : s;
}

key_serial_t vms_dev_key_load_uuid(const char *uuid, const void *release,
				   size_t len, key_serial_t ring)
{
	uint8_t id[16];

	if (!uuid || vms_uuid_parse(uuid, id))
		return -EINVAL;
	return vms_dev_key_load(id, release, len, ring);
}

int vms_dev_key_revoke(key_serial_t key)
{
	if (key <= 0)
		return -EINVAL;
	return keyctl_revoke(key) < 0 ? -errno : 0;
}

int vms_dev_key_unlink(key_serial_t key, key_serial_t ring)
{
	if (key <= 0 || ring == 0)
		return -EINVAL;
	return keyctl_unlink(key, ring) < 0 ? -errno : 0;
}

key_serial_t vms_dev_key_current(const char *desc)
{
	long k;

	if (!desc || strncmp(desc, "vm:", 3))
		return -EINVAL;
	/* linked into our session keyring: the next renewal unlinks it elsewhere */
	k = keyctl_search(KEY_SPEC_USER_KEYRING, "vmshield", desc, KEY_SPEC_SESSION_KEYRING);
	return k < 0 ? -errno : (key_serial_t)k;
}

void vms_dev_free(void *p, size_t len)
{
	if (p)
		vms_wipe_free(p, len);
}

/*
 * One SEAL or UNSEAL into a heap buffer of @guess bytes; on ENOSPC the
 * kernel tells the size it needs and we try once more with that.
 */
static int seal_ioctl(int fd, unsigned long cmd, key_serial_t key,
		      uint64_t *generation, const void *in, size_t len,
		      size_t guess, uint8_t **out, size_t *out_len)
{
	struct vmshield_seal a;
	uint8_t *buf = NULL;
	size_t cap = guess ? guess : 1;
	int tries, ret = -ENOSPC;

	for (tries = 0; tries < 2 && ret == -ENOSPC; tries++) {
		buf = malloc(cap);
		if (!buf)
			return -ENOMEM;
		memset(&a, 0, sizeof(a));
		a.key_serial = key;
		a.generation = *generation;
		a.in_ptr = (uintptr_t)in;
		a.in_len = len;
		a.out_ptr = (uintptr_t)buf;
		a.out_len = cap;
		ret = ioctl(fd, cmd, &a) < 0 ? -errno : 0;
		if (ret == 0 && a.out_len <= cap)
			break;
		if (ret == 0)		/* cannot happen: the kernel lied */
			ret = -EPROTO;
		vms_dev_free(buf, cap);
		buf = NULL;
		if (ret == -ENOSPC && a.out_len > cap &&
		    a.out_len <= (uint64_t)VMSHIELD_MAX_STATE_LEN +
				 VMSHIELD_SEAL_OVERHEAD)
			cap = (size_t)a.out_len;
		else if (ret == -ENOSPC)
			break;
	}
	if (ret)
		return ret;
	*out = buf;
	*out_len = (size_t)a.out_len;
	*generation = a.generation;
	return 0;
}

static int check_call(int fd, key_serial_t key, const void *in, size_t len,
		      uint8_t **out, size_t *out_len)
{
	if (out)
		*out = NULL;
	if (out_len)
		*out_len = 0;
	if (fd < 0)
		return -EBADF;
	if (key <= 0 || !out || !out_len || (!in && len))
		return -EINVAL;
	return 0;
}

int vms_dev_seal(int fd, key_serial_t key, uint64_t generation,
		 const void *state, size_t len, uint8_t **blob,
		 size_t *blob_len)
{
	int ret = check_call(fd, key, state, len, blob, blob_len);

	if (ret)
		return ret;
	if (len > VMSHIELD_MAX_STATE_LEN)
		return -EMSGSIZE;
	return seal_ioctl(fd, VMSHIELD_IOC_SEAL, key, &generation, state, len,
			  len + VMSHIELD_SEAL_OVERHEAD, blob, blob_len);
}

int vms_dev_unseal(int fd, key_serial_t key, const void *blob, size_t len,
		   uint8_t **state, size_t *state_len, uint64_t *generation)
{
	uint64_t gen = 0;
	int ret = check_call(fd, key, blob, len, state, state_len);

	if (ret)
		return ret;
	if (len > (size_t)VMSHIELD_MAX_STATE_LEN + VMSHIELD_SEAL_OVERHEAD)
		return -EMSGSIZE;
	/* A short blob still goes to the kernel, which says what is wrong. */
	ret = seal_ioctl(fd, VMSHIELD_IOC_UNSEAL, key, &gen, blob, len,
			 len > VMSHIELD_SEAL_OVERHEAD ?
			 len - VMSHIELD_SEAL_OVERHEAD : 1, state, state_len);
	if (!ret && generation)
		*generation = gen;
	return ret;
}

int vms_dev_write_sealed(const char *path, const void *blob, size_t len)
{
	if (!path || !*path || !blob || !len)
		return -EINVAL;
	return vms_write_file_atomic(path, blob, len, 0600, 0);
}

int vms_dev_seal_to_file(int fd, key_serial_t key, uint64_t generation,
			 const void *state, size_t len, const char *path)
{
	uint8_t *blob;
	size_t blob_len;
	int ret;

	if (!path || !*path)
		return -EINVAL;
	ret = vms_dev_seal(fd, key, generation, state, len, &blob, &blob_len);
	if (ret)
		return ret;
	ret = vms_dev_write_sealed(path, blob, blob_len);
	vms_dev_free(blob, blob_len);
	return ret;
}

int vms_dev_unseal_file(int fd, key_serial_t key, const char *path,
			uint8_t **state, size_t *state_len,
			uint64_t *generation)
{
	uint8_t *blob;
	size_t blob_len;
	int ret;

	ret = check_call(fd, key, NULL, 0, state, state_len);
	if (ret)
		return ret;
	if (!path || !*path)
		return -EINVAL;
	ret = vms_read_file(path, (size_t)VMSHIELD_MAX_STATE_LEN +
			    VMSHIELD_SEAL_OVERHEAD, &blob, &blob_len);
	if (ret == -EFBIG)
		return -EMSGSIZE;
	if (ret)
		return ret;
	ret = vms_dev_unseal(fd, key, blob, blob_len, state, state_len,
			     generation);
	vms_dev_free(blob, blob_len ? blob_len : 1);
	return ret;
}

/* ---- messages ------------------------------------------------------------ */

static const char *open_msg(int e)
{
	switch (e) {
	case ENOENT:
		return "/dev/vmshield does not exist: load the module (modprobe vmshield)";
	case ENXIO:
	case ENODEV:
		return "/dev/vmshield has no driver behind it: the module is not loaded (modprobe vmshield)";
	case EACCES:
	case EPERM:
		return "permission denied on /dev/vmshield: run as root (the device is mode 0600)";
	}
	return NULL;
}

/* Errors any ioctl on the device can return. */
static const char *ioctl_msg(int e)
{
	switch (e) {
	case EBADF:
		return "not an open /dev/vmshield descriptor: call vms_dev_open() first";
	case ENOTTY:
		return "the loaded vmshield module does not know this command: update the module or the tools so they match";
	case EFAULT:
		return "bad buffer address (a tools bug: report it)";
	case ENOMEM:
		return "the kernel is out of memory: free memory and retry";
	}
	return NULL;
}

static const char *key_load_msg(int e)
{
	switch (e) {
	case EMSGSIZE:
		return "the key release has the wrong size (truncated, trailing bytes or a wrong digest count): fetch it from the key protection service again";
	case EINVAL:
		return "the key release or the VM id is malformed (description must be vm:<lower-case uuid>; the release has a bad field): check the VM id and fetch the release again";
	case EILSEQ:
		return "this is not a key release (bad magic): pass the blob the key protection service returned";
	case EPROTONOSUPPORT:
		return "the key release has a version this module does not know (version 1 releases are refused: they were not authenticated): update hgsd and the agent so KPS makes version 2 releases";
	case ENOKEY:
		return "the key release was made for another enclave (the module was reloaded since): attest again and have the key released to the current enclave key";
	case EKEYREJECTED:
		return "the key release was refused: it is for another VM than the one named, or it is a shielded key and the host is below kernel-locked (raise lockdown to confidentiality and enforce module signatures)";
	case EBADMSG:
		return "the key release failed authentication (altered, or made for another key): fetch it from the key protection service again";
	case EACCES:
		return "no Write permission on the target keyring: load the key into a keyring this process owns (e.g. its session keyring)";
	case EDQUOT:
		return "the key quota of this user is exhausted: revoke keys of stopped VMs or raise /proc/sys/kernel/keys/maxkeys";
	case ENOTDIR:
		return "the target is not a keyring: pass a keyring serial or KEY_SPEC_SESSION_KEYRING";
	case ENODEV:
		return "the vmshield key type is not registered: load the module (modprobe vmshield)";
	case ENOMEM:
		return "the kernel is out of memory: free memory and retry";
	case EFAULT:
		return "bad buffer address (a tools bug: report it)";
	case EPERM:
		return "the key release was made by another KPS key than the one this enclave accepts (or none was named yet): only the HGS the enclave's report names can release keys to it";
	case ESTALE:
		return "the key release answers no pending challenge of this enclave (already used, made for another enclave identity, or never issued): a release loads once; ask KPS for a new one";
	case ETIME:
		return "the key release answers a challenge older than 300 s: ask KPS for a new release with a fresh challenge";
	case EKEYEXPIRED:
		return "the key release expired before it was added (its lifetime runs from the enclave's challenge): ask KPS for a new one";
	case EALREADY:
		return "this key release was already opened during this load of the module: revocation is final; ask KPS for a new release";
	}
	return NULL;
}

static const char *key_drop_msg(int e)
{
	switch (e) {
	case ENOKEY:
		return "no such key (already gone or never loaded): nothing to do";
	case EKEYREVOKED:
		return "the key was already revoked: nothing to do";
	case EKEYEXPIRED:
		return "the key has already expired: nothing to do";
	case EACCES:
		return "no permission on the key or the keyring: act on a key this process possesses";
	case EINVAL:
		return "invalid key or keyring serial: pass the serial vms_dev_key_load() returned and its keyring";
	case ENOENT:
		return "the key is not linked in that keyring: nothing to unlink";
	case ENOTDIR:
		return "the target is not a keyring: pass the keyring the key was loaded into";
	}
	return NULL;
}

/* Shared by SEAL and UNSEAL. */
static const char *seal_common_msg(int e)
{
	switch (e) {
	case EINVAL:
		return "the request was refused as malformed, or the serial is not a vmshield key: pass the serial vms_dev_key_load() returned";
	case ENOKEY:
		return "no such key, or not visible to this process: load the VM's key release first (vms_dev_key_load) into a keyring this process possesses";
	case EACCES:
		return "this program is not an approved worker for this VM's key (its IMA digest is not in the key release) or has no Read permission on the key: run the registered worker binary, or load the key into a keyring it possesses";
	case EPERM:
		return "the worker is dumpable: call prctl(PR_SET_DUMPABLE, 0) before sealing or unsealing shielded state";
	case EKEYEXPIRED:
		return "the VM's key has expired: have the key released again (attest, then request a new release) and load it";
	case EKEYREVOKED:
		return "the VM's key was revoked (or failed closed after an error): have the key released again and load it";
	case EDQUOT:
		return "the VM's key reached its seal limit: have the key released again and load the new release";
	case ENOSPC:
		return "the output buffer was too small (a library bug: report it)";
	}
	return NULL;
}

static const char *seal_msg(int e)
{
	switch (e) {
	case EMSGSIZE:
		return "the state is larger than the module accepts (max_state_len, 16 MiB): shrink the state";
	case EKEYREJECTED:
		return "a shielded VM's state cannot be sealed on this host: it is below kernel-locked (raise lockdown to confidentiality and enforce module signatures)";
	}
	return seal_common_msg(e);
}

static const char *unseal_msg(int e)
{
	switch (e) {
	case EMSGSIZE:
		return "the sealed state is truncated, has trailing bytes, or is over the size cap: restore the last good sealed-state file";
	case EILSEQ:
		return "this is not a sealed-state file (bad magic): check the path";
	case EPROTONOSUPPORT:
		return "the sealed state has a version this module does not know: update the module";
	case EINVAL:
		return "the sealed state has unknown header flags, or the serial is not a vmshield key, or the request is malformed: check the file and pass the serial vms_dev_key_load() returned";
	case EKEYREJECTED:
		return "the sealed state belongs to another VM or key id, or the host is below kernel-locked for a shielded key: use this VM's own state file and key, on a locked host";
	case EBADMSG:
		return "the sealed state failed authentication: it was altered or sealed under another key; restore the last good copy";
	}
	return seal_common_msg(e);
}

static const char *file_msg(int e)
{
	switch (e) {
	case ENOENT:
		return "the sealed-state file does not exist: check the path (a new VM has no state yet)";
	case EACCES:
	case EPERM:
		return "permission denied on the sealed-state file or its directory: check ownership and modes";
	case ENOSPC:
		return "the disk is full: free space; the previous sealed state is intact";
	case EROFS:
		return "the file system is read-only: store sealed state on a writable file system";
	case EISDIR:
		return "the path is a directory: pass the sealed-state file's path";
	case EMSGSIZE:
	case EFBIG:
		return "the sealed-state file is larger than any sealed state can be: check the path";
	case EIO:
		return "I/O error on the sealed-state file: check the disk; the previous sealed state is intact";
	}
	return NULL;
}

/* Under VMS_OP_ANY: one text per errno, covering every operation. */
static const char *any_msg(int e)
{
	switch (e) {
	case ENOENT:
		return open_msg(e);
	case EACCES:
		return "permission denied: /dev/vmshield needs root; for a key, this program is not an approved worker for this VM's key (its IMA digest is not in the key release) or has no Read permission on the key, or no Write permission on the keyring";
	case EPERM:
		return "operation not permitted: the worker is dumpable, call prctl(PR_SET_DUMPABLE, 0) before unsealing; or /dev/vmshield needs root";
	case EINVAL:
		return "the module refused the request as malformed (bad VM id or key release field, not a vmshield key, or bad flags): check the inputs";
	case EMSGSIZE:
		return "wrong size: a key release or sealed state is truncated or has trailing bytes, or the state is over the 16 MiB cap";
	case ENOKEY:
		return "no usable key: the key is not loaded or not visible to this process, or the release was made for another enclave (attest again and have the key released to the current enclave)";
	case EKEYREJECTED:
		return "refused: the key release or sealed state belongs to another VM, or a shielded key was used on a host below kernel-locked (raise lockdown to confidentiality)";
	case EBADMSG:
		return "authentication failed: the key release or sealed state was altered or made for another key; fetch the release again or restore the last good state";
	case EDQUOT:
		return "quota reached: the VM's key reached its seal limit (have it released again), or the user's key quota is exhausted";
	case ENODEV:
	case ENXIO:
		return open_msg(e);
	case ENOSPC:
		return "no space: an output buffer was too small (a library bug), or the disk is full";
	case EHOSTDOWN:
		return "the enclave (vmshield-enclaved, placement hypervisor) did not answer in time or is not running: check it on the machine that hosts it; nothing was used";
	case EPROTO:
		return "the enclave (placement hypervisor) answered something malformed: the call was refused; check vmshield-enclaved's log";
	case EOPNOTSUPP:
		return "not supported here: an enclave report needs placement hypervisor with a platform key";
	}
	return NULL;
}

const char *vms_dev_op_strerror(enum vms_op op, int err)
{
	const char *m = NULL;
	int e = err < 0 ? -err : err;

	switch (op) {
	case VMS_OP_OPEN:
		m = open_msg(e);
		break;
	case VMS_OP_INFO:
		m = e == EINVAL ?
			"the module refused GET_INFO as malformed (a tools bug: report it)" :
			NULL;
		break;
	case VMS_OP_KEY_LOAD:
		m = key_load_msg(e);
		break;
	case VMS_OP_KEY_DROP:
		m = key_drop_msg(e);
		break;
	case VMS_OP_SEAL:
		m = seal_msg(e);
		break;
	case VMS_OP_UNSEAL:
		m = unseal_msg(e);
		break;
	case VMS_OP_FILE:
		m = file_msg(e);
		break;
	case VMS_OP_ANY:
		m = any_msg(e);
		if (!m)
			m = seal_msg(e);
		if (!m)
			m = unseal_msg(e);
		if (!m)
			m = key_load_msg(e);
		break;
	}
	if (!m)
		m = ioctl_msg(e);
	if (!m && op == VMS_OP_ANY)
		m = file_msg(e);
	return m ? m : strerror(e);
}

const char *vms_dev_strerror(int err)
{
	return vms_dev_op_strerror(VMS_OP_ANY, err);
}
