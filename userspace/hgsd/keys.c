// SPDX-License-Identifier: GPL-2.0
/*
 * keys.c - HGS service keys.
 *
 * Layout of the state directory (hgsd --init DIR):
 *   DIR/keys/            0700
 *   DIR/keys/master.key  0600  64 hex digits: the password that encrypts
 *                              every private key below (PKCS#8,
 *                              AES-256-CBC, PBKDF2). Keep it off backups of
 *                              the rest, or on separate protected storage.
 *   DIR/keys/signer.key        attestation signer private key (P-256)
 *   DIR/keys/tls.key           HTTPS private key (P-256)
 *   DIR/keys/guardian-NAME.pem guardian NAME: certificates + encrypted keys
 *   DIR/signer.pem             attestation signer certificate (public)
 *   DIR/tls.pem                HTTPS certificate (public; clients pin it)
 *   DIR/hgsd.conf, DIR/hgsd.db
 * Private keys are decrypted into memory at start and never written,
 * logged or sent anywhere else; the password is wiped once they are.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "config.h"
#include "hgsd.h"
#include "keys.h"
#include "log.h"
#include "store.h"
#include "vms_cleanup_ssl.h"
#include "vms_fileio.h"
#include "vms_hex.h"
#include "vms_x509.h"

#define PASSWORD_LEN 64

static int path_join(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int read_password(const char *path, char pw[PASSWORD_LEN + 1])
{
	struct stat st;
	int r;

	if (stat(path, &st) < 0)
		return -errno;
	if (st.st_mode & 0077) {
		log_err("keys", "path=%s msg=\"master key file must not be readable by group or others (chmod 600)\"", path);
		return -EPERM;
	}
	r = vms_read_file_exact(path, (uint8_t *)pw, PASSWORD_LEN);
	pw[PASSWORD_LEN] = 0;
	if (!r && strspn(pw, "0123456789abcdef") != PASSWORD_LEN)
		r = -EINVAL;
	return r;
}

static int guardian_path(const struct hgsd_config *c, const char *name,
			 char *out, size_t len)
{
	int n = snprintf(out, len, "%s/keys/guardian-%s.pem", c->state_dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Create guardian @name, write it encrypted; public PEM into *pem. */
static int new_guardian(const struct hgsd_config *c, const char *pw,
			const char *name, struct vms_guardian *g, char **pem)
{
	char path[HGSD_PATH_MAX];
	int r;

	r = guardian_path(c, name, path, sizeof(path));
	if (!r)
		r = vms_guardian_new(name, 3650, g);
	if (!r)
		r = vms_guardian_write(path, g, 1, pw, VMS_WRITE_NOCLOBBER);
	if (!r)
		r = vms_guardian_to_pem(g, pem);
	if (r)
		vms_guardian_free(g);
	return r;
}

static int init_signer(const char *dir, const char *pw, const char *keyname,
		       const char *certname, const char *cn,
		       enum vms_cert_kind kind, long days, const char *san)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *k = vms_pkey_gen_p256();
	_cleanup_(X509_freep) X509 *c = NULL;
	char kp[HGSD_PATH_MAX], cp[HGSD_PATH_MAX];
	int r;

	if (!k)
		return -ENOMEM;
	c = vms_cert_self_signed_san(k, cn, days, kind, san);
	if (!c)
		return -ENOMEM;
	r = path_join(kp, sizeof(kp), dir, keyname);
	if (!r)
		r = path_join(cp, sizeof(cp), dir, certname);
	if (!r)
		r = vms_pkey_write_private(kp, k, pw, VMS_WRITE_NOCLOBBER);
	if (!r)
		r = vms_cert_write(cp, c);
	return r;
}

int keys_init(const char *dir, struct hgsd_config *cfg, const char *tls_san)
{
	char keys[HGSD_PATH_MAX], path[HGSD_PATH_MAX], pw[PASSWORD_LEN + 1];
	uint8_t raw[PASSWORD_LEN / 2];
	struct vms_guardian g;
	struct store *st = NULL;
	char *pem = NULL;
	int r;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	r = path_join(keys, sizeof(keys), dir, "keys");
	if (r)
		return r;
	if (mkdir(keys, 0700) < 0)
		return -errno;	/* EEXIST: refuse to re-initialise */
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -EIO;
	vms_hex_encode(raw, sizeof(raw), pw);
	OPENSSL_cleanse(raw, sizeof(raw));
	r = vms_write_file_atomic(cfg->master_key_file, pw, PASSWORD_LEN, 0600,
				  VMS_WRITE_NOCLOBBER);
	if (!r)
		r = init_signer(dir, pw, "keys/signer.key", "signer.pem",
				"vmshield HGS attestation signer", VMS_CERT_CA, 3650,
				NULL);
	if (!r)
		r = init_signer(dir, pw, "keys/tls.key", "tls.pem", "localhost",
				VMS_CERT_TLS_SERVER, 825, tls_san);
	if (!r)
		r = new_guardian(cfg, pw, "hgs-guardian-1", &g, &pem);
	OPENSSL_cleanse(pw, sizeof(pw));
	if (r)
		return r;
	vms_guardian_free(&g);
	r = store_open(cfg->db_file, &st);
	if (!r)
		r = store_guardian_add(st, "hgs-guardian-1", pem, 1, "hgsd --init");
	store_close(st);
	free(pem);
	if (!r)
		r = path_join(path, sizeof(path), dir, "hgsd.conf");
	if (!r)
		r = config_write_default(path, cfg);
	return r;
}

static int load_guardians(struct hgsd *h, const char *pw)
{
	json_t *rows = store_query(h->st, "SELECT name, certificates, is_primary FROM guardians WHERE enabled = 1 ORDER BY is_primary DESC, name",
				   0);
	char path[HGSD_PATH_MAX];
	json_t *row;
	size_t i;
	int r = 0;

	if (!rows)
		return -ENOMEM;
	json_array_foreach(rows, i, row) {
		struct hgs_guardian *hg = &h->guardians[h->n_guardians];
		const char *name = json_string_value(json_object_get(row, "name"));
		const char *pem = json_string_value(json_object_get(row, "certificates"));
		struct vms_guardian pub;

		if (h->n_guardians == HGSD_MAX_GUARDIANS) {
			r = -E2BIG;
			break;
		}
		r = guardian_path(&h->cfg, name, path, sizeof(path));
		if (!r)
			r = vms_guardian_read(path, pw, &hg->g);
		if (!r && (!hg->g.enc_key || !hg->g.sign_key))
			r = -ENOKEY;
		/* The key file must match the certificates the store publishes. */
		if (!r && !vms_guardian_from_pem(pem, strlen(pem), NULL, &pub)) {
			if (X509_cmp(pub.enc_cert, hg->g.enc_cert) ||
			    X509_cmp(pub.sign_cert, hg->g.sign_cert))
				r = -EKEYREJECTED;
			vms_guardian_free(&pub);
		}
		if (r) {
			log_err("keys", "guardian=%s error=\"%s\"", name, strerror(-r));
			vms_guardian_free(&hg->g);
			break;
		}
		hg->primary = (int)json_integer_value(json_object_get(row, "is_primary"));
		h->guardian_ptrs[h->n_guardians] = &hg->g;
		h->n_guardians++;
	}
	json_decref(rows);
	if (!r && !h->n_guardians)
		r = -ENOKEY;
	return r;
}

int keys_load(struct hgsd *h)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *tls = NULL;
	_cleanup_(X509_freep) X509 *tls_cert = NULL;
	char pw[PASSWORD_LEN + 1], path[HGSD_PATH_MAX];
	const char *dir = h->cfg.state_dir;
	int r;

	r = read_password(h->cfg.master_key_file, pw);
	if (r) {
		log_err("keys", "path=%s error=\"%s\"", h->cfg.master_key_file, strerror(-r));
		return r;
	}
	r = path_join(path, sizeof(path), dir, "keys/signer.key");
	if (!r)
		r = vms_pkey_read_private(path, pw, &h->signer_key);
	if (!r)
		r = path_join(path, sizeof(path), dir, "signer.pem");
	if (!r)
		r = vms_cert_read(path, &h->signer_cert);
	if (!r && !X509_check_private_key(h->signer_cert, h->signer_key))
		r = -EKEYREJECTED;
	if (r)
		log_err("keys", "what=signer error=\"%s\"", strerror(-r));
	if (!r) {
		r = path_join(path, sizeof(path), dir, "keys/tls.key");
		if (!r)
			r = vms_pkey_read_private(path, pw, &tls);
		if (!r)
			r = path_join(path, sizeof(path), dir, "tls.pem");
		if (!r)
			r = vms_cert_read(path, &tls_cert);
		if (!r)
			r = vms_pkey_private_pem(tls, &h->tls_key_pem, &h->tls_key_len);
		if (!r)
			r = vms_cert_to_pem(tls_cert, &h->tls_cert_pem);
		if (r)
			log_err("keys", "what=tls error=\"%s\"", strerror(-r));
	}
	if (!r)
		r = load_guardians(h, pw);
	OPENSSL_cleanse(pw, sizeof(pw));
	if (!r)
		log_info("keys", "signer=loaded guardians=%u primary=%s", h->n_guardians,
			 h->guardians[0].g.name);
	return r;
}

int keys_new_guardian_held(struct hgsd *h, const char *name, char **pem)
{
	char pw[PASSWORD_LEN + 1];
	struct vms_guardian g;
	int r;

	*pem = NULL;
	if (h->n_guardians >= HGSD_MAX_GUARDIANS)
		return -ENOSPC;
	r = read_password(h->cfg.master_key_file, pw);
	if (r)
		return r;
	r = new_guardian(&h->cfg, pw, name, &g, pem);
	OPENSSL_cleanse(pw, sizeof(pw));
	if (r)
		return r;
	pthread_rwlock_wrlock(&h->lock);
	h->guardians[h->n_guardians].g = g;
	h->guardians[h->n_guardians].primary = 0;
	h->guardian_ptrs[h->n_guardians] = &h->guardians[h->n_guardians].g;
	h->n_guardians++;
	pthread_rwlock_unlock(&h->lock);
	return 0;
}

int keys_add_public_guardian(struct hgsd *h, const char *pem)
{
	struct vms_guardian g;
	int r;

	r = vms_guardian_from_pem(pem, strlen(pem), NULL, &g);
	if (r)
		return r;
	pthread_rwlock_wrlock(&h->lock);
	if (h->n_guardians == HGSD_MAX_GUARDIANS) {
		pthread_rwlock_unlock(&h->lock);
		vms_guardian_free(&g);
		return -ENOSPC;
	}
	h->guardians[h->n_guardians].g = g;
	h->guardians[h->n_guardians].primary = 0;
	h->guardian_ptrs[h->n_guardians] = &h->guardians[h->n_guardians].g;
	h->n_guardians++;
	pthread_rwlock_unlock(&h->lock);
	return 0;
}

int keys_load_public(struct hgsd *h)
{
	json_t *rows = store_query(h->st, "SELECT name, certificates, is_primary FROM guardians WHERE enabled = 1 ORDER BY is_primary DESC, name",
				   0);
	char path[HGSD_PATH_MAX];
	json_t *row;
	size_t i;
	int r;

	if (!rows)
		return -ENOMEM;
	r = path_join(path, sizeof(path), h->cfg.state_dir, "signer.pem");
	if (!r)
		r = vms_cert_read(path, &h->signer_cert);
	if (!r)
		r = path_join(path, sizeof(path), h->cfg.state_dir, "tls.pem");
	if (!r) {
		_cleanup_(X509_freep) X509 *tls = NULL;

		r = vms_cert_read(path, &tls);
		if (!r)
			r = vms_cert_to_pem(tls, &h->tls_cert_pem);
	}
	if (!r && h->cfg.admin_client_ca[0]) {
		uint8_t *ca;
		size_t calen;

		r = vms_read_file(h->cfg.admin_client_ca, 1 << 20, &ca, &calen);
		if (!r) {
			h->admin_ca_pem = malloc(calen + 1);
			if (h->admin_ca_pem) {
				memcpy(h->admin_ca_pem, ca, calen);
				h->admin_ca_pem[calen] = 0;
			}
			free(ca);
			r = h->admin_ca_pem && strstr(h->admin_ca_pem, "BEGIN CERTIFICATE") ?
				0 : -EINVAL;
		}
		if (r)
			log_err("keys", "admin_client_ca=%s error=\"%s\"", h->cfg.admin_client_ca,
				strerror(-r));
	}
	json_array_foreach(rows, i, row) {
		const char *pem = json_string_value(json_object_get(row, "certificates"));

		if (r)
			break;
		r = keys_add_public_guardian(h, pem ? pem : "");
		if (!r)
			h->guardians[h->n_guardians - 1].primary =
				(int)json_integer_value(json_object_get(row, "is_primary"));
	}
	json_decref(rows);
	if (r)
		log_err("keys", "what=public error=\"%s\"", strerror(-r));
	return r;
}

void keys_free(struct hgsd *h)
{
	unsigned int i;

	EVP_PKEY_free(h->signer_key);
	X509_free(h->signer_cert);
	if (h->tls_key_pem)
		OPENSSL_clear_free(h->tls_key_pem, h->tls_key_len + 1);
	free(h->tls_cert_pem);
	free(h->admin_ca_pem);
	for (i = 0; i < h->n_guardians; i++)
		vms_guardian_free(&h->guardians[i].g);
	h->n_guardians = 0;
}

/*
 * Forget guardian @name (either process); its private keys, if held, are
 * freed with it. The primary stays first in the array.
 */
int keys_guardian_drop(struct hgsd *h, const char *name)
{
	unsigned int i, j;
	struct vms_guardian g;

	pthread_rwlock_wrlock(&h->lock);
	for (i = 0; i < h->n_guardians; i++)
		if (!strcmp(h->guardians[i].g.name, name))
			break;
	if (i == h->n_guardians) {
		pthread_rwlock_unlock(&h->lock);
		return -ENOENT;
	}
	g = h->guardians[i].g;
	for (j = i; j + 1 < h->n_guardians; j++)
		h->guardians[j] = h->guardians[j + 1];
	h->n_guardians--;
	for (j = 0; j < h->n_guardians; j++)
		h->guardian_ptrs[j] = &h->guardians[j].g;
	pthread_rwlock_unlock(&h->lock);
	vms_guardian_free(&g);
	return 0;
}

int keys_drop_public_guardian(struct hgsd *h, const char *name)
{
	return keys_guardian_drop(h, name);
}

/*
 * Key process: load guardian @name again from its key file (it was
 * enabled), after checking that the file holds the certificates the
 * store publishes (@pem).
 */
int keys_guardian_load_held(struct hgsd *h, const char *name, const char *pem)
{
	char pw[PASSWORD_LEN + 1], path[HGSD_PATH_MAX];
	struct vms_guardian g, pub;
	unsigned int i;
	int r;

	pthread_rwlock_rdlock(&h->lock);
	for (i = 0; i < h->n_guardians; i++)
		if (!strcmp(h->guardians[i].g.name, name))
			break;
	r = i < h->n_guardians ? -EEXIST :
		h->n_guardians >= HGSD_MAX_GUARDIANS ? -ENOSPC : 0;
	pthread_rwlock_unlock(&h->lock);
	if (r)
		return r;
	r = guardian_path(&h->cfg, name, path, sizeof(path));
	if (r)
		return r;
	r = read_password(h->cfg.master_key_file, pw);
	if (r)
		return r;
	r = vms_guardian_read(path, pw, &g);
	OPENSSL_cleanse(pw, sizeof(pw));
	if (r)
		return r;
	if (!g.enc_key || !g.sign_key)
		r = -ENOKEY;
	if (!r)
		r = vms_guardian_from_pem(pem, strlen(pem), NULL, &pub) ? -EINVAL : 0;
	if (!r) {
		if (X509_cmp(pub.enc_cert, g.enc_cert) || X509_cmp(pub.sign_cert, g.sign_cert))
			r = -EKEYREJECTED;
		vms_guardian_free(&pub);
	}
	if (r) {
		vms_guardian_free(&g);
		return r;
	}
	pthread_rwlock_wrlock(&h->lock);
	if (h->n_guardians >= HGSD_MAX_GUARDIANS) {
		pthread_rwlock_unlock(&h->lock);
		vms_guardian_free(&g);
		return -ENOSPC;
	}
	h->guardians[h->n_guardians].g = g;
	h->guardians[h->n_guardians].primary = 0;
	h->guardian_ptrs[h->n_guardians] = &h->guardians[h->n_guardians].g;
	h->n_guardians++;
	pthread_rwlock_unlock(&h->lock);
	return 0;
}

/*
 * A removed guardian's key file is renamed, not deleted: deleting it
 * destroys every VM key protected only to that guardian, which is the
 * admin's decision to take (shred the file), not hgsd's.
 */
int keys_retire_guardian_file(struct hgsd *h, const char *name, char *out, size_t len)
{
	char path[HGSD_PATH_MAX];
	int r = guardian_path(&h->cfg, name, path, sizeof(path));

	if (r)
		return r;
	if ((size_t)snprintf(out, len, "%s/keys/removed-guardian-%s-%lld.pem", h->cfg.state_dir,
			     name, (long long)time(NULL)) >= len)
		return -ENAMETOOLONG;
	if (rename(path, out) < 0)
		return -errno;
	return 0;
}
