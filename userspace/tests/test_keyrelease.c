// SPDX-License-Identifier: GPL-2.0
/*
 * test_keyrelease.c - key-release blobs (v2): round trips, the known
 * answer, forgeries by anyone without the KPS key, and every kind of bad
 * input refused with its documented errno while the TK output stays
 * untouched.
 */
#include "testutil.h"
#include "hpke.h"
#include "keyrelease.h"
#include "kat_hooks.h"
#include "selftest_vectors.h"
#include "selftest_kat.h"

/* The enclave: RFC 9180 A.1's recipient key pair. */
#define SKR (vms_hpke_a1.sk_rm)
#define PKR (vms_hpke_a1.pk_rm)
/* KPS's static key (the sender): A.1's ephemeral key pair, as selftest.c. */
#define SKS (vms_hpke_a1.sk_em)
#define PKS (vms_hpke_a1.pk_em)
#define ISSUED_AT 1764892800ULL
#define CHAL_NS 5000000000ULL

static const u8 tk_fixed[32] = "TK-for-selftest-only-not-a-key!!";
static u8 digests[VMS_KR_MAX_DIGESTS][32];

static void binding(struct vms_kr_binding *b, u32 policy, unsigned int n)
{
	memset(b, 0, sizeof(*b));
	memcpy(b->vm_id, t_vm_id, 16);
	memcpy(b->key_id, t_key_id, 16);
	b->policy = policy;
	b->lifetime_s = 3600;
	b->n_digests = (u16)n;
	b->digests = digests[0];
	memset(b->challenge, 0xc5, sizeof(b->challenge));
	b->challenge_ns = CHAL_NS;
	b->issued_at = ISSUED_AT;
}

/* A valid shielded blob with one digest (284 bytes) in @blob. */
static size_t build_one(u8 *blob, size_t cap)
{
	struct vms_kr_binding b;

	binding(&b, VMS_KR_POLICY_SHIELDED, 1);
	assert_int_equal(vms_kr_build(&b, PKR, SKS, tk_fixed, blob, cap), 0);
	return vms_kr_size(1);
}

/* Open @blob expecting @err; TK and binding must show nothing. */
static void expect_open(const u8 *blob, size_t len, const u8 *vm,
			const u8 *key, int err)
{
	struct vms_kr_binding b;
	u8 tk[32];

	memset(tk, PATTERN, sizeof(tk));
	memset(&b, PATTERN, sizeof(b));
	assert_int_equal(vms_kr_open(blob, len, SKR, PKR, PKS, vm, key, &b,
				     tk), err);
	assert_true(t_all(tk, sizeof(tk), PATTERN));
	assert_true(t_all(&b, sizeof(b), 0));
}

static void test_sizes(void **state)
{
	(void)state;
	assert_int_equal(vms_kr_size(0), 252);
	assert_int_equal(vms_kr_size(1), 284);
	assert_int_equal(vms_kr_size(16), 252 + 512);
	assert_int_equal(vms_kr_size(64), 252 + 2048);	/* a worker's image */
	assert_int_equal(vms_kr_size(65), 0);
}

static void round_trip(u32 policy, unsigned int n)
{
	u8 blob[VMS_KR_MAX_LEN], tk[32], out[32];
	struct vms_kr_binding b, got;
	u8 sk[32], pk[32], ikm[32], kps_sk[32], kps_pk[32];

	t_random(ikm, sizeof(ikm));
	assert_int_equal(vms_hpke_derive_keypair(ikm, 32, kps_sk, kps_pk), 0);
	t_random(ikm, sizeof(ikm));
	t_random(tk, sizeof(tk));
	t_random(digests, sizeof(digests));
	assert_int_equal(vms_hpke_derive_keypair(ikm, 32, sk, pk), 0);
	binding(&b, policy, n);
	t_random(b.challenge, sizeof(b.challenge));
	assert_int_equal(vms_kr_build(&b, pk, kps_sk, tk, blob, sizeof(blob)),
			 0);
	assert_int_equal(vms_kr_open(blob, vms_kr_size(n), sk, pk, kps_pk,
				     t_vm_id, t_key_id, &got, out), 0);
	assert_memory_equal(out, tk, 32);
	assert_memory_equal(got.vm_id, t_vm_id, 16);
	assert_memory_equal(got.key_id, t_key_id, 16);
	assert_int_equal(got.policy, policy);
	assert_int_equal(got.lifetime_s, 3600);
	assert_int_equal(got.n_digests, n);
	if (n)
		assert_memory_equal(got.digests, digests, 32 * n);
	assert_memory_equal(got.challenge, b.challenge, 32);
	assert_int_equal(got.challenge_ns, CHAL_NS);
	assert_int_equal(got.not_after_ns, CHAL_NS + 3600ULL * 1000000000ULL);
	assert_int_equal(got.issued_at, ISSUED_AT);
	/* The binding is the blob's own bytes, big-endian, where specified. */
	assert_memory_equal(blob, "VMKR\0\2\0\0", 8);
	assert_memory_equal(blob + 52, pk, 32);
	assert_memory_equal(blob + 116, kps_pk, 32);
	assert_memory_equal(blob + 148, b.challenge, 32);
	assert_int_equal(vms_get_be64(blob + 188), got.not_after_ns);
}

static void test_round_trip_shielded(void **state)
{
	(void)state;
	round_trip(VMS_KR_POLICY_SHIELDED, 1);
	round_trip(VMS_KR_POLICY_SHIELDED, 16);
}

static void test_round_trip_encryption_supported(void **state)
{
	(void)state;
	round_trip(VMS_KR_POLICY_ENCRYPTION_SUPPORTED, 0);
	round_trip(VMS_KR_POLICY_ENCRYPTION_SUPPORTED, 3);
}

/* Same blob as core/selftest_kat.h, from the public API. */
static void test_known_answer(void **state)
{
	u8 blob[284], again[284];
	struct vms_kr_binding b;
	static const u8 dg[32] = {
		0xd7, 0xa8, 0xfb, 0xb3, 0x07, 0xd7, 0x80, 0x94,
		0x69, 0xca, 0x9a, 0xbc, 0xb0, 0x08, 0x2e, 0x4f,
		0x8d, 0x56, 0x51, 0xe4, 0x6d, 0x3c, 0xdb, 0x76,
		0x2d, 0x02, 0xd0, 0xbf, 0x37, 0xc9, 0xe5, 0x92,
	};

	(void)state;
	binding(&b, VMS_KR_POLICY_SHIELDED, 1);
	b.digests = dg;
	memcpy(b.challenge, st_kr_challenge, 32);
	assert_int_equal(vms_kr_build_kat(&b, PKR, SKS, tk_fixed,
					  vms_hpke_a1.ikm_e, blob,
					  sizeof(blob)), 0);
	/* The module's load-time known answer, which Python reproduces. */
	assert_memory_equal(blob, st_kr_kat, sizeof(blob));
	assert_int_equal(vms_kr_build_kat(&b, PKR, SKS, tk_fixed,
					  vms_hpke_a1.ikm_e, again,
					  sizeof(again)), 0);
	assert_memory_equal(blob, again, sizeof(blob));
	/*
	 * The production build is the same path with a fresh ephemeral key:
	 * every byte before enc is the same, enc (and so ct) differs.
	 */
	assert_int_equal(vms_kr_build(&b, PKR, SKS, tk_fixed, again,
				      sizeof(again)), 0);
	assert_memory_equal(blob, again, 84);
	assert_memory_not_equal(blob + 84, again + 84, 32);
	assert_memory_equal(blob + 116, again + 116, 284 - 116 - 48);
	/* No fixed key, no fallback to a random one. */
	assert_int_equal(vms_kr_build_kat(&b, PKR, SKS, tk_fixed, NULL, again,
					  sizeof(again)), -EINVAL);
}

/*
 * The errno a single flipped bit must produce, from the layout: the parse
 * and binding checks come first, then the addressing, then the AEAD.
 */
static int flip_errno(size_t off, unsigned int bit, int want_ids)
{
	u32 v;

	if (off < 4)
		return -EILSEQ;
	if (off < 6)
		return -EPROTONOSUPPORT;
	/* the floor's bit: 8 more bytes expected, the length is wrong */
	if (off == 7 && (1u << bit) == VMS_KR_F_VTPM_FLOOR)
		return -EMSGSIZE;
	/* a defined flag parses; the AEAD's aad then no longer matches */
	if (off == 7 && ((1u << bit) & VMS_KR_FLAGS_ALL))
		return -EBADMSG;
	if (off < 8)
		return -EINVAL;				/* flags */
	if (off < 40)
		return want_ids ? -EKEYREJECTED : -EBADMSG;
	if (off < 44)
		return -EINVAL;		/* policy 2 -> 0, 3, 6, ...: none valid */
	if (off < 48)
		return -EINVAL;	/* lifetime: out of range or not_after differs */
	if (off < 50) {
		v = 1u ^ (1u << (8 * (49 - off) + bit));
		if (v == 0 || v > VMS_KR_MAX_DIGESTS)
			return -EINVAL;		/* shielded needs one; max 64 */
		return -EMSGSIZE;		/* valid count, wrong length */
	}
	if (off < 52)
		return -EINVAL;				/* reserved */
	if (off < 84)
		return -ENOKEY;				/* enclave_pk */
	if (off < 116)
		return -EBADMSG;			/* enc */
	if (off < 148)
		return -EPERM;				/* kps_pk */
	if (off < 180)
		return -EBADMSG;			/* challenge */
	if (off < 196)
		return -EINVAL;	/* challenge_ns, not_after_ns: must agree */
	return -EBADMSG;	/* issued_at, digests, ct: authenticated */
}

static void flip_all(int want_ids)
{
	u8 blob[284], bad[284], tk[32];
	size_t len = build_one(blob, sizeof(blob)), i;
	struct vms_kr_binding b;

	for (i = 0; i < len * 8; i++) {
		memcpy(bad, blob, len);
		bad[i / 8] ^= (u8)(1u << (i % 8));
		expect_open(bad, len, want_ids ? t_vm_id : NULL,
			    want_ids ? t_key_id : NULL,
			    flip_errno(i / 8, i % 8, want_ids));
	}
	/* And the untouched blob still opens. */
	assert_int_equal(vms_kr_open(blob, len, SKR, PKR, PKS, NULL, NULL, &b,
				     tk), 0);
}

static void test_every_bit_flip(void **state)
{
	(void)state;
	flip_all(1);
}

static void test_every_bit_flip_no_expected_ids(void **state)
{
	(void)state;
	flip_all(0);
}

static void test_truncated(void **state)
{
	u8 blob[284];
	size_t len = build_one(blob, sizeof(blob)), n;

	(void)state;
	/* Every length below the full size, header or not. */
	for (n = 0; n < len; n++)
		expect_open(blob, n, t_vm_id, t_key_id, -EMSGSIZE);
}

static void test_trailing_bytes(void **state)
{
	u8 blob[290];
	size_t len = build_one(blob, sizeof(blob));

	(void)state;
	blob[len] = 0;
	expect_open(blob, len + 1, t_vm_id, t_key_id, -EMSGSIZE);
	expect_open(blob, len + 4, t_vm_id, t_key_id, -EMSGSIZE);
}

static void test_unknown_version(void **state)
{
	u8 blob[284];
	size_t len = build_one(blob, sizeof(blob));

	(void)state;
	vms_put_be16(blob + 4, 3);
	expect_open(blob, len, t_vm_id, t_key_id, -EPROTONOSUPPORT);
	/* v1 (base mode, no challenge) is over: refused as a version */
	vms_put_be16(blob + 4, 1);
	expect_open(blob, len, t_vm_id, t_key_id, -EPROTONOSUPPORT);
	expect_open(blob, 164, t_vm_id, t_key_id, -EPROTONOSUPPORT);
	vms_put_be16(blob + 4, 0);
	expect_open(blob, len, t_vm_id, t_key_id, -EPROTONOSUPPORT);
}

static void test_unknown_flags(void **state)
{
	u8 blob[284];
	size_t len = build_one(blob, sizeof(blob));

	(void)state;
	vms_put_be16(blob + 6, 0x8000);
	expect_open(blob, len, t_vm_id, t_key_id, -EINVAL);
}

/*
 * Flag bit 1 (the KP requires the vTPM in the enclave): built, parsed and
 * opened as it was set; an undefined bit is refused by build (nothing
 * written) and by open.
 */
static void test_vtpm_in_enclave_flag(void **state)
{
	u8 blob[284], out[32];
	struct vms_kr_binding b, got;

	(void)state;
	binding(&b, VMS_KR_POLICY_SHIELDED, 1);
	b.flags = VMS_KR_F_VTPM_IN_ENCLAVE;
	assert_int_equal(vms_kr_build(&b, PKR, SKS, tk_fixed, blob,
				      sizeof(blob)), 0);
	assert_int_equal(vms_get_be16(blob + 6), 0x0002);
	assert_int_equal(vms_kr_parse(blob, sizeof(blob), &got, NULL), 0);
	assert_int_equal(got.flags, VMS_KR_F_VTPM_IN_ENCLAVE);
	assert_int_equal(vms_kr_open(blob, sizeof(blob), SKR, PKR, PKS,
				     t_vm_id, t_key_id, &got, out), 0);
	assert_int_equal(got.flags, VMS_KR_F_VTPM_IN_ENCLAVE);
	assert_memory_equal(out, tk_fixed, 32);
	/* cleared by host root: the aad changed, the release does not open */
	vms_put_be16(blob + 6, 0);
	expect_open(blob, sizeof(blob), t_vm_id, t_key_id, -EBADMSG);
	/* bit 3 is not defined: build refuses it and writes nothing */
	memset(blob, PATTERN, sizeof(blob));
	b.flags = 0x0008;
	assert_int_equal(vms_kr_build(&b, PKR, SKS, tk_fixed, blob,
				      sizeof(blob)), -EINVAL);
	assert_true(t_all(blob, sizeof(blob), PATTERN));
}

/*
 * Flag bit 2 (issue 21): vtpm_floor, 8 bytes right before ct (after
 * next_key_id in a roll), authenticated; a release without it parses as
 * before (floor 0, same size); the field cut off or trailing is refused.
 */
static void test_vtpm_floor(void **state)
{
	u8 blob[VMS_KR_ROLL_MAX_LEN], out[32], out2[32];
	struct vms_kr_binding b, got;
	size_t len;

	(void)state;
	binding(&b, VMS_KR_POLICY_SHIELDED, 1);
	b.flags = VMS_KR_F_VTPM_IN_ENCLAVE | VMS_KR_F_VTPM_FLOOR;
	b.vtpm_floor = 0x0102030405060708ULL;
	len = vms_kr_size_flags(1, b.flags);
	assert_int_equal(len, 284 + 8);
	assert_int_equal(vms_kr_size_flags(1, 0), 284);
	assert_int_equal(vms_kr_build(&b, PKR, SKS, tk_fixed, blob, len - 1), -ENOSPC);
	assert_int_equal(vms_kr_build(&b, PKR, SKS, tk_fixed, blob, sizeof(blob)), 0);
	assert_int_equal(vms_get_be16(blob + 6), 0x0006);
	assert_int_equal(vms_get_be64(blob + 204 + 32), b.vtpm_floor);
	assert_int_equal(vms_kr_open(blob, len, SKR, PKR, PKS, t_vm_id, t_key_id,
				     &got, out), 0);
	assert_int_equal(got.vtpm_floor, b.vtpm_floor);
	assert_int_equal(got.flags, b.flags);
	assert_memory_equal(out, tk_fixed, 32);
	/* without the trailing 8 bytes or with one more: refused */
	expect_open(blob, len - 1, t_vm_id, t_key_id, -EMSGSIZE);
	expect_open(blob, len + 1, t_vm_id, t_key_id, -EMSGSIZE);
	/* host root lowers the floor: the aad changed, it does not open */
	blob[204 + 32 + 7] ^= 1;
	expect_open(blob, len, t_vm_id, t_key_id, -EBADMSG);
	blob[204 + 32 + 7] ^= 1;
	/* or drops the bit (and the field): the aad changed */
	vms_put_be16(blob + 6, VMS_KR_F_VTPM_IN_ENCLAVE);
	memmove(blob + 204 + 32, blob + 204 + 40, 48);
	expect_open(blob, len - 8, t_vm_id, t_key_id, -EBADMSG);
	/* a release without the bit: floor 0, as before */
	len = build_one(blob, sizeof(blob));
	assert_int_equal(vms_kr_open(blob, len, SKR, PKR, PKS, t_vm_id, t_key_id,
				     &got, out), 0);
	assert_int_equal(got.vtpm_floor, 0);
	/* a roll with a floor: after next_key_id, both keys open */
	binding(&b, VMS_KR_POLICY_SHIELDED, 1);
	b.flags = VMS_KR_FLAG_ROLL | VMS_KR_F_VTPM_FLOOR;
	b.vtpm_floor = 42;
	memset(b.next_key_id, 0x6e, 16);
	assert_int_equal(vms_kr_build_roll(&b, PKR, SKS, tk_fixed, tk_fixed, blob,
					   sizeof(blob)), 0);
	len = vms_kr_size_flags(1, b.flags);
	assert_int_equal(len, 316 + 32 + 8);
	assert_int_equal(vms_get_be64(blob + 204 + 32 + 16), 42);
	assert_int_equal(vms_kr_open_roll(blob, len, SKR, PKR, PKS, t_vm_id, &got,
					  out, out2), 0);
	assert_int_equal(got.vtpm_floor, 42);
	assert_memory_equal(got.next_key_id, b.next_key_id, 16);
}

static void test_nonzero_reserved(void **state)
{
	u8 blob[284];
	size_t len = build_one(blob, sizeof(blob));

	(void)state;
	vms_put_be16(blob + 50, 1);
	expect_open(blob, len, t_vm_id, t_key_id, -EINVAL);
}

static void test_bad_binding_values(void **state)
{
	u8 blob[284], bad[284];
	size_t len = build_one(blob, sizeof(blob));
	static const u32 bad_policy[] = { 0, 3, 0xffffffff };
	static const u32 bad_life[] = { 0, VMS_KR_MAX_LIFETIME + 1,
					0xffffffff };
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad_policy); i++) {
		memcpy(bad, blob, len);
		vms_put_be32(bad + 40, bad_policy[i]);
		expect_open(bad, len, NULL, NULL, -EINVAL);
	}
	for (i = 0; i < ARRAY_SIZE(bad_life); i++) {
		memcpy(bad, blob, len);
		vms_put_be32(bad + 44, bad_life[i]);
		expect_open(bad, len, NULL, NULL, -EINVAL);
	}
	/* Too many digests, and shielded with none. */
	memcpy(bad, blob, len);
	vms_put_be16(bad + 48, VMS_KR_MAX_DIGESTS + 1);
	expect_open(bad, len, NULL, NULL, -EINVAL);
	memcpy(bad, blob, len);
	vms_put_be16(bad + 48, 0);
	expect_open(bad, len, NULL, NULL, -EINVAL);
}

static void test_wrong_vm_id(void **state)
{
	u8 blob[284];
	size_t len = build_one(blob, sizeof(blob));

	(void)state;
	expect_open(blob, len, t_other_id, t_key_id, -EKEYREJECTED);
}

static void test_wrong_key_id(void **state)
{
	u8 blob[284];
	size_t len = build_one(blob, sizeof(blob));

	(void)state;
	expect_open(blob, len, t_vm_id, t_other_id, -EKEYREJECTED);
}

/* Released to another enclave: refused before any crypto. */
static void test_other_enclave(void **state)
{
	u8 blob[284], sk[32], pk[32], ikm[32], tk[32];
	struct vms_kr_binding b;
	size_t len = build_one(blob, sizeof(blob));

	(void)state;
	t_random(ikm, sizeof(ikm));
	assert_int_equal(vms_hpke_derive_keypair(ikm, 32, sk, pk), 0);
	memset(tk, PATTERN, sizeof(tk));
	assert_int_equal(vms_kr_open(blob, len, sk, pk, PKS, NULL, NULL, &b,
				     tk), -ENOKEY);
	assert_true(t_all(tk, sizeof(tk), PATTERN));
	/* Lying about pkR does not help: the AEAD still refuses. */
	assert_int_equal(vms_kr_open(blob, len, sk, PKR, PKS, NULL, NULL, &b,
				     tk), -EBADMSG);
	assert_true(t_all(tk, sizeof(tk), PATTERN));
}

static void test_low_order_enc(void **state)
{
	u8 blob[284];
	size_t len = build_one(blob, sizeof(blob));

	(void)state;
	memcpy(blob + 84, t_zero32, 32);
	expect_open(blob, len, t_vm_id, t_key_id, -EINVAL);
	memcpy(blob + 84, t_low_order, 32);
	expect_open(blob, len, t_vm_id, t_key_id, -EINVAL);
}

/* An enclave told to accept a low-order KPS key accepts nothing. */
static void test_low_order_kps_pk(void **state)
{
	struct vms_kr_binding b;
	u8 blob[284], tk[32];
	size_t len = build_one(blob, sizeof(blob));

	(void)state;
	memcpy(blob + 116, t_low_order, 32);
	memset(tk, PATTERN, sizeof(tk));
	assert_int_equal(vms_kr_open(blob, len, SKR, PKR, t_low_order, NULL,
				     NULL, &b, tk), -EINVAL);
	assert_true(t_all(tk, sizeof(tk), PATTERN));
}

static void test_build_low_order_enclave_pk(void **state)
{
	u8 blob[284];
	struct vms_kr_binding b;

	(void)state;
	binding(&b, VMS_KR_POLICY_SHIELDED, 1);
	memset(blob, PATTERN, sizeof(blob));
	assert_int_equal(vms_kr_build(&b, t_zero32, SKS, tk_fixed, blob,
				      sizeof(blob)), -EINVAL);
	assert_true(t_all(blob, sizeof(blob), 0));
	assert_int_equal(vms_kr_build(&b, t_low_order, SKS, tk_fixed, blob,
				      sizeof(blob)), -EINVAL);
	assert_true(t_all(blob, sizeof(blob), 0));
}

static void test_build_refuses_bad_binding(void **state)
{
	u8 blob[VMS_KR_MAX_LEN + 32];
	struct vms_kr_binding b;

	(void)state;
	memset(blob, PATTERN, sizeof(blob));
	binding(&b, VMS_KR_POLICY_SHIELDED, 0);
	assert_int_equal(vms_kr_build(&b, PKR, SKS, tk_fixed, blob,
				      sizeof(blob)),
			 -EINVAL);
	binding(&b, 7, 1);
	assert_int_equal(vms_kr_build(&b, PKR, SKS, tk_fixed, blob,
				      sizeof(blob)),
			 -EINVAL);
	binding(&b, VMS_KR_POLICY_SHIELDED, VMS_KR_MAX_DIGESTS + 1);
	assert_int_equal(vms_kr_build(&b, PKR, SKS, tk_fixed, blob,
				      sizeof(blob)),
			 -EINVAL);
	binding(&b, VMS_KR_POLICY_SHIELDED, 1);
	b.lifetime_s = 0;
	assert_int_equal(vms_kr_build(&b, PKR, SKS, tk_fixed, blob,
				      sizeof(blob)),
			 -EINVAL);
	b.lifetime_s = VMS_KR_MAX_LIFETIME + 1;
	assert_int_equal(vms_kr_build(&b, PKR, SKS, tk_fixed, blob,
				      sizeof(blob)),
			 -EINVAL);
	/* Too small an output: -ENOSPC and nothing written. */
	binding(&b, VMS_KR_POLICY_SHIELDED, 1);
	b.issued_at = 0;
	assert_int_equal(vms_kr_build(&b, PKR, SKS, tk_fixed, blob,
				      sizeof(blob)), -EINVAL);
	binding(&b, VMS_KR_POLICY_SHIELDED, 1);
	b.challenge_ns = (u64)-1 - 1000;	/* expiry would not fit */
	assert_int_equal(vms_kr_build(&b, PKR, SKS, tk_fixed, blob,
				      sizeof(blob)), -EINVAL);
	binding(&b, VMS_KR_POLICY_SHIELDED, 1);
	assert_int_equal(vms_kr_build(&b, PKR, SKS, tk_fixed, blob, 283),
			 -ENOSPC);
	assert_true(t_all(blob, sizeof(blob), PATTERN));
}

static void test_parse_only(void **state)
{
	u8 blob[284];
	size_t len = build_one(blob, sizeof(blob));
	struct vms_kr_binding b;
	struct vms_kr_view v;

	(void)state;
	assert_int_equal(vms_kr_parse(blob, len, &b, &v), 0);
	assert_ptr_equal(v.enclave_pk, blob + 52);
	assert_ptr_equal(v.enc, blob + 84);
	assert_ptr_equal(v.kps_pk, blob + 116);
	assert_ptr_equal(v.ct, blob + 236);
	assert_int_equal(v.aadlen, 236);
	assert_ptr_equal(b.digests, blob + 204);
	memcpy(blob, "VMSS", 4);
	assert_int_equal(vms_kr_parse(blob, len, &b, &v), -EILSEQ);
	assert_true(t_all(&b, sizeof(b), 0));
}

/*
 * The forgery of issue 17: someone who knows only the enclave's public key
 * (and KPS's public key) builds a release. Made under their own key and
 * naming it, it is from another sender (-EPERM); naming KPS's key, it does
 * not authenticate (-EBADMSG): auth mode needs KPS's secret.
 */
static void test_forged_without_kps_key(void **state)
{
	u8 blob[284], ikm[32], fsk[32], fpk[32];
	struct vms_kr_binding b;
	size_t len = vms_kr_size(1);

	(void)state;
	t_random(ikm, sizeof(ikm));
	assert_int_equal(vms_hpke_derive_keypair(ikm, 32, fsk, fpk), 0);
	binding(&b, VMS_KR_POLICY_SHIELDED, 1);
	assert_int_equal(vms_kr_build(&b, PKR, fsk, tk_fixed, blob,
				      sizeof(blob)), 0);
	expect_open(blob, len, t_vm_id, t_key_id, -EPERM);
	memcpy(blob + 116, PKS, 32);
	expect_open(blob, len, t_vm_id, t_key_id, -EBADMSG);
}

/* challenge_ns and not_after_ns must agree with the lifetime. */
static void test_expiry_fields_agree(void **state)
{
	u8 blob[284];
	size_t len = build_one(blob, sizeof(blob));

	(void)state;
	vms_put_be64(blob + 188, vms_get_be64(blob + 188) + 1);
	expect_open(blob, len, NULL, NULL, -EINVAL);
	build_one(blob, sizeof(blob));
	vms_put_be64(blob + 180, (u64)-1);
	expect_open(blob, len, NULL, NULL, -EINVAL);
	build_one(blob, sizeof(blob));
	vms_put_be64(blob + 196, 0);		/* issued_at 0 */
	expect_open(blob, len, NULL, NULL, -EINVAL);
}

/* ---- the TK roll (VMS_KR_FLAG_ROLL, issue 20) ---- */

static const u8 tk_next_fixed[32] = "the-next-TK-after-a-roll-0123456";
static const u8 next_key_id[16] = "next-key-id-0001";

/* A valid shielded roll release with one digest (348 bytes) in @blob. */
static size_t build_roll(u8 *blob, size_t cap)
{
	struct vms_kr_binding b;

	binding(&b, VMS_KR_POLICY_SHIELDED, 1);
	b.flags = VMS_KR_FLAG_ROLL;
	memcpy(b.next_key_id, next_key_id, 16);
	assert_int_equal(vms_kr_build_roll(&b, PKR, SKS, tk_fixed, tk_next_fixed,
					   blob, cap), 0);
	return vms_kr_roll_size(1);
}

/* Open a roll release expecting @err: neither key written, binding zero. */
static void expect_open_roll(const u8 *blob, size_t len, int err)
{
	struct vms_kr_binding b;
	u8 tk[32], tk2[32];

	memset(tk, PATTERN, sizeof(tk));
	memset(tk2, PATTERN, sizeof(tk2));
	memset(&b, PATTERN, sizeof(b));
	assert_int_equal(vms_kr_open_roll(blob, len, SKR, PKR, PKS, t_vm_id, &b,
					  tk, tk2), err);
	assert_true(t_all(tk, sizeof(tk), PATTERN));
	assert_true(t_all(tk2, sizeof(tk2), PATTERN));
	assert_true(t_all(&b, sizeof(b), 0));
}

static void test_roll_round_trip(void **state)
{
	u8 blob[VMS_KR_ROLL_MAX_LEN], tk[32], tk2[32];
	struct vms_kr_binding b;
	size_t len = build_roll(blob, sizeof(blob));

	(void)state;
	assert_int_equal(len, 252 + 32 + 64);
	assert_int_equal(vms_kr_roll_size(0), 316);
	assert_int_equal(vms_kr_roll_size(VMS_KR_MAX_DIGESTS + 1), 0);
	assert_int_equal(vms_get_be16(blob + 6), VMS_KR_FLAG_ROLL);
	assert_int_equal(vms_kr_open_roll(blob, len, SKR, PKR, PKS, t_vm_id, &b,
					  tk, tk2), 0);
	assert_memory_equal(tk, tk_fixed, 32);
	assert_memory_equal(tk2, tk_next_fixed, 32);
	assert_memory_equal(b.key_id, t_key_id, 16);
	assert_memory_equal(b.next_key_id, next_key_id, 16);
	assert_int_equal(b.flags, VMS_KR_FLAG_ROLL);
}

/*
 * A caller that does not handle the second key (the module and the
 * enclave today) refuses a roll release before any crypto, and the roll
 * opener refuses a plain one: neither is taken for the other.
 */
static void test_roll_not_taken_for_plain(void **state)
{
	u8 blob[VMS_KR_ROLL_MAX_LEN], plain[284];
	struct vms_kr_binding b;
	size_t len = build_roll(blob, sizeof(blob));
	size_t plen = build_one(plain, sizeof(plain));

	(void)state;
	expect_open(blob, len, t_vm_id, t_key_id, -EINVAL);
	assert_int_equal(vms_kr_parse(blob, len, &b, NULL), -EINVAL);
	expect_open_roll(plain, plen, -EINVAL);
	/* the flag set on a plain release: the roll layout does not fit */
	vms_put_be16(plain + 6, VMS_KR_FLAG_ROLL);
	expect_open_roll(plain, plen, -EMSGSIZE);
	/* vms_kr_build() makes no roll; vms_kr_build_roll() nothing else */
	binding(&b, VMS_KR_POLICY_SHIELDED, 1);
	b.flags = VMS_KR_FLAG_ROLL;
	assert_int_equal(vms_kr_build(&b, PKR, SKS, tk_fixed, blob, sizeof(blob)), -EINVAL);
	b.flags = 0;
	assert_int_equal(vms_kr_build_roll(&b, PKR, SKS, tk_fixed, tk_next_fixed, blob,
					   sizeof(blob)), -EINVAL);
	b.flags = VMS_KR_FLAG_ROLL;
	assert_int_equal(vms_kr_build_roll(&b, PKR, SKS, tk_fixed, tk_next_fixed, blob,
					   vms_kr_roll_size(1) - 1), -ENOSPC);
}

/* Every bit of a roll release (next key id and both seals included) counts. */
static void test_roll_every_bit_flip(void **state)
{
	u8 blob[VMS_KR_ROLL_MAX_LEN];
	size_t len = build_roll(blob, sizeof(blob)), i;
	int bit;

	(void)state;
	for (i = 0; i < len; i++)
		for (bit = 0; bit < 8; bit++) {
			struct vms_kr_binding b;
			u8 tk[32], tk2[32];

			blob[i] ^= (u8)(1 << bit);
			memset(tk, PATTERN, sizeof(tk));
			memset(tk2, PATTERN, sizeof(tk2));
			assert_int_not_equal(vms_kr_open_roll(blob, len, SKR, PKR, PKS, NULL,
							      &b, tk, tk2), 0);
			assert_true(t_all(tk, sizeof(tk), PATTERN));
			assert_true(t_all(tk2, sizeof(tk2), PATTERN));
			blob[i] ^= (u8)(1 << bit);
		}
}

static void test_roll_truncated_and_trailing(void **state)
{
	u8 blob[VMS_KR_ROLL_MAX_LEN + 1];
	size_t len = build_roll(blob, sizeof(blob));

	(void)state;
	expect_open_roll(blob, len - 1, -EMSGSIZE);
	expect_open_roll(blob, len - VMS_KR_CT_LEN, -EMSGSIZE);
	blob[len] = 0;
	expect_open_roll(blob, len + 1, -EMSGSIZE);
	/* the two seals swapped: the sequence numbers tell them apart */
	{
		u8 tmp[VMS_KR_CT_LEN];
		size_t ct = len - 2 * VMS_KR_CT_LEN;

		memcpy(tmp, blob + ct, VMS_KR_CT_LEN);
		memmove(blob + ct, blob + ct + VMS_KR_CT_LEN, VMS_KR_CT_LEN);
		memcpy(blob + ct + VMS_KR_CT_LEN, tmp, VMS_KR_CT_LEN);
		expect_open_roll(blob, len, -EBADMSG);
	}
}

/*
 * vms_kr_roll_flag(): which parser a loader calls. A hint only: a roll
 * blob says ROLL, anything else (a plain release, too short, not a
 * release at all) 0, and the parser it picks still checks everything.
 */
static void test_roll_flag_hint(void **state)
{
	u8 roll[VMS_KR_ROLL_MAX_LEN], plain[VMS_KR_MAX_LEN];
	struct vms_kr_binding b;
	size_t rn, pn;

	(void)state;
	rn = build_roll(roll, sizeof(roll));
	pn = build_one(plain, sizeof(plain));
	assert_int_equal(vms_kr_roll_flag(roll, rn), VMS_KR_FLAG_ROLL);
	assert_int_equal(vms_kr_roll_flag(plain, pn), 0);
	assert_int_equal(vms_kr_roll_flag(roll, VMS_KR_HDR_LEN - 1), 0);
	assert_int_equal(vms_kr_roll_flag(NULL, rn), 0);
	roll[0] ^= 1;
	assert_int_equal(vms_kr_roll_flag(roll, rn), 0);
	roll[0] ^= 1;
	/* the hint picks the roll parser, which still refuses a cut blob */
	assert_int_equal(vms_kr_parse_roll(roll, rn - 1, &b, NULL), -EMSGSIZE);
	assert_int_equal(vms_kr_parse_roll(roll, rn, &b, NULL), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_round_trip_shielded),
		cmocka_unit_test(test_round_trip_encryption_supported),
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_every_bit_flip),
		cmocka_unit_test(test_every_bit_flip_no_expected_ids),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_unknown_version),
		cmocka_unit_test(test_unknown_flags),
		cmocka_unit_test(test_vtpm_in_enclave_flag),
		cmocka_unit_test(test_vtpm_floor),
		cmocka_unit_test(test_nonzero_reserved),
		cmocka_unit_test(test_bad_binding_values),
		cmocka_unit_test(test_wrong_vm_id),
		cmocka_unit_test(test_wrong_key_id),
		cmocka_unit_test(test_other_enclave),
		cmocka_unit_test(test_low_order_enc),
		cmocka_unit_test(test_build_low_order_enclave_pk),
		cmocka_unit_test(test_build_refuses_bad_binding),
		cmocka_unit_test(test_parse_only),
		cmocka_unit_test(test_low_order_kps_pk),
		cmocka_unit_test(test_forged_without_kps_key),
		cmocka_unit_test(test_expiry_fields_agree),
		cmocka_unit_test(test_roll_round_trip),
		cmocka_unit_test(test_roll_not_taken_for_plain),
		cmocka_unit_test(test_roll_every_bit_flip),
		cmocka_unit_test(test_roll_truncated_and_trailing),
		cmocka_unit_test(test_roll_flag_hint),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("keyrelease", tests, NULL, NULL);
}
