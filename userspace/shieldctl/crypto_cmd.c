// SPDX-License-Identifier: GPL-2.0
/*
 * crypto_cmd.c - `shieldctl crypto ...`: the format core from the command
 * line. Key pairs, HPKE files, key releases and sealed vTPM state.
 *
 * Every subcommand validates all of its arguments before it reads a
 * secret, writes its output only after every step succeeded (atomically),
 * prints no secret, and exits 1 with a message that says what to do.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shieldctl.h"
#include "hpke.h"
#include "keyrelease.h"
#include "sealedstate.h"
#include "selftest.h"
#include "vms_errmsg.h"
#include "vms_fileio.h"
#include "vms_hex.h"
#include "vms_keyfile.h"

#define HPKE_MAX_INPUT		(64u << 20)	/* hpke-seal/open files */
#define HEX_ARG_MAX		4096		/* --info/--aad, bytes */

/* Long-only options; values above any character. */
enum {
	OPT_HELP = 0x100, OPT_PRIVATE, OPT_PUBLIC, OPT_FORMAT, OPT_FORCE,
	OPT_IN, OPT_OUT, OPT_INFO, OPT_AAD, OPT_AEAD, OPT_VM_ID, OPT_KEY_ID,
	OPT_POLICY, OPT_LIFETIME, OPT_DIGEST, OPT_ENCLAVE_PUBLIC,
	OPT_ENCLAVE_PRIVATE, OPT_TK, OPT_TK_OUT, OPT_GENERATION,
	OPT_KPS_PRIVATE, OPT_KPS_PUBLIC, OPT_CHALLENGE, OPT_CHALLENGE_NS,
};

/* Everything a subcommand may be given, parsed but not yet used. */
struct args {
	const char *private_path, *public_path, *in, *out, *tk, *tk_out;
	const char *enclave_public, *enclave_private;
	const char *kps_private, *kps_public, *challenge, *challenge_ns;
	const char *info_hex, *aad_hex, *aead, *format, *policy;
	const char *vm_id, *key_id, *lifetime, *generation;
	const char *digests[VMS_KR_MAX_DIGESTS + 1];
	unsigned int n_digests;
	int force;
	int help;
};

/* The dispatcher parses @options and handles --help before @run. */
struct subcmd {
	const char *name;
	const char *summary;
	const char *usage;
	const struct option *options;
	int (*run)(const char *what, const struct args *a);
};

static int parse_args(const char *what, const struct option *opts, int argc,
		      char **argv, struct args *a)
{
	int c, idx;

	memset(a, 0, sizeof(*a));
	opterr = 0;
	optind = 0;	/* full re-initialisation of GNU getopt */
	for (;;) {
		idx = -1;
		c = getopt_long(argc, argv, "+:h", opts, &idx);
		if (c == -1)
			break;
		switch (c) {
		case 'h':
		case OPT_HELP:
			a->help = 1;
			break;
		case OPT_PRIVATE:
			a->private_path = optarg;
			break;
		case OPT_PUBLIC:
			a->public_path = optarg;
			break;
		case OPT_FORMAT:
			a->format = optarg;
			break;
		case OPT_FORCE:
			a->force = 1;
			break;
		case OPT_IN:
			a->in = optarg;
			break;
		case OPT_OUT:
			a->out = optarg;
			break;
		case OPT_INFO:
			a->info_hex = optarg;
			break;
		case OPT_AAD:
			a->aad_hex = optarg;
			break;
		case OPT_AEAD:
			a->aead = optarg;
			break;
		case OPT_VM_ID:
			a->vm_id = optarg;
			break;
		case OPT_KEY_ID:
			a->key_id = optarg;
			break;
		case OPT_POLICY:
			a->policy = optarg;
			break;
		case OPT_LIFETIME:
			a->lifetime = optarg;
			break;
		case OPT_ENCLAVE_PUBLIC:
			a->enclave_public = optarg;
			break;
		case OPT_KPS_PRIVATE:
			a->kps_private = optarg;
			break;
		case OPT_KPS_PUBLIC:
			a->kps_public = optarg;
			break;
		case OPT_CHALLENGE:
			a->challenge = optarg;
			break;
		case OPT_CHALLENGE_NS:
			a->challenge_ns = optarg;
			break;
		case OPT_ENCLAVE_PRIVATE:
			a->enclave_private = optarg;
			break;
		case OPT_TK:
			a->tk = optarg;
			break;
		case OPT_TK_OUT:
			a->tk_out = optarg;
			break;
		case OPT_GENERATION:
			a->generation = optarg;
			break;
		case OPT_DIGEST:
			if (a->n_digests == VMS_KR_MAX_DIGESTS)
				return shieldctl_fail(what,
					"too many --worker-digest options (at most %d)",
					VMS_KR_MAX_DIGESTS);
			a->digests[a->n_digests++] = optarg;
			break;
		case ':':
			return shieldctl_usage_error(what,
				"option '%s' needs a value; see 'shieldctl %s --help'",
				argv[optind - 1], what);
		default:
			return shieldctl_usage_error(what,
				"unknown option '%s'; see 'shieldctl %s --help'",
				argv[optind - 1], what);
		}
	}
	if (optind < argc)
		return shieldctl_usage_error(what,
			"unexpected argument '%s'; see 'shieldctl %s --help'",
			argv[optind], what);
	return 0;
}

static int need(const char *what, const char *val, const char *opt)
{
	if (val)
		return 0;
	return shieldctl_usage_error(what, "missing %s; see 'shieldctl %s --help'", opt, what);
}

/* Strict unsigned decimal: digits only, no sign, no overflow. */
static int parse_u64(const char *s, uint64_t *v)
{
	uint64_t r = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (r > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		r = r * 10 + (uint64_t)(*s - '0');
	}
	*v = r;
	return 0;
}

static int parse_ids(const char *what, const struct args *a, uint8_t vm[16],
		     uint8_t key[16])
{
	if (need(what, a->vm_id, "--vm-id UUID") ||
	    need(what, a->key_id, "--key-id HEX"))
		return 1;
	if (vms_uuid_parse(a->vm_id, vm))
		return shieldctl_fail(what,
			"--vm-id '%s' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
			a->vm_id);
	if (vms_hex_decode_exact(a->key_id, key, 16))
		return shieldctl_fail(what,
			"--key-id must be 32 hex digits (16 bytes)");
	return 0;
}

/* Optional hex argument into a new buffer (NULL, 0 when absent). */
static int parse_hex_arg(const char *what, const char *opt, const char *hex,
			 uint8_t **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (!hex)
		return 0;
	*out = malloc(HEX_ARG_MAX ? HEX_ARG_MAX : 1);
	if (!*out)
		return shieldctl_fail(what, "out of memory");
	if (vms_hex_decode(hex, *out, HEX_ARG_MAX, len))
		return shieldctl_fail(what,
			"%s must be an even number of hex digits (at most %d bytes)",
			opt, HEX_ARG_MAX);
	return 0;
}

static int parse_aead(const char *what, const char *s, uint16_t *id)
{
	if (!s || !strcmp(s, "aes256gcm")) {
		*id = VMS_HPKE_AEAD_AES256GCM;
		return 0;
	}
	if (!strcmp(s, "aes128gcm")) {
		*id = VMS_HPKE_AEAD_AES128GCM;
		return 0;
	}
	return shieldctl_fail(what, "--aead must be aes128gcm or aes256gcm");
}

static int load_private(const char *what, const char *path, uint8_t sk[32])
{
	int ret = vms_x25519_load_private(path, sk);

	if (ret)
		return shieldctl_fail(what, "cannot read private key %s: %s",
				      path, vms_file_strerror(ret));
	return 0;
}

static int load_public(const char *what, const char *path, uint8_t pk[32])
{
	int ret = vms_x25519_load_public(path, pk);

	if (ret)
		return shieldctl_fail(what, "cannot read public key %s: %s",
				      path, vms_file_strerror(ret));
	return 0;
}

static int load_tk(const char *what, const char *path, uint8_t tk[32])
{
	int ret = vms_read_file_exact(path, tk, 32);

	if (ret == -EMSGSIZE)
		return shieldctl_fail(what,
			"transport key file %s must hold exactly 32 bytes", path);
	if (ret)
		return shieldctl_fail(what, "cannot read transport key %s: %s",
				      path, strerror(-ret));
	return 0;
}

static int read_input(const char *what, const char *path, size_t max,
		      struct vms_secret *buf)
{
	int ret = vms_read_file(path, max, &buf->p, &buf->len);

	if (ret == -EFBIG)
		return shieldctl_fail(what, "%s is larger than %zu bytes",
				      path, max);
	if (ret)
		return shieldctl_fail(what, "cannot read %s: %s", path,
				      strerror(-ret));
	return 0;
}

static int write_output(const char *what, const char *path, const void *p,
			size_t len, int secret, int force_needed, int force)
{
	unsigned int flags = force_needed && !force ? VMS_WRITE_NOCLOBBER : 0;
	mode_t mode = secret ? 0600 : vms_public_file_mode();
	int ret = vms_write_file_atomic(path, p, len, mode, flags);

	if (ret)
		return shieldctl_fail(what, "cannot write %s: %s", path,
				      vms_file_strerror(ret));
	return 0;
}

/* The clock seal-key lifetimes are measured on; root cannot set it. */
static uint64_t boottime_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- keygen ----------------------------------------------------------- */

static const struct option keygen_opts[] = {
	{ "private", required_argument, NULL, OPT_PRIVATE },
	{ "public", required_argument, NULL, OPT_PUBLIC },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int cmd_keygen(const char *what, const struct args *a)
{
	_cleanup_(vms_key32_wipe) struct vms_key32 sk;
	enum vms_key_format fmt = VMS_KEY_RAW;
	unsigned int flags;
	uint8_t pk[32];
	int ret;

	if (need(what, a->private_path, "--private FILE") ||
	    need(what, a->public_path, "--public FILE"))
		return 1;
	if (a->format && !strcmp(a->format, "pem"))
		fmt = VMS_KEY_PEM;
	else if (a->format && strcmp(a->format, "raw"))
		return shieldctl_fail(what, "--format must be raw or pem");
	if (!strcmp(a->private_path, a->public_path))
		return shieldctl_fail(what,
			"--private and --public must be different files");

	ret = vms_x25519_keygen(sk.b, pk);
	if (ret)
		return shieldctl_fail(what, "key generation failed: %s",
				      strerror(-ret));
	flags = a->force ? 0 : VMS_WRITE_NOCLOBBER;
	ret = vms_x25519_write_private(a->private_path, sk.b, fmt, flags);
	if (ret)
		return shieldctl_fail(what, "cannot write %s: %s",
				      a->private_path, vms_file_strerror(ret));
	ret = vms_x25519_write_public(a->public_path, pk, fmt, flags);
	if (ret) {
		/* No half key pair left behind. */
		unlink(a->private_path);
		return shieldctl_fail(what, "cannot write %s: %s",
				      a->public_path, vms_file_strerror(ret));
	}
	printf("wrote X25519 private key %s and public key %s (%s)\n",
	       a->private_path, a->public_path,
	       fmt == VMS_KEY_PEM ? "PEM" : "raw");
	return 0;
}

/* ---- hpke-seal / hpke-open -------------------------------------------- */

static const struct option hpke_seal_opts[] = {
	{ "public", required_argument, NULL, OPT_PUBLIC },
	{ "in", required_argument, NULL, OPT_IN },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "info", required_argument, NULL, OPT_INFO },
	{ "aad", required_argument, NULL, OPT_AAD },
	{ "aead", required_argument, NULL, OPT_AEAD },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const struct option hpke_open_opts[] = {
	{ "private", required_argument, NULL, OPT_PRIVATE },
	{ "in", required_argument, NULL, OPT_IN },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "info", required_argument, NULL, OPT_INFO },
	{ "aad", required_argument, NULL, OPT_AAD },
	{ "aead", required_argument, NULL, OPT_AEAD },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int cmd_hpke_seal(const char *what, const struct args *a)
{
	_cleanup_(vms_hpke_ctx_wipe) struct vms_hpke_ctx c = { 0 };
	_cleanup_(vms_freep) uint8_t *info = NULL, *aad = NULL, *out = NULL;
	_cleanup_(vms_secret_free) struct vms_secret pt = { 0 };
	size_t infolen, aadlen, outlen;
	uint8_t pk[32];
	uint16_t aead = 0;
	int ret;

	if (need(what, a->public_path, "--public FILE") ||
	    need(what, a->in, "--in FILE") || need(what, a->out, "--out FILE") ||
	    parse_aead(what, a->aead, &aead) ||
	    parse_hex_arg(what, "--info", a->info_hex, &info, &infolen) ||
	    parse_hex_arg(what, "--aad", a->aad_hex, &aad, &aadlen) ||
	    load_public(what, a->public_path, pk) ||
	    read_input(what, a->in, HPKE_MAX_INPUT, &pt))
		return 1;

	outlen = VMS_HPKE_ENC_LEN + pt.len + VMS_HPKE_TAG_LEN;
	out = malloc(outlen);
	if (!out)
		return shieldctl_fail(what, "out of memory");
	ret = vms_hpke_setup_base_s(&c, out, pk, info, infolen, aead, NULL);
	if (ret)
		return shieldctl_fail(what, "cannot encrypt to %s: %s",
				      a->public_path, vms_hpke_strerror(ret));
	ret = vms_hpke_seal(&c, aad, aadlen, pt.p, pt.len,
			    out + VMS_HPKE_ENC_LEN);
	if (ret)
		return shieldctl_fail(what, "encryption failed: %s",
				      vms_hpke_strerror(ret));
	return write_output(what, a->out, out, outlen, 0, 0, 0);
}

static int cmd_hpke_open(const char *what, const struct args *a)
{
	_cleanup_(vms_hpke_ctx_wipe) struct vms_hpke_ctx c = { 0 };
	_cleanup_(vms_key32_wipe) struct vms_key32 sk;
	_cleanup_(vms_secret_free) struct vms_secret in = { 0 };
	_cleanup_(vms_secret_free) struct vms_secret pt = { 0 };
	_cleanup_(vms_freep) uint8_t *info = NULL, *aad = NULL;
	size_t infolen, aadlen;
	uint16_t aead = 0;
	int ret;

	if (need(what, a->private_path, "--private FILE") ||
	    need(what, a->in, "--in FILE") || need(what, a->out, "--out FILE") ||
	    parse_aead(what, a->aead, &aead) ||
	    parse_hex_arg(what, "--info", a->info_hex, &info, &infolen) ||
	    parse_hex_arg(what, "--aad", a->aad_hex, &aad, &aadlen) ||
	    read_input(what, a->in, HPKE_MAX_INPUT + VMS_HPKE_ENC_LEN +
		       VMS_HPKE_TAG_LEN, &in) ||
	    load_private(what, a->private_path, sk.b))
		return 1;
	if (in.len < VMS_HPKE_ENC_LEN + VMS_HPKE_TAG_LEN)
		return shieldctl_fail(what,
			"%s is too short to be HPKE output (enc || ciphertext || tag)",
			a->in);

	pt.len = in.len - VMS_HPKE_ENC_LEN - VMS_HPKE_TAG_LEN;
	pt.p = malloc(pt.len ? pt.len : 1);
	if (!pt.p)
		return shieldctl_fail(what, "out of memory");
	ret = vms_hpke_setup_base_r(&c, in.p, sk.b, info, infolen, aead);
	if (ret)
		return shieldctl_fail(what, "cannot decrypt %s: %s", a->in,
				      vms_hpke_strerror(ret));
	ret = vms_hpke_open(&c, aad, aadlen, in.p + VMS_HPKE_ENC_LEN,
			    in.len - VMS_HPKE_ENC_LEN, pt.p);
	if (ret)
		return shieldctl_fail(what, "cannot decrypt %s: %s", a->in,
				      vms_hpke_strerror(ret));
	return write_output(what, a->out, pt.p, pt.len, 1, 0, 0);
}

/* ---- release-build / release-open ------------------------------------- */

static const struct option release_build_opts[] = {
	{ "vm-id", required_argument, NULL, OPT_VM_ID },
	{ "key-id", required_argument, NULL, OPT_KEY_ID },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "lifetime", required_argument, NULL, OPT_LIFETIME },
	{ "worker-digest", required_argument, NULL, OPT_DIGEST },
	{ "enclave-public", required_argument, NULL, OPT_ENCLAVE_PUBLIC },
	{ "kps-private", required_argument, NULL, OPT_KPS_PRIVATE },
	{ "challenge", required_argument, NULL, OPT_CHALLENGE },
	{ "challenge-ns", required_argument, NULL, OPT_CHALLENGE_NS },
	{ "tk", required_argument, NULL, OPT_TK },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const struct option release_open_opts[] = {
	{ "enclave-private", required_argument, NULL, OPT_ENCLAVE_PRIVATE },
	{ "kps-public", required_argument, NULL, OPT_KPS_PUBLIC },
	{ "in", required_argument, NULL, OPT_IN },
	{ "tk-out", required_argument, NULL, OPT_TK_OUT },
	{ "vm-id", required_argument, NULL, OPT_VM_ID },
	{ "key-id", required_argument, NULL, OPT_KEY_ID },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char *policy_name(uint32_t policy)
{
	switch (policy) {
	case VMS_KR_POLICY_SHIELDED:
		return "shielded";
	case VMS_KR_POLICY_ENCRYPTION_SUPPORTED:
		return "encryption-supported";
	default:
		return "unknown";
	}
}

static int cmd_release_build(const char *what, const struct args *a)
{
	_cleanup_(vms_key32_wipe) struct vms_key32 tk;
	_cleanup_(vms_key32_wipe) struct vms_key32 kps;
	_cleanup_(vms_freep) uint8_t *blob = NULL;
	uint8_t digests[VMS_KR_MAX_DIGESTS][32];
	struct vms_kr_binding b = { 0 };
	uint8_t pk[32];
	uint64_t lifetime;
	unsigned int i;
	size_t len;
	int ret;

	if (parse_ids(what, a, b.vm_id, b.key_id) ||
	    need(what, a->policy, "--policy shielded|encryption-supported") ||
	    need(what, a->lifetime, "--lifetime SECONDS") ||
	    need(what, a->enclave_public, "--enclave-public FILE") ||
	    need(what, a->kps_private, "--kps-private FILE") ||
	    need(what, a->tk, "--tk FILE") || need(what, a->out, "--out FILE"))
		return 1;
	/* the enclave's challenge; a tool's release may name a random one */
	if (a->challenge ? vms_hex_decode_exact(a->challenge, b.challenge, 32) :
	    vms_prim_random(b.challenge, sizeof(b.challenge)))
		return shieldctl_fail(what,
			"--challenge must be 64 hex digits (from VMSHIELD_IOC_RELEASE_CHALLENGE)");
	if (a->challenge_ns && parse_u64(a->challenge_ns, &b.challenge_ns))
		return shieldctl_fail(what,
			"--challenge-ns must be the enclave's clock at the challenge, in ns");
	b.issued_at = (uint64_t)time(NULL);
	if (!strcmp(a->policy, "shielded"))
		b.policy = VMS_KR_POLICY_SHIELDED;
	else if (!strcmp(a->policy, "encryption-supported"))
		b.policy = VMS_KR_POLICY_ENCRYPTION_SUPPORTED;
	else
		return shieldctl_fail(what,
			"--policy must be shielded or encryption-supported");
	if (parse_u64(a->lifetime, &lifetime) || lifetime < 1 ||
	    lifetime > VMS_KR_MAX_LIFETIME)
		return shieldctl_fail(what,
			"--lifetime must be 1..%d seconds (7 days)",
			VMS_KR_MAX_LIFETIME);
	b.lifetime_s = (uint32_t)lifetime;
	for (i = 0; i < a->n_digests; i++)
		if (vms_hex_decode_exact(a->digests[i], digests[i], 32))
			return shieldctl_fail(what,
				"--worker-digest #%u must be 64 hex digits (a SHA-256 of the worker executable)",
				i + 1);
	if (b.policy == VMS_KR_POLICY_SHIELDED && !a->n_digests)
		return shieldctl_fail(what,
			"a shielded key release needs at least one --worker-digest (the approved VM worker's SHA-256)");
	b.n_digests = (uint16_t)a->n_digests;
	b.digests = a->n_digests ? digests[0] : NULL;
	if (load_public(what, a->enclave_public, pk) ||
	    load_private(what, a->kps_private, kps.b) ||
	    load_tk(what, a->tk, tk.b))
		return 1;

	len = vms_kr_size(b.n_digests);
	blob = malloc(len);
	if (!blob)
		return shieldctl_fail(what, "out of memory");
	ret = vms_kr_build(&b, pk, kps.b, tk.b, blob, len);
	if (ret)
		return shieldctl_fail(what, "cannot build the key release: %s",
				      vms_kr_strerror(ret));
	if (write_output(what, a->out, blob, len, 0, 0, 0))
		return 1;
	printf("wrote key release %s (%zu bytes, %s, %u worker digests)\n",
	       a->out, len, policy_name(b.policy), b.n_digests);
	return 0;
}

static void print_binding(const char *path, const struct vms_kr_binding *b)
{
	char uuid[VMS_UUID_STR_LEN], hex[65];
	unsigned int i;

	vms_uuid_format(b->vm_id, uuid);
	printf("key_release: %s\n", path);
	printf("version: %d\n", VMS_KR_VERSION);
	printf("vm_id: %s\n", uuid);
	vms_hex_encode(b->key_id, 16, hex);
	printf("key_id: %s\n", hex);
	printf("policy: %s\n", policy_name(b->policy));
	printf("lifetime_s: %u\n", b->lifetime_s);
	vms_hex_encode(b->challenge, 32, hex);
	printf("challenge: %s\n", hex);
	printf("challenge_ns: %llu\n", (unsigned long long)b->challenge_ns);
	printf("not_after_ns: %llu\n", (unsigned long long)b->not_after_ns);
	printf("issued_at: %llu\n", (unsigned long long)b->issued_at);
	printf("worker_digests: %u\n", b->n_digests);
	for (i = 0; i < b->n_digests; i++) {
		vms_hex_encode(b->digests + 32 * i, 32, hex);
		printf("worker_digest: %s\n", hex);
	}
}

static int cmd_release_open(const char *what, const struct args *a)
{
	_cleanup_(vms_key32_wipe) struct vms_key32 sk;
	_cleanup_(vms_key32_wipe) struct vms_key32 tk;
	_cleanup_(vms_freep) uint8_t *blob = NULL;
	uint8_t want_vm[16], want_key[16], pk[32], kps_pk[32];
	struct vms_kr_binding b;
	size_t len;
	int ret;

	if (need(what, a->enclave_private, "--enclave-private FILE") ||
	    need(what, a->kps_public, "--kps-public FILE") ||
	    need(what, a->in, "--in FILE") || need(what, a->tk_out, "--tk-out FILE"))
		return 1;
	if (a->vm_id && vms_uuid_parse(a->vm_id, want_vm))
		return shieldctl_fail(what, "--vm-id '%s' is not a UUID", a->vm_id);
	if (a->key_id && vms_hex_decode_exact(a->key_id, want_key, 16))
		return shieldctl_fail(what,
			"--key-id must be 32 hex digits (16 bytes)");
	ret = vms_read_file(a->in, VMS_KR_MAX_LEN + 1, &blob, &len);
	if (ret == -EFBIG)
		return shieldctl_fail(what, "%s: %s", a->in,
				      vms_kr_strerror(-EMSGSIZE));
	if (ret)
		return shieldctl_fail(what, "cannot read %s: %s", a->in,
				      strerror(-ret));
	if (load_private(what, a->enclave_private, sk.b) ||
	    load_public(what, a->kps_public, kps_pk))
		return 1;
	ret = vms_prim_x25519_base(pk, sk.b);
	if (ret)
		return shieldctl_fail(what, "bad enclave private key: %s",
				      strerror(-ret));
	ret = vms_kr_open(blob, len, sk.b, pk, kps_pk, a->vm_id ? want_vm : NULL,
			  a->key_id ? want_key : NULL, &b, tk.b);
	if (ret)
		return shieldctl_fail(what, "%s: %s", a->in,
				      vms_kr_strerror(ret));
	if (write_output(what, a->tk_out, tk.b, sizeof(tk.b), 1, 1, a->force))
		return 1;
	print_binding(a->in, &b);
	printf("transport_key: written to %s\n", a->tk_out);
	return 0;
}

/* ---- state-seal / state-unseal ---------------------------------------- */

static const struct option state_seal_opts[] = {
	{ "tk", required_argument, NULL, OPT_TK },
	{ "vm-id", required_argument, NULL, OPT_VM_ID },
	{ "key-id", required_argument, NULL, OPT_KEY_ID },
	{ "generation", required_argument, NULL, OPT_GENERATION },
	{ "in", required_argument, NULL, OPT_IN },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const struct option state_unseal_opts[] = {
	{ "tk", required_argument, NULL, OPT_TK },
	{ "vm-id", required_argument, NULL, OPT_VM_ID },
	{ "key-id", required_argument, NULL, OPT_KEY_ID },
	{ "in", required_argument, NULL, OPT_IN },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* Userspace tools use lifetime 0 (no expiry); see sealedstate.h. */
static int seal_key_from_args(const char *what, const struct args *a,
			      struct vms_seal_key *k)
{
	_cleanup_(vms_key32_wipe) struct vms_key32 tk;
	uint8_t vm[16], key[16];
	int ret;

	if (parse_ids(what, a, vm, key) || need(what, a->tk, "--tk FILE") ||
	    need(what, a->in, "--in FILE") || need(what, a->out, "--out FILE"))
		return 1;
	if (load_tk(what, a->tk, tk.b))
		return 1;
	ret = vms_seal_key_init(k, tk.b, vm, key, 0, boottime_ns());
	if (ret)
		return shieldctl_fail(what, "cannot derive the seal key: %s",
				      strerror(-ret));
	return 0;
}

static int cmd_state_seal(const char *what, const struct args *a)
{
	_cleanup_(vms_seal_key_wipe) struct vms_seal_key k = { 0 };
	_cleanup_(vms_secret_free) struct vms_secret pt = { 0 };
	_cleanup_(vms_freep) uint8_t *blob = NULL;
	uint64_t generation;
	size_t len;
	int ret;

	if (need(what, a->generation, "--generation N"))
		return 1;
	if (parse_u64(a->generation, &generation))
		return shieldctl_fail(what,
			"--generation must be a decimal number 0..2^64-1");
	if (seal_key_from_args(what, a, &k) ||
	    read_input(what, a->in, VMS_SS_MAX_PAYLOAD, &pt))
		return 1;

	len = vms_ss_size(pt.len);
	blob = malloc(len);
	if (!blob)
		return shieldctl_fail(what, "out of memory");
	ret = vms_ss_seal(&k, boottime_ns(), generation, pt.p, pt.len, blob,
			  len);
	if (ret)
		return shieldctl_fail(what, "cannot seal %s: %s", a->in,
				      vms_ss_strerror(ret));
	if (write_output(what, a->out, blob, len, 0, 0, 0))
		return 1;
	printf("sealed %zu bytes into %s (generation %llu)\n", pt.len, a->out,
	       (unsigned long long)generation);
	return 0;
}

static int cmd_state_unseal(const char *what, const struct args *a)
{
	_cleanup_(vms_seal_key_wipe) struct vms_seal_key k = { 0 };
	_cleanup_(vms_secret_free) struct vms_secret blob = { 0 };
	_cleanup_(vms_secret_free) struct vms_secret pt = { 0 };
	uint64_t generation = 0;
	int ret;

	if (seal_key_from_args(what, a, &k))
		return 1;
	ret = vms_read_file(a->in, VMS_SS_MAX_PAYLOAD + VMS_SS_OVERHEAD + 1,
			    &blob.p, &blob.len);
	if (ret == -EFBIG)
		return shieldctl_fail(what, "%s: %s", a->in,
				      vms_ss_strerror(-EMSGSIZE));
	if (ret)
		return shieldctl_fail(what, "cannot read %s: %s", a->in,
				      strerror(-ret));
	pt.len = blob.len > VMS_SS_OVERHEAD ? blob.len - VMS_SS_OVERHEAD : 0;
	pt.p = malloc(pt.len ? pt.len : 1);
	if (!pt.p)
		return shieldctl_fail(what, "out of memory");
	ret = vms_ss_unseal(&k, boottime_ns(), blob.p, blob.len, pt.p, pt.len,
			    &generation);
	if (ret)
		return shieldctl_fail(what, "%s: %s", a->in,
				      vms_ss_strerror(ret));
	if (write_output(what, a->out, pt.p, pt.len, 1, 0, 0))
		return 1;
	printf("unsealed %zu bytes into %s (generation %llu)\n", pt.len,
	       a->out, (unsigned long long)generation);
	return 0;
}

/* ---- selftest ----------------------------------------------------------- */

static const struct option selftest_opts[] = {
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int cmd_selftest(const char *what, const struct args *a)
{
	int ret;

	(void)a;	/* --help only */
	ret = vms_core_selftest();
	if (ret)
		return shieldctl_fail(what,
			"the format core failed its known-answer test (%s); do not use this build",
			strerror(-ret));
	printf("format core self-test passed (RFC 5869, RFC 9180 A.1, key release, sealed state)\n");
	return 0;
}

/* ---- dispatch ------------------------------------------------------------ */

static const struct subcmd subcmds[] = {
	{ "keygen", "generate an X25519 key pair",
	  "--private FILE --public FILE [--format raw|pem] [--force]\n"
	  "\n"
	  "Generate an X25519 key pair (an enclave stand-in, or an HPKE recipient).\n"
	  "  --private FILE  private key output, mode 0600\n"
	  "  --public FILE   public key output\n"
	  "  --format F      raw: 32 bytes (default); pem: PKCS#8 / SPKI, as\n"
	  "                  'openssl pkey' reads and writes them\n"
	  "  --force         replace existing files (refused otherwise)\n",
	  keygen_opts, cmd_keygen },
	{ "hpke-seal", "encrypt a file to an X25519 public key (RFC 9180)",
	  "--public FILE --in FILE --out FILE [--info HEX] [--aad HEX]\n"
	  "          [--aead aes128gcm|aes256gcm]\n"
	  "\n"
	  "HPKE base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256. Writes\n"
	  "enc (32 bytes) || ciphertext || tag (16 bytes).\n"
	  "  --public FILE   recipient public key (raw 32 bytes or PEM)\n"
	  "  --in FILE       plaintext (at most 64 MiB)\n"
	  "  --out FILE      output, replaced atomically\n"
	  "  --info HEX      HPKE info (default empty)\n"
	  "  --aad HEX       associated data (default empty)\n"
	  "  --aead A        aes256gcm (default) or aes128gcm\n",
	  hpke_seal_opts, cmd_hpke_seal },
	{ "hpke-open", "decrypt hpke-seal output with the private key",
	  "--private FILE --in FILE --out FILE [--info HEX] [--aad HEX]\n"
	  "          [--aead aes128gcm|aes256gcm]\n"
	  "\n"
	  "Open enc || ciphertext || tag. --info, --aad and --aead must be the\n"
	  "ones given to hpke-seal. The plaintext is written (mode 0600) only\n"
	  "when it authenticated.\n",
	  hpke_open_opts, cmd_hpke_open },
	{ "release-build", "wrap a transport key for an enclave (what KPS does)",
	  "--vm-id UUID --key-id HEX --policy shielded|encryption-supported\n"
	  "          --lifetime SECONDS [--worker-digest HEX]... --enclave-public FILE\n"
	  "          --kps-private FILE [--challenge HEX] [--challenge-ns N]\n"
	  "          --tk FILE --out FILE\n"
	  "\n"
	  "Build a version 2 key release (Documentation/formats.md).\n"
	  "  --vm-id UUID         the VM (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)\n"
	  "  --key-id HEX         the key id, 32 hex digits\n"
	  "  --policy P           shielded (needs a worker digest) or\n"
	  "                       encryption-supported\n"
	  "  --lifetime SECONDS   1..604800 (7 days)\n"
	  "  --worker-digest HEX  SHA-256 of an approved worker executable, 64 hex\n"
	  "                       digits; repeat for up to 16\n"
	  "  --enclave-public F   the enclave's X25519 public key (raw or PEM)\n"
	  "  --kps-private F      the sender: a KPS X25519 private key (raw or PEM)\n"
	  "  --challenge HEX      the enclave's challenge, 64 hex digits (default:\n"
	  "                       random, which no enclave will have issued)\n"
	  "  --challenge-ns N     the enclave's clock at the challenge (default 0)\n"
	  "  --tk FILE            the transport key, exactly 32 bytes\n"
	  "  --out FILE           the key release, replaced atomically\n",
	  release_build_opts, cmd_release_build },
	{ "release-open", "open a key release with the enclave private key",
	  "--enclave-private FILE --kps-public FILE --in FILE --tk-out FILE\n"
	  "          [--vm-id UUID] [--key-id HEX] [--force]\n"
	  "\n"
	  "Check and open a key release as the enclave does; print its binding\n"
	  "and write the transport key (32 bytes, mode 0600) to --tk-out.\n"
	  "  --kps-public F     the KPS key the release must come from\n"
	  "  --vm-id, --key-id  refuse a release for another VM or key id\n"
	  "  --force            replace an existing --tk-out file\n",
	  release_open_opts, cmd_release_open },
	{ "state-seal", "seal vTPM state under a transport key",
	  "--tk FILE --vm-id UUID --key-id HEX --generation N --in FILE --out FILE\n"
	  "\n"
	  "Seal a vTPM state file (at most 16 MiB) as a version 1 sealed-state\n"
	  "blob. The output replaces --out atomically (temp, fsync, rename), so a\n"
	  "crash never loses the previous state.\n",
	  state_seal_opts, cmd_state_seal },
	{ "state-unseal", "unseal vTPM state",
	  "--tk FILE --vm-id UUID --key-id HEX --in FILE --out FILE\n"
	  "\n"
	  "Check and open a sealed-state blob; writes the state (mode 0600) only\n"
	  "when it authenticated, and prints its generation.\n",
	  state_unseal_opts, cmd_state_unseal },
	{ "selftest", "run the format core's known-answer tests",
	  "\n\nRun RFC 5869, RFC 9180 A.1 and the format known answers over the\n"
	  "OpenSSL primitives.\n",
	  selftest_opts, cmd_selftest },
};

#define N_SUBCMDS ARRAY_SIZE(subcmds)

static void crypto_usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: shieldctl crypto SUBCOMMAND [OPTIONS]\n\n"
		   "Subcommands:\n");
	for (i = 0; i < N_SUBCMDS; i++)
		fprintf(f, "  %-14s %s\n", subcmds[i].name, subcmds[i].summary);
	fprintf(f, "\nRun 'shieldctl crypto SUBCOMMAND --help' for its options.\n");
}

int shieldctl_crypto_main(int argc, char **argv)
{
	struct args a;
	char what[64];
	size_t i;

	if (argc < 2)
		return shieldctl_usage_exit("crypto", crypto_usage);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		crypto_usage(stdout);
		return 0;
	}
	for (i = 0; i < N_SUBCMDS; i++) {
		if (strcmp(argv[1], subcmds[i].name))
			continue;
		snprintf(what, sizeof(what), "crypto %s", subcmds[i].name);
		if (parse_args(what, subcmds[i].options, argc - 1, argv + 1, &a))
			return 1;
		if (a.help) {
			printf("Usage: shieldctl %s %s", what, subcmds[i].usage);
			return 0;
		}
		return subcmds[i].run(what, &a);
	}
	return shieldctl_usage_error("crypto", "unknown subcommand '%s'; run 'shieldctl crypto --help'",
				     argv[1]);
}
