// SPDX-License-Identifier: GPL-2.0
/*
 * keyproc.c - privilege separation for the service keys (sshd-style).
 *
 * At start hgsd forks a key process before it opens any network socket.
 * Only the key process decrypts and holds the private keys (attestation
 * signer, guardians); the network process, which parses every untrusted
 * request, holds public certificates and the TLS key only, and asks the
 * key process through a narrow interface:
 *
 *   ISSUE         sign a health certificate for checked evidence
 *   RELEASE       verify and unwrap a KP, check it against the binding
 *                 the network process supplies (VM id, certificate level,
 *                 worker digests), build the key release; the transport
 *                 key never leaves the key process
 *   ADD_GUARDIAN  create a guardian (rotation); returns its certificates
 *   GUARDIAN_DROP forget a guardian (disabled): its private keys are freed
 *   GUARDIAN_LOAD load a guardian again from its key file (enabled)
 *   KPS_KEY       the public half of the KPS key (X25519), the static
 *                 sender key of every release (HPKE auth mode)
 *   TLS_KEY       at a reload (SIGHUP): the HTTPS key and certificate
 *                 read again from their files, checked to be a pair
 *
 * plus, once at start, the decrypted TLS key for libmicrohttpd.
 * Framing over one socketpair (SOCK_STREAM) per network thread:
 *   request  u32 length | u32 op | payload
 *   answer   u32 length | i32 status | payload
 * Both processes are non-dumpable; the key process dies with its parent
 * (PR_SET_PDEATHSIG) and the parent stops when the key process dies.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/vmshield.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "hgsd.h"
#include "hkdf.h"
#include "hpke.h"
#include "keyproc.h"
#include "keys.h"
#include "log.h"
#include "store.h"
#include "vms_cleanup_ssl.h"
#include "vms_fileio.h"
#include "vms_hgs_cert.h"
#include "vms_kp.h"
#include "vms_x509.h"

#define MSG_MAX		(VMS_KP_MAX_LEN + 4096)
#define MAX_CHANNELS	72

enum {
	OP_ISSUE = 1, OP_RELEASE = 2, OP_ADD_GUARDIAN = 3,
	OP_GUARDIAN_DROP = 4, OP_GUARDIAN_LOAD = 5, OP_KPS_KEY = 6,
	OP_TLS_KEY = 7,
};

/*
 * The KPS key (key process only): X25519, derived from the attestation
 * signer's private key with HKDF under its own label, so it needs no file
 * of its own, every node of a cluster sharing the signer has the same one,
 * and it changes exactly when the signer does (Documentation/formats.md,
 * "Who may release").
 */
#define KPS_KEY_LABEL	"vmshield KPS release key v1"
static uint8_t kps_sk[32], kps_pk[32];

struct channel {
	int fd;
	pthread_mutex_t lock;
};

/* The key process's state (its copy of struct hgsd). */
struct hgsd *keyproc_hgsd;

static struct channel channels[MAX_CHANNELS];
static unsigned int n_channels;
static unsigned int next_channel;
static pid_t child = -1;

/* ---------- framing ---------- */

static int read_all(int fd, void *p, size_t len)
{
	uint8_t *b = p;
	ssize_t n;

	while (len) {
		n = recv(fd, b, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Send a frame: u32 length | u32 word | two payload parts, in one
 * sendmsg(): the peer wakes once, with the whole frame to read, instead
 * of once per part (on one core every extra wake-up is a context switch).
 */
static int send_frame(int fd, uint32_t word, const void *a, size_t alen,
		      const void *b, size_t blen)
{
	uint32_t hdr[2] = { (uint32_t)(4 + alen + blen), word };
	struct iovec iov[3] = {
		{ .iov_base = hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)a, .iov_len = alen },
		{ .iov_base = (void *)b, .iov_len = blen },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 3 };
	ssize_t n;
	size_t left = sizeof(hdr) + alen + blen;

	if (alen + blen > MSG_MAX)
		return -EMSGSIZE;
	while (left) {
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		left -= (size_t)n;
		/* a short write (frames over the socket buffer): skip what went */
		while (mh.msg_iovlen && (size_t)n >= mh.msg_iov->iov_len) {
			n -= (ssize_t)mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen) {
			mh.msg_iov->iov_base = (uint8_t *)mh.msg_iov->iov_base + n;
			mh.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

/*
 * Receive a frame into a new buffer (OPENSSL_clear_free it). Frames are
 * strictly request/answer on a channel, so at most one is ever in flight:
 * the first recv() takes the header and, usually, the whole payload (one
 * syscall instead of two); bytes beyond the frame are a protocol error.
 */
#define FIRST_READ	16384

static int recv_frame(int fd, uint32_t *word, uint8_t **payload, size_t *len)
{
	static __thread uint8_t first[FIRST_READ];
	uint32_t hdr[2];
	size_t got = 0, have;
	ssize_t n;
	int r;

	*payload = NULL;
	while (got < sizeof(hdr)) {
		n = recv(fd, first + got, sizeof(first) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			OPENSSL_cleanse(first, got);
			return -EPIPE;
		}
		got += (size_t)n;
	}
	memcpy(hdr, first, sizeof(hdr));
	have = got - sizeof(hdr);
	if (hdr[0] < 4 || hdr[0] - 4 > MSG_MAX || have > hdr[0] - 4) {
		OPENSSL_cleanse(first, got);
		return hdr[0] < 4 || hdr[0] - 4 > MSG_MAX ? -EMSGSIZE : -EPROTO;
	}
	*word = hdr[1];
	*len = hdr[0] - 4;
	*payload = OPENSSL_malloc(*len ? *len : 1);
	if (!*payload) {
		OPENSSL_cleanse(first, got);
		return -ENOMEM;
	}
	memcpy(*payload, first + sizeof(hdr), have);
	OPENSSL_cleanse(first, got);
	r = read_all(fd, *payload + have, *len - have);
	if (r) {
		OPENSSL_clear_free(*payload, *len ? *len : 1);
		*payload = NULL;
	}
	return r;
}

/* ---------- the key process ---------- */

struct issue_req {
	struct vms_health_cert_info info;
	long validity_s, margin_s;
};

static int do_issue(struct hgsd *h, int fd, uint32_t op, const uint8_t *p, size_t len)
{
	_cleanup_(X509_freep) X509 *c = NULL;
	_cleanup_free_ uint8_t *der = NULL;
	struct issue_req rq;
	size_t dlen = 0;
	int r;

	(void)op;
	if (len != sizeof(rq))
		return send_frame(fd, (uint32_t)-EINVAL, NULL, 0, NULL, 0);
	memcpy(&rq, p, sizeof(rq));
	/* Whatever the network side sent, every string ends inside its field. */
	rq.info.host[sizeof(rq.info.host) - 1] = 0;
	rq.info.mode[sizeof(rq.info.mode) - 1] = 0;
	rq.info.binding[sizeof(rq.info.binding) - 1] = 0;
	rq.info.policies[sizeof(rq.info.policies) - 1] = 0;
	rq.info.facts[sizeof(rq.info.facts) - 1] = 0;
	rq.info.host_key_fpr[sizeof(rq.info.host_key_fpr) - 1] = 0;
	r = vms_health_cert_issue(h->signer_key, h->signer_cert, &rq.info,
				  rq.validity_s, rq.margin_s, &c);
	if (r) {
		log_errno(r, "keyproc", "step=\"signing a health certificate\"");
		return send_frame(fd, (uint32_t)r, NULL, 0, NULL, 0);
	}
	r = vms_cert_to_der(c, &der, &dlen);
	if (r) {
		log_errno(r, "keyproc", "step=\"writing a health certificate as DER\"");
		return send_frame(fd, (uint32_t)r, NULL, 0, NULL, 0);
	}
	return send_frame(fd, 0, der, dlen, NULL, 0);
}

static enum vms_hgs_reason unwrap_reason(int r)
{
	switch (r) {
	case 0: return HGS_PASSED;
	case -EINVAL: return HGS_R_KP_MALFORMED;
	case -EBADMSG: return HGS_R_KP_SIGNATURE_INVALID;
	case -ENOKEY: return HGS_R_KP_NOT_FOR_THIS_HGS;
	case -EKEYREJECTED: return HGS_R_KP_UNWRAP_FAILED;
	default: return HGS_R_INTERNAL_ERROR;
	}
}

/*
 * The verified-KP cache (key process): SHA-256 of a KP's DER -> its
 * binding and its envelope, remembered once the owner signature (and a
 * roll's) has been verified, or when KPS made the KP itself (the rolled
 * KP of a roll release). A VM's KP comes back at every start, renewal and
 * migration; a hit on a plain release skips parsing the SignedData and
 * checking the signatures, never the unwrap (the TK is not cached); a
 * hit on a roll skips the two signature checks (the parse stays: the new
 * roll goes into the owner's SignerInfo). A KP that is not byte for byte
 * the one remembered misses and is verified in full. No secret is kept:
 * the envelope is ciphertext. Direct-mapped, kp_cache_entries slots
 * (0 = off): a new KP replaces whatever shared its slot.
 */
struct kp_slot {
	uint8_t hash[32];
	struct vms_kp_info info;
	uint8_t *env;
	size_t env_len;
};

static struct kp_slot *kp_cache;
static size_t kp_cache_n;
static pthread_mutex_t kp_cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* @kp's cache slot and hash in @hash; NULL when the cache is off. */
static struct kp_slot *kp_slot_of(const uint8_t *kp, size_t len, uint8_t hash[32])
{
	uint64_t x;

	if (!kp_cache_n || !EVP_Digest(kp, len, hash, NULL, EVP_sha256(), NULL))
		return NULL;
	memcpy(&x, hash, sizeof(x));
	return &kp_cache[x % kp_cache_n];
}

/* Whether @sl remembers @hash; with @info and @env, a copy of what it holds. */
static int kp_cache_get(struct kp_slot *sl, const uint8_t hash[32], struct vms_kp_info *info,
			uint8_t **env, size_t *env_len)
{
	int hit;

	pthread_mutex_lock(&kp_cache_lock);
	hit = sl->env && !memcmp(sl->hash, hash, 32);
	if (hit && env) {
		*info = sl->info;
		*env = malloc(sl->env_len);
		if (*env)
			memcpy(*env, sl->env, sl->env_len);
		else
			hit = 0;
		*env_len = sl->env_len;
	}
	pthread_mutex_unlock(&kp_cache_lock);
	return hit;
}

/* Remember @hash in @sl; it takes @env (ciphertext only: no secret cached). */
static void kp_cache_put(struct kp_slot *sl, const uint8_t hash[32],
			 const struct vms_kp_info *info, uint8_t *env, size_t env_len)
{
	pthread_mutex_lock(&kp_cache_lock);
	free(sl->env);
	sl->env = env;
	sl->env_len = env_len;
	memcpy(sl->hash, hash, 32);
	sl->info = *info;
	pthread_mutex_unlock(&kp_cache_lock);
}

/*
 * Verify (or find verified) and unwrap: a hit unwraps the remembered
 * envelope; a miss verifies and unwraps in one parse
 * (vms_kp_unwrap_any_env) and remembers the envelope it verified.
 */
static int unwrap_kp(struct hgsd *h, const uint8_t *kp, size_t len,
		     struct vms_kp_info *info, uint8_t tk[32])
{
	uint8_t hash[32], *env = NULL;
	struct kp_slot *sl = kp_slot_of(kp, len, hash);
	size_t env_len = 0;
	int r;

	if (kp_cache_n && !sl)
		return -EIO;
	if (sl && kp_cache_get(sl, hash, info, &env, &env_len)) {
		pthread_rwlock_rdlock(&h->lock);
		r = vms_kp_unwrap_envelope(env, env_len, h->guardian_ptrs, h->n_guardians, tk);
		pthread_rwlock_unlock(&h->lock);
		free(env);
		return r;
	}
	pthread_rwlock_rdlock(&h->lock);
	r = vms_kp_unwrap_any_env(kp, len, h->guardian_ptrs, h->n_guardians, info, tk,
				  sl ? &env : NULL, &env_len);
	pthread_rwlock_unlock(&h->lock);
	if (env)
		kp_cache_put(sl, hash, info, env, env_len);
	return r;
}

/*
 * A KP KPS rolled holds its TK in the roll: only a roll signed by one of
 * this HGS's guardians is ours (anyone can envelope a TK of their choice
 * to a guardian's public certificate; only we sign rolls).
 */
static int roll_is_ours(struct hgsd *h, const struct vms_kp_info *info)
{
	char fpr[65];
	unsigned int i;
	int ours = 0;

	if (!info->roll_signer_fpr[0])	/* no roll: the owner's word */
		return 1;
	pthread_rwlock_rdlock(&h->lock);
	for (i = 0; i < h->n_guardians && !ours; i++)
		ours = h->guardian_ptrs[i]->sign_cert &&
		       !vms_cert_fingerprint(h->guardian_ptrs[i]->sign_cert, fpr) &&
		       !strcmp(fpr, info->roll_signer_fpr);
	pthread_rwlock_unlock(&h->lock);
	return ours;
}

/*
 * The roll, in one parse of the KP: a fresh TK and key id, the current
 * TK unwrapped and the KP rolled to the new one (signed by our first
 * guardian that can sign) into *@kp_out. The new TK is in @next for the
 * release (the caller wipes it).
 */
static int unwrap_roll(struct hgsd *h, const uint8_t *kp, size_t kplen,
		       struct keyproc_release_rep *rep, uint8_t tk[32], uint8_t next[32],
		       uint8_t **kp_out, size_t *kp_out_len)
{
	const struct vms_guardian *g = NULL;
	struct vms_kp_rolled made = { 0 };
	uint8_t hash[32];
	struct kp_slot *sl = kp_slot_of(kp, kplen, hash);
	unsigned int i;
	int r, trusted;

	if (kp_cache_n && !sl)
		return -EIO;
	if (RAND_priv_bytes(next, 32) != 1 ||
	    RAND_bytes(rep->next_key_id, sizeof(rep->next_key_id)) != 1)
		return -EIO;
	/* byte for byte a KP verified or made here before: no signature checks */
	trusted = sl && kp_cache_get(sl, hash, NULL, NULL, NULL);
	pthread_rwlock_rdlock(&h->lock);
	for (i = 0; i < h->n_guardians && !g; i++)
		if (h->guardian_ptrs[i]->sign_key)
			g = h->guardian_ptrs[i];
	r = g ? vms_kp_unwrap_roll_ex(kp, kplen, h->guardian_ptrs, h->n_guardians, g,
				      rep->next_key_id, next, &rep->info, tk, kp_out,
				      kp_out_len, trusted, sl ? &made : NULL) : -ENOKEY;
	pthread_rwlock_unlock(&h->lock);
	/* the rolled KP comes back at the VM's next start: remember it as made */
	sl = !r && made.env ? kp_slot_of(*kp_out, *kp_out_len, hash) : NULL;
	if (sl)
		kp_cache_put(sl, hash, &made.info, VMS_TAKE_PTR(made.env), made.env_len);
	free(made.env);
	return r;
}

static int do_release(struct hgsd *h, int fd, uint32_t op, const uint8_t *p, size_t len)
{
	_cleanup_(vms_key32_wipe) struct vms_key32 next;
	_cleanup_free_ uint8_t *rolled = NULL;
	struct keyproc_release_req rq;
	struct keyproc_release_rep rep;
	struct vms_kr_binding b = { 0 };
	size_t rolled_len = 0;
	uint8_t tk[32];
	int r;

	(void)op;
	memset(&rep, 0, sizeof(rep));
	if (len < sizeof(rq))
		return send_frame(fd, (uint32_t)-EINVAL, NULL, 0, NULL, 0);
	memcpy(&rq, p, sizeof(rq));
	if (rq.n_digests > VMS_KR_MAX_DIGESTS)
		return send_frame(fd, (uint32_t)-EINVAL, NULL, 0, NULL, 0);
	if (rq.roll)
		r = unwrap_roll(h, p + sizeof(rq), len - sizeof(rq), &rep, tk, next.b,
				&rolled, &rolled_len);
	else
		r = unwrap_kp(h, p + sizeof(rq), len - sizeof(rq), &rep.info, tk);
	rep.reason = unwrap_reason(r);
	if (rep.reason == HGS_PASSED) {
		if (!roll_is_ours(h, &rep.info))
			rep.reason = HGS_R_KP_NOT_FOR_THIS_HGS;
		else if (memcmp(rep.info.vm_id, rq.vm_id, 16))
			rep.reason = HGS_R_VM_ID_MISMATCH;
		else if (rep.info.policy == VMS_KR_POLICY_SHIELDED &&
			 rq.level < VMSHIELD_ISOLATION_KERNEL_LOCKED)
			rep.reason = HGS_R_ISOLATION_INSUFFICIENT_FOR_POLICY;
		else if (rep.info.policy == VMS_KR_POLICY_SHIELDED && !rq.n_digests)
			rep.reason = HGS_R_NO_APPROVED_WORKER;
		else if (rep.info.min_attestation > rq.attest_mode)
			rep.reason = HGS_R_ATTESTATION_MODE_INSUFFICIENT;
		else if (rep.info.vtpm && rq.placement != VMSHIELD_PLACEMENT_HYPERVISOR)
			rep.reason = HGS_R_VTPM_IN_ENCLAVE_UNAVAILABLE;
		else if (rep.info.min_placement && rq.placement != VMSHIELD_PLACEMENT_HYPERVISOR)
			rep.reason = HGS_R_PLACEMENT_NOT_ALLOWED;
		else if (rep.info.platform_mask &&
			 (rq.platform >= 32 || !(rep.info.platform_mask & (1u << rq.platform))))
			rep.reason = HGS_R_PLATFORM_TYPE_NOT_ALLOWED;
	}
	if (rep.reason == HGS_PASSED) {
		memcpy(b.vm_id, rq.vm_id, 16);
		memcpy(b.key_id, rep.info.key_id, 16);
		b.policy = rep.info.policy;
		/* release flag bit 1: the enclave refuses SEAL/UNSEAL for it */
		b.flags |= rep.info.vtpm ? VMS_KR_F_VTPM_IN_ENCLAVE : 0;
		/* the lifetime of the KP's policy: the revocation bound */
		b.lifetime_s = b.policy == VMS_KR_POLICY_SHIELDED ?
			       rq.lifetime_shielded_s : rq.lifetime_s;
		b.n_digests = (u16)rq.n_digests;
		b.digests = rq.digests[0];
		memcpy(b.challenge, rq.challenge, sizeof(b.challenge));
		b.challenge_ns = rq.challenge_ns;
		b.issued_at = (u64)time(NULL);
		/* an expiry that overflows the enclave's clock: not a challenge */
		if (rq.roll) {
			/* the roll keeps bit 1: a rolled vTPM key stays vTPM-only */
			b.flags |= VMS_KR_FLAG_ROLL;
			memcpy(b.next_key_id, rep.next_key_id, 16);
		}
		/* issue 21: the vTPM generation floor HGS holds for the VM */
		if (rq.vtpm_floor) {
			b.flags |= VMS_KR_F_VTPM_FLOOR;
			b.vtpm_floor = rq.vtpm_floor;
		}
		rep.blob_len = (uint32_t)vms_kr_size_flags(b.n_digests, b.flags);
		if (rq.roll) {
			r = vms_kr_build_roll(&b, rq.enclave_pk, kps_sk, tk, next.b, rep.blob,
					      sizeof(rep.blob));
			if (r == -EINVAL)
				rep.reason = HGS_R_INVALID_REQUEST;
			else if (r)
				rep.reason = HGS_R_INTERNAL_ERROR;
		} else {
			r = vms_kr_build(&b, rq.enclave_pk, kps_sk, tk, rep.blob,
					 sizeof(rep.blob));
			if (r == -EINVAL)
				rep.reason = HGS_R_INVALID_REQUEST;
			else if (r)
				rep.reason = HGS_R_INTERNAL_ERROR;
		}
	}
	OPENSSL_cleanse(tk, sizeof(tk));
	if (rep.reason != HGS_PASSED) {
		rep.blob_len = 0;
		rolled_len = 0;
	}
	return send_frame(fd, 0, &rep, sizeof(rep), rolled, rolled_len);
}

static int do_add_guardian(struct hgsd *h, int fd, uint32_t op, const uint8_t *p,
			   size_t len)
{
	char name[VMS_GUARDIAN_NAME_MAX + 1], *pem = NULL;
	int r;

	(void)op;
	if (!len || len > VMS_GUARDIAN_NAME_MAX || memchr(p, 0, len))
		return send_frame(fd, (uint32_t)-EINVAL, NULL, 0, NULL, 0);
	memcpy(name, p, len);
	name[len] = 0;
	r = keys_new_guardian_held(h, name, &pem);
	r = send_frame(fd, (uint32_t)r, pem, pem ? strlen(pem) : 0, NULL, 0);
	free(pem);
	return r;
}

/*
 * GUARDIAN_DROP: payload = name. GUARDIAN_LOAD: name, NUL, the public PEM
 * the store publishes for it (the key file must match).
 */
static int guardian_payload(uint32_t op, const uint8_t *p, size_t len,
			    char name[VMS_GUARDIAN_NAME_MAX + 1], char **pem)
{
	const uint8_t *nul = memchr(p, 0, len);
	size_t nlen = nul ? (size_t)(nul - p) : len;

	*pem = NULL;
	if (!nlen || nlen > VMS_GUARDIAN_NAME_MAX || (op == OP_GUARDIAN_LOAD) != !!nul)
		return -EINVAL;
	memcpy(name, p, nlen);
	name[nlen] = 0;
	if (op != OP_GUARDIAN_LOAD)
		return 0;
	*pem = malloc(len - nlen);
	if (!*pem)
		return -ENOMEM;
	memcpy(*pem, nul + 1, len - nlen - 1);
	(*pem)[len - nlen - 1] = 0;
	return 0;
}

static int do_guardian(struct hgsd *h, int fd, uint32_t op, const uint8_t *p, size_t len)
{
	_cleanup_free_ char *pem = NULL;
	char name[VMS_GUARDIAN_NAME_MAX + 1];
	int r;

	r = guardian_payload(op, p, len, name, &pem);
	if (r)
		return send_frame(fd, (uint32_t)r, NULL, 0, NULL, 0);
	/*
	 * The verified-KP cache needs no flush: a hit is still unwrapped,
	 * and only with the guardians held now; a roll's signer is checked
	 * against them at every release (roll_is_ours), hit or miss.
	 */
	r = op == OP_GUARDIAN_DROP ? keys_guardian_drop(h, name) :
		keys_guardian_load_held(h, name, pem);
	return send_frame(fd, (uint32_t)r, NULL, 0, NULL, 0);
}

static int do_kps_key(struct hgsd *h, int fd, uint32_t op, const uint8_t *p,
		      size_t len)
{
	(void)h;
	(void)op;
	(void)p;
	if (len)
		return send_frame(fd, (uint32_t)-EINVAL, NULL, 0, NULL, 0);
	return send_frame(fd, 0, kps_pk, sizeof(kps_pk), NULL, 0);
}

/* A reload: the HTTPS key and certificate read again (keys_tls_reload()). */
static int do_tls_key(struct hgsd *h, int fd, uint32_t op, const uint8_t *p,
		      size_t len)
{
	char *pem = NULL;
	size_t n = 0;
	int r;

	(void)op;
	(void)p;
	if (len)
		return send_frame(fd, (uint32_t)-EINVAL, NULL, 0, NULL, 0);
	r = keys_tls_reload(h, &pem, &n);
	if (r)
		return send_frame(fd, (uint32_t)r, NULL, 0, NULL, 0);
	r = send_frame(fd, 0, pem, n, NULL, 0);
	vms_wipe_free(pem, n);
	return r;
}

/* The KPS key from the signer's private key (see KPS_KEY_LABEL). */
static int kps_key_derive(struct hgsd *h)
{
	struct vms_buf ikm;
	uint8_t *der = NULL, prk[32];
	int len, r;

	len = i2d_PrivateKey(h->signer_key, &der);
	if (len <= 0)
		return log_errno(-EINVAL, "keyproc", "step=\"deriving the KPS key\" error=\"the signer key cannot be encoded\"");
	ikm.p = der;
	ikm.len = (size_t)len;
	r = vms_hkdf_extract((const u8 *)KPS_KEY_LABEL, strlen(KPS_KEY_LABEL),
			     &ikm, 1, prk);
	OPENSSL_clear_free(der, (size_t)len);
	if (!r)
		r = vms_hpke_derive_keypair(prk, sizeof(prk), kps_sk, kps_pk);
	OPENSSL_cleanse(prk, sizeof(prk));
	if (r)
		return log_errno(r, "keyproc", "step=\"deriving the KPS key\"");
	return 0;
}

/* An operation: answer the request (@p, @len) on @fd; 0, or -EPIPE etc. */
typedef int (*keyproc_op_fn)(struct hgsd *h, int fd, uint32_t op, const uint8_t *p,
			     size_t len);

static const keyproc_op_fn ops[] = {
	[OP_ISSUE] = do_issue,
	[OP_RELEASE] = do_release,
	[OP_ADD_GUARDIAN] = do_add_guardian,
	[OP_GUARDIAN_DROP] = do_guardian,
	[OP_GUARDIAN_LOAD] = do_guardian,
	[OP_KPS_KEY] = do_kps_key,
	[OP_TLS_KEY] = do_tls_key,
};

static void *serve(void *arg)
{
	struct hgsd *h = keyproc_hgsd;
	int fd = (int)(intptr_t)arg, r = 0;

	while (!r) {
		uint8_t *p;
		uint32_t op;
		size_t len;

		r = recv_frame(fd, &op, &p, &len);
		if (r)
			break;
		/* an unknown operation: the network side speaks nonsense */
		r = op < ARRAY_SIZE(ops) && ops[op] ? ops[op](h, fd, op, p, len) : -EPROTO;
		OPENSSL_clear_free(p, len ? len : 1);
	}
	/* The network process is gone (or spoke nonsense): so are we. */
	_exit(r == -EPIPE ? 0 : 1);
	return NULL;
}

/* Open (and migrate) the store, decrypt the keys, close the store. */
static int load_keys(struct hgsd *h)
{
	int r;

	r = store_open(config_store(&h->cfg), &h->st);	/* migrates a new/old store */
	if (r)
		return log_errno(r, "keyproc", "step=\"opening the store\" store=%s",
				 config_store_shown(&h->cfg));
	r = keys_load(h);
	store_close(h->st);
	h->st = NULL;
	return r;
}

/* The verified-KP cache and a thread per channel but the first. */
static int start_serving(struct hgsd *h, const int *fds, unsigned int n)
{
	unsigned int i;
	pthread_t t;
	int r;

	kp_cache_n = h->cfg.kp_cache_entries;
	kp_cache = kp_cache_n ? calloc(kp_cache_n, sizeof(*kp_cache)) : NULL;
	if (kp_cache_n && !kp_cache)
		return log_errno(-ENOMEM, "keyproc", "step=\"making the KP cache\" kp_cache_entries=%zu",
				 kp_cache_n);
	for (i = 1; i < n; i++) {
		r = pthread_create(&t, NULL, serve, (void *)(intptr_t)fds[i]);
		if (r)
			return log_errno(-r, "keyproc", "step=\"starting a channel thread\"");
	}
	return 0;
}

/* Tell the network side why the key process cannot serve, and go. */
static void key_process_fail(int tls_fd, int r)
{
	send_frame(tls_fd, (uint32_t)(r < 0 ? r : -r), NULL, 0, NULL, 0);
	_exit(1);
}

static void key_process(struct hgsd *h, int *fds, unsigned int n, int tls_fd)
{
	sigset_t all;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_UNBLOCK, &all, NULL);	/* the parent blocked them */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(1);
	keyproc_hgsd = h;
	r = load_keys(h);
	if (!r)
		r = kps_key_derive(h);
	if (r)
		key_process_fail(tls_fd, r);
	r = start_serving(h, fds, n);
	if (r)
		key_process_fail(tls_fd, r);
	/* Everything it will ever need is open and running: confine it. */
	if (h->cfg.keyproc_seccomp) {
		r = keyproc_confine();
		if (r) {
			log_err("keyproc", "error=\"%s\" msg=\"cannot confine the key process (seccomp); set keyproc_seccomp = 0 to run it unconfined\"",
				strerror(r < 0 ? -r : r));
			key_process_fail(tls_fd, r);
		}
	}
	log_info("keyproc", "pid=%d channels=%u kp_cache_entries=%zu seccomp=%s msg=\"holding the service keys\"",
		 (int)getpid(), n, kp_cache_n,
		 h->cfg.keyproc_seccomp ? "on" : "off");
	/* The TLS key goes to the network side; the rest stays here. */
	r = send_frame(tls_fd, 0, h->tls_key_pem, h->tls_key_len, NULL, 0);
	OPENSSL_clear_free(h->tls_key_pem, h->tls_key_len + 1);
	h->tls_key_pem = NULL;
	close(tls_fd);
	if (r)
		_exit(1);
	serve((void *)(intptr_t)fds[0]);
}

int keyproc_start(struct hgsd *h)
{
	int fds[MAX_CHANNELS][2], tls[2], i, r;
	unsigned int n = h->cfg.threads + 2;	/* pool + admin thread + spare */
	uint8_t *pem;
	uint32_t status;
	size_t len;

	if (n > MAX_CHANNELS)
		n = MAX_CHANNELS;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tls) < 0)
		return -errno;
	for (i = 0; i < (int)n; i++)
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds[i]) < 0)
			return -errno;
	prctl(PR_SET_DUMPABLE, 0);
	child = fork();
	if (child < 0)
		return -errno;
	if (child == 0) {
		int kfds[MAX_CHANNELS];

		close(tls[0]);
		for (i = 0; i < (int)n; i++) {
			close(fds[i][0]);
			kfds[i] = fds[i][1];
		}
		key_process(h, kfds, n, tls[1]);
		_exit(0);
	}
	close(tls[1]);
	for (i = 0; i < (int)n; i++) {
		close(fds[i][1]);
		channels[i].fd = fds[i][0];
		pthread_mutex_init(&channels[i].lock, NULL);
	}
	n_channels = n;
	/* its first answer: the TLS key, or why it cannot serve */
	r = recv_frame(tls[0], &status, &pem, &len);
	close(tls[0]);
	if (r == 0 && status) {
		OPENSSL_clear_free(pem, len ? len : 1);
		r = (int32_t)status;
	}
	if (r) {
		keyproc_stop();
		return r;
	}
	/* libmicrohttpd wants a NUL-terminated PEM. */
	h->tls_key_pem = OPENSSL_malloc(len + 1);
	if (!h->tls_key_pem) {
		OPENSSL_clear_free(pem, len ? len : 1);
		return -ENOMEM;
	}
	memcpy(h->tls_key_pem, pem, len);
	h->tls_key_pem[len] = 0;
	h->tls_key_len = len;
	OPENSSL_clear_free(pem, len ? len : 1);
	return 0;
}

pid_t keyproc_pid(void)
{
	return child;
}

void keyproc_report_exit(void)
{
	int st = 0;

	if (child <= 0 || waitpid(child, &st, WNOHANG) != child) {
		log_err("stopping", "msg=\"the key process exited\"");
		return;
	}
	child = -1;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
		log_err("stopping", "signal=SIGSYS msg=\"the key process exited: killed by its seccomp filter (a system call outside its allow-list); hgsd stops rather than serve without keys - report this, or set keyproc_seccomp = 0 to run it unconfined\"");
	else if (WIFSIGNALED(st))
		log_err("stopping", "signal=%d msg=\"the key process exited: killed by a signal\"",
			WTERMSIG(st));
	else
		log_err("stopping", "status=%d msg=\"the key process exited\"",
			WEXITSTATUS(st));
}

void keyproc_stop(void)
{
	unsigned int i;
	int st;

	for (i = 0; i < n_channels; i++)
		close(channels[i].fd);
	n_channels = 0;
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, &st, 0);
	}
	child = -1;
}

/* ---------- the network side ---------- */

static __thread int my_channel = -1;

/* One round trip on this thread's channel. */
static int call(uint32_t op, const void *a, size_t alen, const void *b, size_t blen,
		int32_t *status, uint8_t **out, size_t *outlen)
{
	struct channel *c;
	uint32_t word;
	int r;

	if (!n_channels)
		return -ENOTCONN;
	if (my_channel < 0)
		my_channel = (int)(__atomic_fetch_add(&next_channel, 1, __ATOMIC_RELAXED) %
				   n_channels);
	c = &channels[my_channel];
	pthread_mutex_lock(&c->lock);
	r = send_frame(c->fd, op, a, alen, b, blen);
	if (r == 0)	/* the answer to what went */
		r = recv_frame(c->fd, &word, out, outlen);
	pthread_mutex_unlock(&c->lock);
	if (r) {
		log_err("keyproc", "error=\"%s\" msg=\"key process unreachable\"", strerror(-r));
		return r;
	}
	*status = (int32_t)word;
	return 0;
}

int keyproc_issue(const struct vms_health_cert_info *in, long validity_s, long margin_s,
		  uint8_t **der, size_t *len)
{
	struct issue_req rq;
	int32_t st;
	int r;

	memset(&rq, 0, sizeof(rq));
	rq.info = *in;
	rq.validity_s = validity_s;
	rq.margin_s = margin_s;
	r = call(OP_ISSUE, &rq, sizeof(rq), NULL, 0, &st, der, len);
	if (r)
		return r;
	if (st) {
		OPENSSL_free(*der);
		*der = NULL;
		return st;
	}
	return 0;
}

enum vms_hgs_reason keyproc_release_roll(const struct keyproc_release_req *rq,
					 const uint8_t *kp, size_t kplen,
					 struct keyproc_release_rep *rep,
					 uint8_t **rolled, size_t *rolled_len)
{
	uint8_t *p;
	size_t len, extra;
	int32_t st;

	if (rolled)
		*rolled = NULL;
	if (call(OP_RELEASE, rq, sizeof(*rq), kp, kplen, &st, &p, &len))
		return HGS_R_INTERNAL_ERROR;
	if (st || len < sizeof(*rep)) {
		OPENSSL_clear_free(p, len ? len : 1);
		return HGS_R_INTERNAL_ERROR;
	}
	memcpy(rep, p, sizeof(*rep));
	extra = len - sizeof(*rep);
	/* a roll's answer carries the rolled KP; nothing else carries more */
	if (extra && rolled && rq->roll && rep->reason == HGS_PASSED) {
		*rolled = malloc(extra);
		if (*rolled) {
			memcpy(*rolled, p + sizeof(*rep), extra);
			*rolled_len = extra;
		}
	}
	OPENSSL_clear_free(p, len);
	if ((unsigned int)rep->reason >= HGS_R__MAX || rep->blob_len > sizeof(rep->blob))
		return HGS_R_INTERNAL_ERROR;
	if (rep->reason == HGS_PASSED && rq->roll && (!rolled || !*rolled))
		return HGS_R_INTERNAL_ERROR;
	if (!rq->roll && extra)
		return HGS_R_INTERNAL_ERROR;
	return (enum vms_hgs_reason)rep->reason;
}

enum vms_hgs_reason keyproc_release(const struct keyproc_release_req *rq,
				    const uint8_t *kp, size_t kplen,
				    struct keyproc_release_rep *rep)
{
	return keyproc_release_roll(rq, kp, kplen, rep, NULL, NULL);
}

static int guardian_call(uint32_t op, const char *name, const char *pem)
{
	uint8_t *p;
	size_t len;
	int32_t st;
	int r;

	r = call(op, name, strlen(name) + (pem ? 1 : 0), pem, pem ? strlen(pem) : 0,
		 &st, &p, &len);
	if (r)
		return r;
	OPENSSL_free(p);
	return st;
}

int keyproc_guardian_drop(const char *name)
{
	return guardian_call(OP_GUARDIAN_DROP, name, NULL);
}

int keyproc_guardian_load(const char *name, const char *pem)
{
	return guardian_call(OP_GUARDIAN_LOAD, name, pem);
}

int keyproc_add_guardian(const char *name, char **pem)
{
	uint8_t *p;
	size_t len;
	int32_t st;
	int r;

	*pem = NULL;
	r = call(OP_ADD_GUARDIAN, name, strlen(name), NULL, 0, &st, &p, &len);
	if (r)
		return r;
	if (!st) {
		*pem = malloc(len + 1);
		if (*pem) {
			memcpy(*pem, p, len);
			(*pem)[len] = 0;
		}
	}
	OPENSSL_free(p);
	return st ? st : (*pem ? 0 : -ENOMEM);
}

int keyproc_kps_public_key(uint8_t pk[32])
{
	static uint8_t cached[32];
	static int have;
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	uint8_t *p;
	size_t len;
	int32_t st;
	int r = 0;

	pthread_mutex_lock(&lock);
	if (!have) {
		r = call(OP_KPS_KEY, NULL, 0, NULL, 0, &st, &p, &len);
		if (!r) {
			if (st || len != sizeof(cached))
				r = st ? st : -EPROTO;
			else
				memcpy(cached, p, sizeof(cached));
			have = !r;
			OPENSSL_free(p);
		}
	}
	if (!r)
		memcpy(pk, cached, sizeof(cached));
	pthread_mutex_unlock(&lock);
	return r;
}

/* The state letter of /proc/@pid/stat (after the last ')'), or 0. */
static char proc_state(pid_t pid)
{
	char path[40], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (vms_read_text(path, buf, sizeof(buf)) <= 0)
		return 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

int keyproc_ping(void)
{
	pid_t pid = child;
	uint8_t *p = NULL;
	size_t len = 0;
	int32_t st;
	char s;
	int r;

	if (pid <= 0)
		return -ESRCH;
	s = proc_state(pid);
	if (!s || s == 'Z' || s == 'X')
		return -ESRCH;
	if (s == 'T' || s == 't')
		return -EAGAIN;
	r = call(OP_KPS_KEY, NULL, 0, NULL, 0, &st, &p, &len);
	OPENSSL_free(p);
	if (r)
		return r;
	return st ? st : len == 32 ? 0 : -EPROTO;
}

int keyproc_tls_key(char **pem, size_t *len)
{
	uint8_t *p = NULL;
	size_t n = 0;
	int32_t st;
	int r;

	*pem = NULL;
	r = call(OP_TLS_KEY, NULL, 0, NULL, 0, &st, &p, &n);
	if (r)
		return r;
	if (!st && n) {
		*pem = malloc(n + 1);
		if (*pem) {
			memcpy(*pem, p, n);
			(*pem)[n] = 0;
			*len = n;
		}
	}
	OPENSSL_clear_free(p, n ? n : 1);
	if (st)
		return st;
	return *pem ? 0 : -ENOMEM;
}
