// SPDX-License-Identifier: GPL-2.0
/*
 * roll.c - the TK roll at a start (see roll.h). The order is what makes
 * every crash recoverable (Documentation/migration.md §1.3): the rolled
 * KP is on disk as "KP.new" before the state is re-sealed; the state is
 * re-sealed (written atomically) before "KP.new" replaces the KP; the KP
 * is replaced before the roll is confirmed. At every point the state file
 * is under the TK of the KP a next start presents, or settle() makes it so.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "roll.h"
#include "vms_agent_client.h"
#include "vms_b64.h"
#include "vms_cleanup.h"
#include "vms_fileio.h"
#include "vms_hex.h"
#include "vms_kp.h"

#define ROLL_KP_MAX	(64u << 10)
/* nothing answers at the agent's socket (as keysrc.c tells it) */
#define AGENT_GONE(r)	((r) == -ENOENT || (r) == -ECONNREFUSED || (r) == -ETIMEDOUT)

void worker_roll_crash_point(const char *step)
{
	const char *want = getenv("VMSHIELD_WORKER_ROLL_KILL");

	if (want && !strcmp(want, step)) {
		printf("worker: VMSHIELD_WORKER_ROLL_KILL=%s: killed here\n",
		       step);
		fflush(stdout);
		raise(SIGKILL);
	}
	/*
	 * The whole-host crash test's hook: hold here until something outside
	 * ends the host (the fabric kills QEMU), so the crash comes exactly
	 * at this step with everything before it on disk.
	 */
	want = getenv("VMSHIELD_WORKER_ROLL_WAIT");
	if (want && !strcmp(want, step)) {
		printf("worker: VMSHIELD_WORKER_ROLL_WAIT=%s: waiting here\n",
		       step);
		fflush(stdout);
		for (;;)
			pause();
	}
}

static int new_path(const char *kp_file, char *out, size_t size)
{
	int n = snprintf(out, size, "%s.new", kp_file);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* The key id a KP file's TK has (the roll's for a rolled KP). */
static int kp_file_key_id(const char *path, uint8_t key_id[16],
			  uint64_t *version)
{
	struct vms_kp_info info;
	uint8_t *der = NULL;
	size_t len = 0;
	int r;

	r = vms_read_file(path, ROLL_KP_MAX, &der, &len);
	if (!r)
		r = vms_kp_verify(der, len, &info);
	free(der);
	if (r)
		return r;
	memcpy(key_id, info.key_id, 16);
	if (version)
		*version = info.tk_version;
	return 0;
}

/* rename(2) and fsync the directory: the new name survives a crash. */
static int rename_durable(const char *from, const char *to)
{
	char dir[PATH_MAX];
	int fd, r = 0;

	if (strlen(to) >= sizeof(dir))
		return -ENAMETOOLONG;
	if (rename(from, to))
		return -errno;
	/* dirname() of a copy: "." for a bare name, "/" for "/x" */
	memcpy(dir, to, strlen(to) + 1);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		r = -errno;
	close(fd);
	return r;
}

int worker_roll_settle(const char *kp_file, const struct vms_ss_header *hdr)
{
	char np[PATH_MAX];
	uint8_t id[16];
	uint64_t v = 0;
	int r;

	r = new_path(kp_file, np, sizeof(np));
	if (r)
		return r;
	if (access(np, F_OK) && errno == ENOENT)
		return 0;
	r = kp_file_key_id(np, id, &v);
	if (!r && !memcmp(id, hdr->key_id, sizeof(id))) {
		/* re-sealed under it, crashed before the rename */
		r = rename_durable(np, kp_file);
		if (r) {
			fprintf(stderr, "worker: cannot put the rolled key protector %s in place: %s\n",
				np, strerror(-r));
			return r;
		}
		printf("worker: an interrupted TK roll had re-sealed the state: %s (version %llu) is the key protector now; this start confirms it\n",
		       np, (unsigned long long)v);
		return 0;
	}
	/* the state is not under it: the roll never re-sealed, drop it */
	if (unlink(np) && errno != ENOENT) {
		r = -errno;
		fprintf(stderr, "worker: cannot remove the rolled key protector %s of an interrupted roll: %s\n",
			np, strerror(-r));
		return r;
	}
	printf("worker: an interrupted TK roll never re-sealed the state: removed %s; the state is under %s\n",
	       np, kp_file);
	return 0;
}

static void copy_str(json_t *o, const char *k, char *out, size_t size)
{
	const char *s = json_string_value(json_object_get(o, k));

	snprintf(out, size, "%s", s ? s : "");
}

/* The agent's answer to a roll release: check it, keep the roll's facts. */
static key_serial_t roll_answer(struct worker_roll *wr, json_t *o,
				uint8_t **kp, size_t *kp_len)
{
	const char *b64 = json_string_value(json_object_get(o, "rolled_key_protector"));
	json_int_t key = json_integer_value(json_object_get(o, "key_serial"));
	json_int_t v = json_integer_value(json_object_get(o, "next_tk_version"));
	char status[8], msg[512], src[16], sub[64];

	copy_str(o, "status", status, sizeof(status));
	if (strcmp(status, "Passed")) {
		copy_str(o, "message", msg, sizeof(msg));
		copy_str(o, "source", src, sizeof(src));
		copy_str(o, "substatus", sub, sizeof(sub));
		/* as a plain release: HGS out of reach is "try again" (exit 3) */
		if (!strcmp(sub, "HgsUnreachable")) {
			fprintf(stderr, "worker: no rolled key for VM %s: %s (%s %s): HGS could not be reached; nothing was changed, try again\n",
				wr->vm_uuid, msg, src, sub);
			return -EHOSTUNREACH;
		}
		fprintf(stderr, "worker: no rolled key for VM %s: %s (%s %s)\n",
			wr->vm_uuid, msg, src, sub);
		return strcmp(status, "Failed") ? -EPROTO : -EACCES;
	}
	copy_str(o, "next_key_id", wr->next_key_id, sizeof(wr->next_key_id));
	if (!b64 || key <= 0 || key > INT32_MAX || v < 1 ||
	    strlen(wr->next_key_id) != 32 ||
	    vms_hex_decode_exact(wr->next_key_id, wr->next_key_id_bin, 16) ||
	    vms_b64_decode(b64, strlen(b64), ROLL_KP_MAX, kp, kp_len)) {
		fprintf(stderr, "worker: hgs-agent's answer to the TK roll of VM %s lacks the rolled key protector or the next version: the agent is older than the worker\n",
			wr->vm_uuid);
		return -EPROTO;
	}
	wr->next_version = (uint64_t)v;
	return (key_serial_t)key;
}

key_serial_t worker_roll_release(struct worker_roll *wr, const char *uuid)
{
	_cleanup_(vms_freep) uint8_t *kp = NULL, *rolled = NULL;
	_cleanup_(vms_freep) char *kp64 = NULL, *line = NULL, *answer = NULL;
	size_t len = 0, rolled_len = 0;
	char np[PATH_MAX];
	uint8_t id[16];
	key_serial_t key;
	json_t *o;
	int r;

	snprintf(wr->vm_uuid, sizeof(wr->vm_uuid), "%s", uuid);
	r = new_path(wr->kp_file, np, sizeof(np));
	if (!r)
		r = vms_read_file(wr->kp_file, ROLL_KP_MAX, &kp, &len);
	if (r) {
		fprintf(stderr, "worker: cannot read the key protector %s: %s\n",
			wr->kp_file, strerror(-r));
		return r;
	}
	kp64 = vms_b64_encode(kp, len);
	if (!kp64)
		o = NULL;
	else if (wr->migrate_from)	/* agent.md: migrate-in always rolls */
		o = json_pack("{s:s, s:s, s:s, s:s}", "op", "migrate-in",
			      "vm_id", uuid, "key_protector", kp64,
			      "source_host", wr->migrate_from);
	else
		o = json_pack("{s:s, s:s, s:s, s:b}", "op", "release", "vm_id",
			      uuid, "key_protector", kp64, "roll", 1);
	line = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!line)
		return -ENOMEM;
	if (wr->migrate_from)
		printf("worker: asking hgs-agent for VM %s's key, migrating in from %s (key protector %s, %zu bytes)\n",
		       uuid, wr->migrate_from, wr->kp_file, len);
	else
		printf("worker: asking hgs-agent for VM %s's key with a TK roll (key protector %s, %zu bytes)\n",
		       uuid, wr->kp_file, len);
	fflush(stdout);
	r = vms_agent_call(wr->socket, line, &answer);
	if (r) {
		fprintf(stderr, "worker: no key for VM %s: hgs-agent at %s: %s (is hgs-agent running? Documentation/agent.md)%s\n",
			uuid, wr->socket ? wr->socket : VMS_AGENT_SOCKET,
			strerror(-r), AGENT_GONE(r) ? "; nothing was changed, try again" : "");
		/* no agent answers: "try again" (exit 3), as a plain release */
		return AGENT_GONE(r) ? -EHOSTUNREACH : r;
	}
	o = json_loads(answer, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		fprintf(stderr, "worker: hgs-agent's answer is not JSON\n");
		return -EPROTO;
	}
	key = roll_answer(wr, o, &rolled, &rolled_len);
	json_decref(o);
	if (key < 0)
		return key;
	/* the rolled KP must hold the next key id the release was for */
	r = vms_write_file_atomic(np, rolled, rolled_len, vms_public_file_mode(),
				  0);
	if (!r)
		r = kp_file_key_id(np, id, NULL);
	if (!r && memcmp(id, wr->next_key_id_bin, sizeof(id)))
		r = -EKEYREJECTED;
	if (r) {
		unlink(np);
		fprintf(stderr, "worker: the rolled key protector for VM %s cannot be kept as %s: %s\n",
			uuid, np, strerror(-r));
		return r;
	}
	/* possess the key, as the library does for a plain release */
	if (keyctl_link(key, KEY_SPEC_SESSION_KEYRING) < 0) {
		r = -errno;
		unlink(np);
		fprintf(stderr, "worker: the rolled key of VM %s cannot be linked into this session: %s\n",
			uuid, strerror(-r));
		return r;
	}
	wr->released = 1;
	printf("worker: hgs-agent loaded VM %s's rolled key: serial %d, next TK version %llu, key id %s; the rolled key protector is %s until the state is re-sealed\n",
	       uuid, key, (unsigned long long)wr->next_version,
	       wr->next_key_id, np);
	worker_roll_crash_point("after-release");
	return key;
}

static int roll_confirm(struct worker_roll *wr)
{
	_cleanup_(vms_freep) char *line = NULL, *answer = NULL;
	char status[8], msg[512], sub[64];
	json_t *o;
	int r;

	o = json_pack("{s:s, s:s, s:I, s:s}", "op", "confirm", "vm_id",
		      wr->vm_uuid, "tk_version", (json_int_t)wr->next_version,
		      "key_id", wr->next_key_id);
	line = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!line)
		return -ENOMEM;
	r = vms_agent_call(wr->socket, line, &answer);
	if (r) {
		fprintf(stderr, "worker: the TK roll of VM %s is not confirmed: hgs-agent: %s; the state is under the rolled TK and the next start confirms it\n",
			wr->vm_uuid, strerror(-r));
		return r;
	}
	o = json_loads(answer, 0, NULL);
	copy_str(o, "status", status, sizeof(status));
	copy_str(o, "message", msg, sizeof(msg));
	copy_str(o, "substatus", sub, sizeof(sub));
	json_decref(o);
	if (strcmp(status, "Passed")) {
		fprintf(stderr, "worker: the TK roll of VM %s is not confirmed: %s (%s); the state is under the rolled TK and the next start confirms it\n",
			wr->vm_uuid, msg[0] ? msg : "no answer", sub);
		return -EACCES;
	}
	printf("worker: TK roll of VM %s confirmed: version %llu\n",
	       wr->vm_uuid, (unsigned long long)wr->next_version);
	return 0;
}

int worker_roll_commit(struct worker_roll *wr)
{
	char np[PATH_MAX];
	int r;

	worker_roll_crash_point("after-reseal");
	r = new_path(wr->kp_file, np, sizeof(np));
	if (!r)
		r = rename_durable(np, wr->kp_file);
	if (r) {
		fprintf(stderr, "worker: the state is re-sealed but %s cannot replace %s: %s; the next start puts it in place\n",
			np, wr->kp_file, strerror(-r));
		return r;
	}
	printf("worker: %s is VM %s's key protector now (TK version %llu)\n",
	       wr->kp_file, wr->vm_uuid, (unsigned long long)wr->next_version);
	worker_roll_crash_point("after-rename");
	return roll_confirm(wr);
}
