/* SPDX-License-Identifier: GPL-2.0 */
/*
 * roll_fixture.h - what test_hgsd_roll and test_hgsd_migrate share: one
 * real hgsd (hgsd_fixture.h) with a tenant's guardian, HGS's guardian
 * read from /v1/metadata and an approved worker digest; attested hosts
 * (host-key mode); shielded KPs; release, roll and confirmation requests
 * and what a host keeps of a roll, opened as its enclave would.
 */
#ifndef VMS_ROLL_FIXTURE_H
#define VMS_ROLL_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "hgsd_fixture.h"
#include "vms_guardian.h"
#include "vms_hgs_client.h"

#define RF_CHALLENGE	"c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"
#define RF_CHALLENGE_NS	5000000000LL

/* The one hgsd of the test binary and its clients (NULL while stopped). */
extern struct t_hgsd hgsd;
extern struct vms_hgs_client *cli, *adm;
extern struct vms_guardian hgs_g;	/* public: from /v1/metadata */
extern struct vms_guardian owner;	/* the tenant */

struct host {
	const char *name;
	EVP_PKEY *key;
	uint8_t esk[32], epk[32];	/* its enclave's key */
	char *cert;			/* its health certificate (base64) */
};

/* What a host keeps of a roll (a start's or a migration's). */
struct rolled {
	uint8_t tk[32], tk_next[32], key_id[16], next_key_id[16];
	uint64_t version, next_version;
	char *kp;		/* the rolled KP (base64) */
	uint8_t *blob;		/* the release itself, as captured */
	size_t blob_len;
};

/*
 * mkdtemp(@tmpl) (a buffer, "...XXXXXX", room for "/hgs" more), hgsd
 * initialised in @tmpl/hgs and started, the tenant's guardian made, HGS's
 * read, a worker digest approved. 0 or -1.
 */
int rf_setup(char *tmpl, size_t size);
/* hgsd stopped, the guardians freed, @tmpl removed (unless HGSD_KEEP). */
int rf_teardown(const char *tmpl);

void start_hgsd(void);
void stop_hgsd(int sig);

/* Register and attest @h (host-key mode): its certificate in h->cert. */
void host_attest(struct host *h);
void host_free(struct host *h);

/* A shielded KP of @vm for the owner and HGS's guardian; its TK in @tk. */
char *make_kp(const char *vm, uint8_t tk[32]);
/* The same with the KP policy @policy (VMS_KR_POLICY_*). */
char *make_kp_policy(const char *vm, unsigned int policy, uint8_t tk[32]);

/* A start's release request (@roll: with the TK roll). */
json_t *release_req(const struct host *h, const char *kp, const char *vm, int roll);
/* An agent's renewal of @vm's key: "renewal": true, never a roll. */
json_t *renewal_req(const struct host *h, const char *kp, const char *vm);
json_t *confirm_req(const struct host *h, const char *vm, uint64_t v, const uint8_t kid[16]);

void rolled_free(struct rolled *r);
/* Open @ans's release as @h's enclave would; the answer's roll members. */
void open_rolled(const struct host *h, json_t *ans, const char *vm, struct rolled *out);
/* A start with the roll of @kp for @vm on @h. */
void roll_ok(const struct host *h, const char *kp, const char *vm, struct rolled *out);
/* A refused release: @http and @sub, no key and no KP in the answer. */
void release_expect(const struct host *h, const char *kp, const char *vm, int roll,
		    long http, const char *sub);
/* Confirm @r's next version; @unchanged: it was confirmed already. */
void confirm_roll(const struct host *h, const char *vm, const struct rolled *r, int unchanged);

#endif /* VMS_ROLL_FIXTURE_H */
