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
#include <stdlib.h>
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
#include "vms_cleanup_json.h"
#include "vms_cleanup_ssl.h"
#include "vms_fileio.h"
#include "vms_hex.h"
#include "vms_x509.h"

#define PASSWORD_LEN 64

/* The master key file's password, wiped when it goes out of scope. */
struct password {
	char s[PASSWORD_LEN + 1];
};

static void password_wipe(struct password *pw)
{
	OPENSSL_cleanse(pw, sizeof(*pw));
}

/* The password is the hex of 32 random bytes (a struct vms_key32). */
_Static_assert(sizeof(((struct vms_key32 *)0)->b) * 2 == PASSWORD_LEN,
	       "the master key is 32 bytes in hex");

static int path_join(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len)
		return log_errno(-ENAMETOOLONG, "keys", "step=\"naming %s\" dir=%s", name, dir);
	return 0;
}

static int read_password(const char *path, struct password *pw)
{
	struct stat st;
	int r;

	if (stat(path, &st) < 0)
		return log_errno(-errno, "keys", "step=\"finding the master key file\" path=%s",
				 path);
	if (st.st_mode & 0077) {
		log_err("keys", "path=%s msg=\"master key file must not be readable by group or others (chmod 600)\"", path);
		return -EPERM;
	}
	r = vms_read_file_exact(path, (uint8_t *)pw->s, PASSWORD_LEN);
	pw->s[PASSWORD_LEN] = 0;
	if (r)
		return log_errno(r, "keys", "step=\"reading the master key file\" path=%s", path);
	if (strspn(pw->s, "0123456789abcdef") != PASSWORD_LEN)
		return log_errno(-EINVAL, "keys", "step=\"reading the master key file\" path=%s msg=\"not 64 lower-case hex digits\"",
				 path);
	return 0;
}

static int guardian_path(const struct hgsd_config *c, const char *name,
			 char *out, size_t len)
{
	int n = snprintf(out, len, "%s/keys/guardian-%s.pem", c->state_dir, name);

	if (n < 0 || (size_t)n >= len)
		return log_errno(-ENAMETOOLONG, "keys", "step=\"naming the guardian's key file\" guardian=%s",
				 name);
	return 0;
}

/*
 * Create guardian @name, write it encrypted; public PEM into *pem.
 * -EEXIST: its key file exists (not logged: the caller refuses the name).
 */
static int new_guardian(const struct hgsd_config *c, const char *pw,
			const char *name, struct vms_guardian *g, char **pem)
{
	char path[HGSD_PATH_MAX];
	int r;

	r = guardian_path(c, name, path, sizeof(path));
	if (r)
		return r;
	r = vms_guardian_new(name, 3650, g);
	if (r) {
		vms_guardian_free(g);
		return log_errno(r, "keys", "step=\"creating the guardian's keys\" guardian=%s", name);
	}
	r = vms_guardian_write(path, g, 1, pw, VMS_WRITE_NOCLOBBER);
	if (r) {
		vms_guardian_free(g);
		if (r == -EEXIST)
			return r;
		return log_errno(r, "keys", "step=\"writing the guardian's key file\" path=%s", path);
	}
	r = vms_guardian_to_pem(g, pem);
	if (r) {
		vms_guardian_free(g);
		return log_errno(r, "keys", "step=\"writing the guardian's certificates\" guardian=%s",
				 name);
	}
	return 0;
}

/* --init: a new P-256 key and its self-signed certificate, DIR/@keyname, DIR/@certname. */
static int init_signer(const char *dir, const char *pw, const char *keyname,
		       const char *certname, const char *cn,
		       enum vms_cert_kind kind, long days, const char *san)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *k = vms_pkey_gen_p256();
	_cleanup_(X509_freep) X509 *c = NULL;
	char kp[HGSD_PATH_MAX], cp[HGSD_PATH_MAX];
	int r;

	if (!k)
		return log_errno(-ENOMEM, "init", "step=\"generating the key\" key=%s", keyname);
	c = vms_cert_self_signed_san(k, cn, days, kind, san);
	if (!c)
		return log_errno(-ENOMEM, "init", "step=\"making the certificate\" certificate=%s",
				 certname);
	r = path_join(kp, sizeof(kp), dir, keyname);
	if (r)
		return r;
	r = path_join(cp, sizeof(cp), dir, certname);
	if (r)
		return r;
	r = vms_pkey_write_private(kp, k, pw, VMS_WRITE_NOCLOBBER);
	if (r)
		return log_errno(r, "init", "step=\"writing the key\" path=%s", kp);
	r = vms_cert_write(cp, c);
	if (r)
		return log_errno(r, "init", "step=\"writing the certificate\" path=%s", cp);
	/* public: 0644 as documented, whatever hgsd's umask (0077) */
	if (chmod(cp, 0644) < 0)
		return log_errno(-errno, "init", "step=\"making the certificate readable\" path=%s",
				 cp);
	return 0;
}

/* --init: the master key, the signer, the HTTPS key, the first guardian. */
static int create_keys(const char *dir, const struct hgsd_config *cfg, const char *tls_san,
		       char **guardian_pem)
{
	_cleanup_(vms_guardian_free) struct vms_guardian g = { 0 };
	_cleanup_(vms_key32_wipe) struct vms_key32 raw;
	_cleanup_(password_wipe) struct password pw;
	int r;

	if (RAND_bytes(raw.b, sizeof(raw.b)) != 1)
		return log_errno(-EIO, "init", "step=\"drawing the master key\"");
	vms_hex_encode(raw.b, sizeof(raw.b), pw.s);
	r = vms_write_file_atomic(cfg->master_key_file, pw.s, PASSWORD_LEN, 0600,
				  VMS_WRITE_NOCLOBBER);
	if (r)
		return log_errno(r, "init", "step=\"writing the master key\" path=%s",
				 cfg->master_key_file);
	r = init_signer(dir, pw.s, "keys/signer.key", "signer.pem",
			"vmshield HGS attestation signer", VMS_CERT_CA, 3650, NULL);
	if (r)
		return r;
	r = init_signer(dir, pw.s, "keys/tls.key", "tls.pem", "localhost",
			VMS_CERT_TLS_SERVER, 825, tls_san);
	if (r)
		return r;
	return new_guardian(cfg, pw.s, "hgs-guardian-1", &g, guardian_pem);
}

/* --init: a new store that publishes the first guardian, the primary. */
static int create_store(const struct hgsd_config *cfg, const char *guardian_pem)
{
	_cleanup_(store_closep) struct store *st = NULL;
	int r;

	r = store_open(config_store(cfg), &st);
	if (r)
		return log_errno(r, "init", "step=\"creating the store\" store=%s",
				 config_store_shown(cfg));
	store_set_node(st, cfg->node_name);
	r = store_guardian_add(st, "hgs-guardian-1", guardian_pem, 1, "hgsd --init");
	if (r)
		return log_errno(r, "init", "step=\"storing the first guardian\" store=%s",
				 config_store_shown(cfg));
	return 0;
}

int keys_init(const char *dir, struct hgsd_config *cfg, const char *tls_san)
{
	_cleanup_free_ char *pem = NULL;
	char keys[HGSD_PATH_MAX], path[HGSD_PATH_MAX];
	int r;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return log_errno(-errno, "init", "step=\"creating the state directory\" path=%s", dir);
	r = path_join(keys, sizeof(keys), dir, "keys");
	if (r)
		return r;
	if (mkdir(keys, 0700) < 0)
		return -errno;	/* EEXIST: refuse to re-initialise */
	r = create_keys(dir, cfg, tls_san, &pem);
	if (r)
		return r;
	r = create_store(cfg, pem);
	if (r)
		return r;
	r = path_join(path, sizeof(path), dir, "hgsd.conf");
	if (r)
		return r;
	r = config_write_default(path, cfg);
	if (r)
		return log_errno(r, "init", "step=\"writing the configuration\" path=%s", path);
	return 0;
}

/* DIR/@name's private key, decrypted with @pw. */
static int read_private_key(const char *dir, const char *name, const char *pw,
			    EVP_PKEY **k)
{
	char path[HGSD_PATH_MAX];
	int r;

	r = path_join(path, sizeof(path), dir, name);
	if (r)
		return r;
	r = vms_pkey_read_private(path, pw, k);
	if (r)
		return log_errno(r, "keys", "step=\"reading the private key\" path=%s", path);
	return 0;
}

/* DIR/@name's certificate. */
static int read_certificate(const char *dir, const char *name, X509 **c)
{
	char path[HGSD_PATH_MAX];
	int r;

	r = path_join(path, sizeof(path), dir, name);
	if (r)
		return r;
	r = vms_cert_read(path, c);
	if (r)
		return log_errno(r, "keys", "step=\"reading the certificate\" path=%s", path);
	return 0;
}

/*
 * Key process: guardian @name's key file, which must hold both private
 * keys and the certificates the store publishes for it (@pem).
 */
static int read_held_guardian(const struct hgsd_config *c, const char *pw,
			      const char *name, const char *pem, struct vms_guardian *g)
{
	_cleanup_(vms_guardian_free) struct vms_guardian pub = { 0 };
	char path[HGSD_PATH_MAX];
	int r;

	r = guardian_path(c, name, path, sizeof(path));
	if (r)
		return r;
	r = vms_guardian_read(path, pw, g);
	if (r)
		return log_errno(r, "keys", "step=\"reading the guardian's key file\" path=%s", path);
	if (!g->enc_key || !g->sign_key)
		r = log_errno(-ENOKEY, "keys", "step=\"finding the guardian's private keys\" path=%s",
			      path);
	else if (!pem || vms_guardian_from_pem(pem, strlen(pem), NULL, &pub))
		r = log_errno(-EINVAL, "keys", "step=\"reading the guardian's published certificates\" guardian=%s",
			      name);
	else if (X509_cmp(pub.enc_cert, g->enc_cert) || X509_cmp(pub.sign_cert, g->sign_cert))
		r = log_errno(-EKEYREJECTED, "keys", "step=\"matching the key file to the published certificates\" path=%s",
			      path);
	if (r)
		vms_guardian_free(g);
	return r;
}

/* Append @g (taken) to the guardians held; -ENOSPC when they are full. */
static int guardian_append(struct hgsd *h, struct vms_guardian *g, int primary)
{
	pthread_rwlock_wrlock(&h->lock);
	if (h->n_guardians >= HGSD_MAX_GUARDIANS) {
		pthread_rwlock_unlock(&h->lock);
		return -ENOSPC;
	}
	h->guardians[h->n_guardians].g = *g;
	h->guardians[h->n_guardians].primary = primary;
	h->guardian_ptrs[h->n_guardians] = &h->guardians[h->n_guardians].g;
	h->n_guardians++;
	pthread_rwlock_unlock(&h->lock);
	memset(g, 0, sizeof(*g));
	return 0;
}

/* Key process: every enabled guardian, the primary first. */
static int load_guardians(struct hgsd *h, const char *pw)
{
	_cleanup_json_ json_t *rows = store_list(h->st, STORE_LIST_ENABLED_GUARDIANS, 0);
	json_t *row;
	size_t i;
	int r;

	if (!rows)
		return log_errno(-ENOMEM, "keys", "step=\"listing the guardians\"");
	json_array_foreach(rows, i, row) {
		_cleanup_(vms_guardian_free) struct vms_guardian g = { 0 };
		const char *name = json_string_value(json_object_get(row, "name"));
		const char *pem = json_string_value(json_object_get(row, "certificates"));
		int primary = (int)json_integer_value(json_object_get(row, "is_primary"));

		if (!name)
			return log_errno(-EIO, "keys", "step=\"listing the guardians\"");
		r = read_held_guardian(&h->cfg, pw, name, pem, &g);
		if (r)
			return r;
		r = guardian_append(h, &g, primary);
		if (r)
			return log_errno(-E2BIG, "keys", "step=\"holding the guardian\" guardian=%s max=%d",
					 name, HGSD_MAX_GUARDIANS);
	}
	if (!h->n_guardians)
		return log_errno(-ENOKEY, "keys", "step=\"finding an enabled guardian\"");
	return 0;
}

/* Key process: the attestation signer's key and certificate, a pair. */
static int load_signer(struct hgsd *h, const char *pw)
{
	const char *dir = h->cfg.state_dir;
	int r;

	r = read_private_key(dir, "keys/signer.key", pw, &h->signer_key);
	if (r)
		return r;
	r = read_certificate(dir, "signer.pem", &h->signer_cert);
	if (r)
		return r;
	if (!X509_check_private_key(h->signer_cert, h->signer_key))
		return log_errno(-EKEYREJECTED, "keys", "step=\"matching the signer key to signer.pem\" dir=%s",
				 dir);
	return 0;
}

/* Key process: the HTTPS key and certificate as PEM for libmicrohttpd. */
static int load_tls(struct hgsd *h, const char *pw)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *tls = NULL;
	_cleanup_(X509_freep) X509 *tls_cert = NULL;
	const char *dir = h->cfg.state_dir;
	int r;

	r = read_private_key(dir, "keys/tls.key", pw, &tls);
	if (r)
		return r;
	r = read_certificate(dir, "tls.pem", &tls_cert);
	if (r)
		return r;
	r = vms_pkey_private_pem(tls, &h->tls_key_pem, &h->tls_key_len);
	if (r)
		return log_errno(r, "keys", "step=\"writing the HTTPS key as PEM\"");
	r = vms_cert_to_pem(tls_cert, &h->tls_cert_pem);
	if (r)
		return log_errno(r, "keys", "step=\"writing the HTTPS certificate as PEM\"");
	return 0;
}

int keys_load(struct hgsd *h)
{
	_cleanup_(password_wipe) struct password pw;
	int r;

	r = read_password(h->cfg.master_key_file, &pw);
	if (r)
		return r;
	r = load_signer(h, pw.s);
	if (r)
		return r;
	r = load_tls(h, pw.s);
	if (r)
		return r;
	r = load_guardians(h, pw.s);
	if (r)
		return r;
	log_info("keys", "signer=loaded guardians=%u primary=%s", h->n_guardians,
		 h->guardians[0].g.name);
	return 0;
}

int keys_new_guardian_held(struct hgsd *h, const char *name, char **pem)
{
	_cleanup_(vms_guardian_free) struct vms_guardian g = { 0 };
	_cleanup_(password_wipe) struct password pw;
	int r;

	*pem = NULL;
	if (h->n_guardians >= HGSD_MAX_GUARDIANS)
		return -ENOSPC;
	r = read_password(h->cfg.master_key_file, &pw);
	if (r)
		return r;
	r = new_guardian(&h->cfg, pw.s, name, &g, pem);
	if (r)
		return r;
	r = guardian_append(h, &g, 0);
	if (r) {
		free(*pem);
		*pem = NULL;
	}
	return r;
}

int keys_add_public_guardian(struct hgsd *h, const char *pem)
{
	_cleanup_(vms_guardian_free) struct vms_guardian g = { 0 };
	int r;

	r = vms_guardian_from_pem(pem, strlen(pem), NULL, &g);
	if (r)
		return r;
	return guardian_append(h, &g, 0);
}

/* Network process: the admin client CA (PEM), when admin_client_ca is set. */
static int load_admin_ca(struct hgsd *h)
{
	_cleanup_free_ uint8_t *ca = NULL;
	const char *path = h->cfg.admin_client_ca;
	size_t calen;
	int r;

	if (!path[0])
		return 0;
	r = vms_read_file(path, 1 << 20, &ca, &calen);
	if (r)
		return log_errno(r, "keys", "step=\"reading the admin client CA\" admin_client_ca=%s",
				 path);
	h->admin_ca_pem = malloc(calen + 1);
	if (!h->admin_ca_pem)
		return log_errno(-ENOMEM, "keys", "step=\"reading the admin client CA\" admin_client_ca=%s",
				 path);
	memcpy(h->admin_ca_pem, ca, calen);
	h->admin_ca_pem[calen] = 0;
	if (!strstr(h->admin_ca_pem, "BEGIN CERTIFICATE"))
		return log_errno(-EINVAL, "keys", "step=\"reading the admin client CA\" admin_client_ca=%s msg=\"no PEM certificate in it\"",
				 path);
	return 0;
}

/* Network process: the enabled guardians' certificates, the primary first. */
static int load_public_guardians(struct hgsd *h)
{
	_cleanup_json_ json_t *rows = store_list(h->st, STORE_LIST_ENABLED_GUARDIANS, 0);
	json_t *row;
	size_t i;
	int r;

	if (!rows)
		return log_errno(-ENOMEM, "keys", "step=\"listing the guardians\"");
	json_array_foreach(rows, i, row) {
		const char *name = json_string_value(json_object_get(row, "name"));
		const char *pem = json_string_value(json_object_get(row, "certificates"));

		r = keys_add_public_guardian(h, pem ? pem : "");
		if (r)
			return log_errno(r, "keys", "step=\"reading the guardian's published certificates\" guardian=%s",
					 name ? name : "-");
		h->guardians[h->n_guardians - 1].primary =
			(int)json_integer_value(json_object_get(row, "is_primary"));
	}
	return 0;
}

int keys_load_public(struct hgsd *h)
{
	_cleanup_(X509_freep) X509 *tls = NULL;
	const char *dir = h->cfg.state_dir;
	int r;

	r = read_certificate(dir, "signer.pem", &h->signer_cert);
	if (r)
		return r;
	r = read_certificate(dir, "tls.pem", &tls);
	if (r)
		return r;
	r = vms_cert_to_pem(tls, &h->tls_cert_pem);
	if (r)
		return log_errno(r, "keys", "step=\"writing the HTTPS certificate as PEM\"");
	r = load_admin_ca(h);
	if (r)
		return r;
	return load_public_guardians(h);
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

/* -EEXIST if guardian @name is held, -ENOSPC if no other fits. */
static int guardian_slot_free(struct hgsd *h, const char *name)
{
	unsigned int i;
	int r = 0;

	pthread_rwlock_rdlock(&h->lock);
	for (i = 0; i < h->n_guardians && !r; i++)
		if (!strcmp(h->guardians[i].g.name, name))
			r = -EEXIST;
	if (r == 0 && h->n_guardians >= HGSD_MAX_GUARDIANS)
		r = -ENOSPC;
	pthread_rwlock_unlock(&h->lock);
	return r;
}

/*
 * Key process: load guardian @name again from its key file (it was
 * enabled), after checking that the file holds the certificates the
 * store publishes (@pem).
 */
int keys_guardian_load_held(struct hgsd *h, const char *name, const char *pem)
{
	_cleanup_(vms_guardian_free) struct vms_guardian g = { 0 };
	_cleanup_(password_wipe) struct password pw;
	int r;

	r = guardian_slot_free(h, name);
	if (r)
		return r;
	r = read_password(h->cfg.master_key_file, &pw);
	if (r)
		return r;
	r = read_held_guardian(&h->cfg, pw.s, name, pem, &g);
	if (r)
		return r;
	return guardian_append(h, &g, 0);
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

int keys_tls_reload(struct hgsd *h, char **pem, size_t *len)
{
	_cleanup_(password_wipe) struct password pw;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
	_cleanup_(X509_freep) X509 *cert = NULL;
	_cleanup_(vms_freep) char *cert_pem = NULL;
	const char *dir = h->cfg.state_dir;
	char *key_pem = NULL, *both;
	size_t key_len = 0, cert_len;
	int r;

	*pem = NULL;
	r = read_password(h->cfg.master_key_file, &pw);
	if (r)
		return r;
	r = read_private_key(dir, "keys/tls.key", pw.s, &key);
	if (r)
		return r;
	r = read_certificate(dir, "tls.pem", &cert);
	if (r)
		return r;
	if (!X509_check_private_key(cert, key))
		return log_errno(-EKEYREJECTED, "keys", "step=\"matching keys/tls.key to tls.pem\" dir=%s",
				 dir);
	r = vms_cert_to_pem(cert, &cert_pem);
	if (r)
		return log_errno(r, "keys", "step=\"writing the HTTPS certificate as PEM\"");
	r = vms_pkey_private_pem(key, &key_pem, &key_len);
	if (r)
		return log_errno(r, "keys", "step=\"writing the HTTPS key as PEM\"");
	cert_len = strlen(cert_pem);
	both = malloc(key_len + cert_len + 1);
	if (both) {
		memcpy(both, key_pem, key_len);
		memcpy(both + key_len, cert_pem, cert_len + 1);
		*pem = both;
		*len = key_len + cert_len;
	}
	vms_wipe_free(key_pem, key_len);
	return both ? 0 : -ENOMEM;
}

/* A guardian's key file as the store shares it: certificates and encrypted keys. */
#define GUARDIAN_FILE_MAX	(64 * 1024)

int keys_guardian_file_read(struct hgsd *h, const char *name, char **keyfile)
{
	_cleanup_free_ uint8_t *buf = NULL;
	char path[HGSD_PATH_MAX];
	size_t len;
	int r = guardian_path(&h->cfg, name, path, sizeof(path));

	*keyfile = NULL;
	if (r)
		return r;
	r = vms_read_file(path, GUARDIAN_FILE_MAX, &buf, &len);
	if (r)
		return r;
	if (memchr(buf, 0, len))
		return -EINVAL;
	*keyfile = malloc(len + 1);
	if (!*keyfile)
		return -ENOMEM;
	memcpy(*keyfile, buf, len);
	(*keyfile)[len] = 0;
	return 0;
}

int keys_guardian_file_install(struct hgsd *h, const char *name, const char *keyfile)
{
	char path[HGSD_PATH_MAX];
	size_t len = strlen(keyfile);
	int r = guardian_path(&h->cfg, name, path, sizeof(path));

	if (r)
		return r;
	/* the key process checks the rest (keys, certificates) when it loads it */
	if (!len || len > GUARDIAN_FILE_MAX || !strstr(keyfile, "-----BEGIN "))
		return -EINVAL;
	return vms_write_file_atomic(path, keyfile, len, 0600, VMS_WRITE_NOCLOBBER);
}

int keys_guardian_file_remove(struct hgsd *h, const char *name)
{
	char path[HGSD_PATH_MAX];
	int r = guardian_path(&h->cfg, name, path, sizeof(path));

	if (r)
		return r;
	return unlink(path) < 0 ? -errno : 0;
}
