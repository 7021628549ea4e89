// SPDX-License-Identifier: GPL-2.0
/*
 * hostkey.c - the host key (host-key attestation mode): an Ed25519 key
 * pair in state_dir, generated once by `hgs-agent --init` (0600, never
 * overwritten), whose public half the HGS admin registers with
 * `shieldctl hgs host add`.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "vms_cleanup_ssl.h"
#include "vms_errmsg.h"
#include "vms_fileio.h"
#include "vms_x509.h"

static void key_paths(const struct agent_config *c, char *priv, char *pub,
		      size_t len)
{
	snprintf(priv, len, "%s/%s", c->state_dir, AGENT_HOST_KEY_FILE);
	snprintf(pub, len, "%s/%s", c->state_dir, AGENT_HOST_PUB_FILE);
}

int hostkey_init(const struct agent_config *c)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *k = NULL;
	char priv[AGENT_PATH_MAX + 32], pub[AGENT_PATH_MAX + 32];
	char fpr[VMS_FPR_HEX_LEN];
	int r;

	key_paths(c, priv, pub, sizeof(priv));
	if (mkdir(c->state_dir, 0700) && errno != EEXIST) {
		r = -errno;
		fprintf(stderr, "hgs-agent: cannot create %s: %s\n", c->state_dir,
			strerror(-r));
		return r;
	}
	if (access(priv, F_OK) == 0) {
		fprintf(stderr, "hgs-agent: %s exists: refusing to replace the host key (HGS knows this host by it). To start over, remove it and have the HGS admin re-register the new key.\n",
				priv);
		return -EEXIST;
	}
	k = vms_pkey_gen_ed25519();
	if (!k)
		return -ENOMEM;
	r = vms_pkey_write_private(priv, k, NULL, VMS_WRITE_NOCLOBBER);
	if (r) {
		fprintf(stderr, "hgs-agent: cannot write %s: %s\n", priv,
			vms_file_strerror(r));
		return r;
	}
	r = vms_pkey_write_public(pub, k);
	if (r) {
		unlink(priv);
		fprintf(stderr, "hgs-agent: cannot write %s: %s\n", pub,
			vms_file_strerror(r));
		return r;
	}
	vms_pkey_fingerprint(k, fpr);
	printf("host key:   %s (Ed25519, private, mode 0600)\n", priv);
	printf("public key: %s\n", pub);
	printf("sha256:     %s\n", fpr);
	printf("\nGive the public key to the HGS admin, who registers it with:\n\n");
	printf("  shieldctl hgs host add %s --key %s\n", c->host_name, pub);
	return 0;
}

int hostkey_load(const struct agent_config *c, EVP_PKEY **out)
{
	char priv[AGENT_PATH_MAX + 32], pub[AGENT_PATH_MAX + 32];
	struct stat st;
	int r;

	*out = NULL;
	key_paths(c, priv, pub, sizeof(priv));
	if (stat(priv, &st))
		return -errno;
	if (st.st_mode & 077) {
		log_err("host_key", "path=\"%s\" error=\"readable by others: chmod 600 it (and consider it exposed)\"",
				    priv);
		return -EPERM;
	}
	r = vms_pkey_read_private(priv, NULL, out);
	if (!r && !vms_pkey_is_host_key_type(*out)) {
		EVP_PKEY_free(*out);
		*out = NULL;
		r = -EKEYREJECTED;
	}
	return r;
}

int hostkey_export(const struct agent_config *c)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *k = NULL;
	_cleanup_(vms_freep) char *pem = NULL;
	int r = hostkey_load(c, &k);

	if (r) {
		fprintf(stderr, "hgs-agent: no usable host key in %s (%s): run 'hgs-agent --init' first\n",
				c->state_dir, strerror(-r));
		return r;
	}
	r = vms_pkey_to_pem(k, &pem);
	if (r)
		return r;
	fputs(pem, stdout);
	return 0;
}
