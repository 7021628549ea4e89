// SPDX-License-Identifier: GPL-2.0
/*
 * kps_key.c - HGS's KPS key named to the enclave before the agent attests
 * (issue 17 item 5).
 *
 * The enclave accepts key releases from one KPS key per identity: the
 * first one a release challenge names (formats.md section 1), and its
 * isolation report says which (kps_pk=). If the agent named HGS's key
 * only at its first release, root could name its own key in between, or
 * before the agent starts, and forge releases the module loads, while
 * HGS certified the enclave on a report saying "none yet". So the agent
 * names HGS's key first, before it attests: the report HGS checks then
 * names HGS's key, and an enclave root named first is refused at the
 * attestation (KpsKeyMismatch), with no certificate and no release.
 *
 * HGS's key comes from kps_public_key in the configuration when set (a
 * pin), else from HGS's GET /v1/metadata over HTTPS verified against
 * hgs_ca_file (the same trust the certificate and releases rest on);
 * never from an unauthenticated source.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "report.h"
#include "vmshield.h"
#include "vms_cleanup_json.h"
#include "vms_hex.h"
#include "vms_hgs_client.h"

enum kps_key_state kps_key_state_of(int set, const uint8_t named[32],
				    const uint8_t hgs[32])
{
	if (!set)
		return KPS_KEY_UNNAMED;
	return memcmp(named, hgs, 32) ? KPS_KEY_OTHER : KPS_KEY_OURS;
}

int kps_key_from_metadata(json_t *md, uint8_t pk[32])
{
	const char *hex = json_string_value(json_object_get(md, "kps_public_key"));

	if (!hex || strlen(hex) != 64 || vms_hex_decode_exact(hex, pk, 32))
		return -EPROTO;
	return 0;
}

struct metadata_ex {
	uint8_t pk[32];
};

/* One GET /v1/metadata (hgs_run() tries the URLs in turn). */
static int metadata_exchange(struct vms_hgs_client *c, void *arg, char *err,
			     size_t errlen)
{
	_cleanup_json_ json_t *md = NULL;
	struct metadata_ex *x = arg;
	long http;
	int r;

	r = hgs_post(c, "/v1/metadata", NULL, &http, &md, err, errlen);
	if (r)
		return r;
	if (http != 200 || kps_key_from_metadata(md, x->pk)) {
		snprintf(err, errlen, "HGS's metadata (HTTP %ld) names no kps_public_key", http);
		return -EAGAIN;
	}
	return 0;
}

/* HGS's KPS key: the pin, else HGS's metadata; 0 or -errno with @f filled. */
static int hgs_kps_key(struct agent *a, double deadline, uint8_t pk[32],
		       struct agent_fail *f)
{
	struct metadata_ex x;
	char err[300] = "";
	int r;

	if (a->cfg.kps_pk_set) {
		memcpy(pk, a->cfg.kps_pk, 32);
		return 0;
	}
	r = hgs_run(a, deadline, metadata_exchange, &x, err, sizeof(err));
	if (r) {
		agent_fail_set(f, "attestation", "HgsUnreachable", r == -ESHUTDOWN ? -ETIMEDOUT : r,
			       "HGS's KPS key is needed before attesting and HGS's metadata did not give it (last error: %s)",
			       err);
		return f->err;
	}
	memcpy(pk, x.pk, 32);
	return 0;
}

/* The key the enclave accepts, from GET_INFO: 0 or -errno with @f filled. */
static int enclave_kps_key(int *set, uint8_t named[32], struct agent_fail *f)
{
	struct vms_isolation_report rep = { 0 };
	struct vmshield_info info;
	int fd, r;

	fd = vms_dev_open();
	if (fd < 0) {
		agent_fail_set(f, "module", "ModuleUnavailable", fd, "cannot open %s: %s",
			       VMS_DEVICE_PATH, vms_dev_op_strerror(VMS_OP_OPEN, fd));
		return fd;
	}
	r = vms_dev_get_info(fd, &info);
	vms_dev_close(fd);
	if (r) {
		agent_fail_set(f, "module", "ModuleUnavailable", r, "GET_INFO failed: %s",
			       vms_dev_op_strerror(VMS_OP_INFO, r));
		return r;
	}
	vms_report_from_info(&info, &rep);
	*set = rep.kps_set;
	memcpy(named, rep.kps_pk, 32);
	return 0;
}

int kps_key_name_first(struct agent *a, double deadline, int *named_other,
		       struct agent_fail *f)
{
	uint8_t hgs[32], named[32], c[32];
	uint64_t ns;
	int set, fd, r;

	*named_other = 0;
	r = enclave_kps_key(&set, named, f);
	if (r)
		return r;
	r = hgs_kps_key(a, deadline, hgs, f);
	if (r)
		return r;
	switch (kps_key_state_of(set, named, hgs)) {
	case KPS_KEY_OURS:
		return 0;
	case KPS_KEY_OTHER:
		*named_other = 1;
		return 0;
	case KPS_KEY_UNNAMED:
		break;
	}
	/* a release challenge names the key; the challenge itself is unused */
	fd = vms_dev_open();
	if (fd < 0) {
		agent_fail_set(f, "module", "ModuleUnavailable", fd, "cannot open %s: %s",
			       VMS_DEVICE_PATH, vms_dev_op_strerror(VMS_OP_OPEN, fd));
		return fd;
	}
	r = vms_dev_release_challenge(fd, hgs, c, &ns);
	vms_dev_close(fd);
	memset(c, 0, sizeof(c));
	if (r == -EPERM) {
		*named_other = 1;	/* someone named another key just now */
		return 0;
	}
	if (r) {
		agent_fail_set(f, "module", r == -ENOTTY ? "ModuleTooOld" : "ChallengeFailed", r,
			       "HGS's KPS key could not be named to the enclave before attesting: %s",
			       strerror(-r));
		return r;
	}
	log_info("kps_key", "msg=\"named HGS's KPS key to the enclave before attesting\"");
	return 0;
}
