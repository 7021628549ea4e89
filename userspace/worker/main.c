// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - vmshield-worker: the reference VM worker. It runs a VM's vTPM
 * (libtpms, in process), and keeps the vTPM's state only as sealed state:
 * sealed by vmshield.ko under the VM's key and written atomically.
 *
 *   vmshield-worker provision|resume|run --vm UUID --state FILE KEY ...
 *   vmshield-worker serve --vm UUID --state FILE KEY --ctrl ... [--server ...]
 *   vmshield-worker status --state FILE
 *
 * Documentation/worker.md says what each command does and what every
 * failure means.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include <libtpms/tpm_library.h>
#include <openssl/rand.h>

#include "keyrelease.h"
#include "keysrc.h"
#include "vtpm_statement.h"
#include "roll.h"
#include "sealer_dev.h"
#include "serve.h"
#include "vms_agent_client.h"
#include "vms_exit.h"
#include "statefile.h"
#include "tpm_ops.h"
#include "tpm_state.h"
#include "vms_fileio.h"
#include "vms_hex.h"
#include "vms_kp.h"
#include "vmshield.h"
#include "vtpm.h"

static int dumpable_error;

/*
 * Non-dumpable before main() runs: no core dump, no ptrace by other
 * processes of the same user, no /proc/PID/mem, and the module serves
 * shielded keys only to non-dumpable workers.
 */
__attribute__((constructor(101))) static void worker_undumpable(void)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		dumpable_error = errno;
}

enum cmd { CMD_PROVISION, CMD_RESUME, CMD_RUN, CMD_SERVE, CMD_STATUS };

struct opts {
	enum cmd cmd;
	const char *vm;
	uint8_t vm_id[16];
	const char *state;
	struct worker_key_source key;
	const char *nv_text;
	const char *expect;
	uint64_t min_generation;
	long reseal_ms;
	uint64_t count;
	int no_persistent_key;
	int print_qemu_args;
	int vtpm_in_enclave;
	int roll;		/* the TK roll at this start (roll.c): decide_roll() */
	int no_roll;		/* --no-roll (an encryption-supported KP only) */
	int migration_tls_only;	/* --migration-tls-only (a shielded KP: always) */
	const char *incoming;	/* serve --incoming HOST: migrate-in from HOST */
	struct serve_opts serve;
};

/* The roll of this start, if it rolls (one start per process). */
static struct worker_roll the_roll;

static const char *const cmd_names[] = {
	"provision", "resume", "run", "serve", "status",
};

static void usage_cmd(FILE *f, enum cmd c)
{
	static const char *const text[] = {
	[CMD_PROVISION] =
"Usage: vmshield-worker provision --vm UUID --state FILE KEY\n"
"                                 [--nv-text TEXT] [--no-persistent-key]\n\n"
"Create a fresh TPM 2.0 for the VM (manufacture, Startup(CLEAR)), define NV\n"
"index 0x01500016 holding TEXT (default: a random tag, printed), an NV\n"
"counter 0x01500017 and a persistent ECC storage key 0x81000001 (its name is\n"
"printed), then Shutdown(STATE), seal the permanent and volatile state with\n"
"generation 1 and write FILE atomically. FILE must not exist yet.\n",
	[CMD_RESUME] =
"Usage: vmshield-worker resume --vm UUID --state FILE KEY\n"
"                              [--expect TEXT] [--min-generation N]\n\n"
"Unseal FILE, load it into a fresh libtpms, Startup(STATE) (Startup(CLEAR)\n"
"after an unclean stop), read NV index 0x01500016, the counter and the\n"
"persistent key back and print them. With --expect, exit 1 unless the NV\n"
"index holds TEXT. Does not write FILE.\n",
	[CMD_RUN] =
"Usage: vmshield-worker run --vm UUID --state FILE KEY\n"
"                           [--reseal-every MS] [--count N] [--min-generation N]\n\n"
"What a running VM's worker does: resume the vTPM from FILE, then every MS\n"
"milliseconds (default 1000; 0 = as fast as possible) increment NV counter\n"
"0x01500017, seal the state with the next generation and replace FILE\n"
"atomically, printing one line per seal. Stops after N seals (default: on\n"
"SIGTERM or SIGINT) with Shutdown(STATE) and a last, orderly seal.\n",
	[CMD_SERVE] =
"Usage: vmshield-worker serve --vm UUID --state FILE KEY\n"
"                             --ctrl type=unixio,path=PATH[,mode=0600][,uid=N][,gid=N]\n"
"                             [--server type=tcp,port=N] [--flags not-need-init[,startup-clear]]\n"
"                             [--terminate] [--min-generation N] [--vtpm-in-enclave]\n"
"                             [--migration-tls-only] [--incoming SOURCE-HOST]\n"
"       vmshield-worker serve --ctrl type=unixio,path=PATH --print-qemu-args\n"
"       (or --ctrl type=tcp,port=N: control channel on 127.0.0.1)\n\n"
"Serve the VM's vTPM to its VMM over swtpm's socket protocol, as QEMU's\n"
"-tpmdev emulator and libvirt's <backend type='external'> expect: the control\n"
"channel on --ctrl, the TPM commands on the socket QEMU passes with\n"
"CMD_SET_DATAFD (or on 127.0.0.1:N with --server, for tpm2-tools' swtpm TCTI).\n"
"Every change of the vTPM's state is sealed as the next generation and written\n"
"to FILE atomically before the command is answered. Stops at CMD_SHUTDOWN,\n"
"SIGTERM or SIGINT, or (--terminate) when the VMM closes the data channel.\n"
"--print-qemu-args prints the QEMU options for the socket, and what a shielded\n"
"VM's QEMU command line must not have, and exits.\n"
"--vtpm-in-enclave (placement hypervisor): the vTPM runs in the enclave and\n"
"the worker forwards to it; FILE holds its state sealed by the enclave (a\n"
"new vTPM when FILE does not exist). See Documentation/vtpm-in-enclave.md.\n"
"--migration-tls-only (always for a shielded KP): state blobs (CMD_GET_STATEBLOB)\n"
"only while FILE.migrate-out announces a TLS migration of this VM to a named\n"
"host (vmshield-migrate out writes it). See Documentation/migration.md.\n"
"--incoming SOURCE-HOST (with --kp): the VM migrates in from SOURCE-HOST: the\n"
"key is hgs-agent's migrate-in (KPS rolls the TK to this host); the state\n"
"QEMU brings (SET_STATEBLOB) is sealed under the rolled TK, then FILE's KP is\n"
"replaced by the rolled one and the roll confirmed.\n"
"See Documentation/vmm-integration.md.\n",
	[CMD_STATUS] =
"Usage: vmshield-worker status --state FILE\n\n"
"Show a sealed-state file's header (VM id, key id, generation, size) and\n"
"whether a worker is serving it, as key=value. Needs no key; unseals nothing.\n",
	};

	fputs(text[c], f);
	if (c == CMD_STATUS)
		return;
	fputs("\nKEY is one of:\n"
	      "  --key SERIAL          the serial of the VM's vmshield key\n"
	      "  --key-desc vm:UUID    search this process's keyrings for it\n"
	      "  --kp FILE             ask hgs-agent to release it from the VM's key\n"
	      "                        protector (what a worker does in production)\n"
	      "  --agent SOCKET        hgs-agent's socket (default " VMS_AGENT_SOCKET ")\n"
	      "  --roll                with --kp (resume, run, serve): roll the TK at\n"
	      "                        this start: the state is re-sealed under a new\n"
	      "                        TK, FILE replaced by the rolled key protector\n"
	      "                        and the roll confirmed before the vTPM starts\n"
	      "                        (the default for every --kp start of a vTPM in\n"
	      "                        this process)\n"
	      "  --no-roll             no TK roll at this start: refused for a shielded\n"
	      "                        key protector (Documentation/worker.md)\n"
	      "\n  --min-generation N    refuse a sealed state older than generation N\n"
	      "                        (a rollback to a superseded file)\n"
	      "  -h, --help            this help\n", f);
}

static void usage(FILE *f)
{
	fputs("Usage: vmshield-worker COMMAND --vm UUID --state FILE KEY [OPTIONS]\n\n"
	      "The reference VM worker of vmshield: runs a VM's vTPM (libtpms) and\n"
	      "keeps its state only sealed by vmshield.ko under the VM's key.\n\n"
	      "Commands:\n"
	      "  provision   a fresh vTPM for a new VM, sealed as generation 1\n"
	      "  resume      unseal, start the vTPM, show what it holds\n"
	      "  run         resume, then change and reseal the vTPM periodically\n"
	      "  serve       serve the vTPM to QEMU or libvirt (swtpm's protocol)\n"
	      "  status      a state file's header and whether a worker serves it\n\n"
	      "vmshield-worker COMMAND --help shows a command's options;\n"
	      "vmshield-worker --version the version.\n"
	      "See Documentation/worker.md.\n", f);
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	if (!s || !*s || *s == '-')
		return -EINVAL;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

enum {
	OPT_VM = 256, OPT_STATE, OPT_KEY, OPT_KEY_DESC, OPT_NV_TEXT,
	OPT_EXPECT, OPT_MIN_GEN, OPT_RESEAL, OPT_COUNT, OPT_NO_PKEY,
	OPT_KP, OPT_AGENT, OPT_CTRL, OPT_SERVER, OPT_FLAGS, OPT_TERMINATE,
	OPT_QEMU_ARGS, OPT_VTPM_ENCLAVE, OPT_ROLL, OPT_NO_ROLL, OPT_MIGRATION_TLS,
	OPT_INCOMING,
};

static const struct option long_opts[] = {
	{ "vm", required_argument, NULL, OPT_VM },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "key-desc", required_argument, NULL, OPT_KEY_DESC },
	{ "kp", required_argument, NULL, OPT_KP },
	{ "agent", required_argument, NULL, OPT_AGENT },
	{ "nv-text", required_argument, NULL, OPT_NV_TEXT },
	{ "expect", required_argument, NULL, OPT_EXPECT },
	{ "min-generation", required_argument, NULL, OPT_MIN_GEN },
	{ "reseal-every", required_argument, NULL, OPT_RESEAL },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "no-persistent-key", no_argument, NULL, OPT_NO_PKEY },
	{ "ctrl", required_argument, NULL, OPT_CTRL },
	{ "server", required_argument, NULL, OPT_SERVER },
	{ "flags", required_argument, NULL, OPT_FLAGS },
	{ "terminate", no_argument, NULL, OPT_TERMINATE },
	{ "print-qemu-args", no_argument, NULL, OPT_QEMU_ARGS },
	{ "vtpm-in-enclave", no_argument, NULL, OPT_VTPM_ENCLAVE },
	{ "roll", no_argument, NULL, OPT_ROLL },
	{ "no-roll", no_argument, NULL, OPT_NO_ROLL },
	{ "migration-tls-only", no_argument, NULL, OPT_MIGRATION_TLS },
	{ "incoming", required_argument, NULL, OPT_INCOMING },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Which options each command takes. */
static int opt_allowed(enum cmd c, int opt)
{
	switch (opt) {
	case OPT_NV_TEXT: case OPT_NO_PKEY:
		return c == CMD_PROVISION;
	case OPT_EXPECT:
		return c == CMD_RESUME;
	case OPT_MIN_GEN:
		return c != CMD_PROVISION;
	case OPT_RESEAL: case OPT_COUNT:
		return c == CMD_RUN;
	case OPT_CTRL: case OPT_SERVER: case OPT_FLAGS: case OPT_TERMINATE:
	case OPT_QEMU_ARGS: case OPT_VTPM_ENCLAVE: case OPT_MIGRATION_TLS:
	case OPT_INCOMING:
		return c == CMD_SERVE;
	case OPT_STATE:
		return 1;
	case OPT_ROLL: case OPT_NO_ROLL:
		return c == CMD_RESUME || c == CMD_RUN || c == CMD_SERVE;
	default:
		return c != CMD_STATUS;
	}
}

/* 0, 1 (help printed: exit 0) or -EINVAL (message printed: exit 2). */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	uint64_t v;
	int c, idx = 0;

	o->reseal_ms = 1000;
	o->serve.io_timeout_ms = 5000;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", long_opts, &idx)) != -1) {
		if (c == 'h') {
			usage_cmd(stdout, o->cmd);
			return 1;
		}
		if (c == '?' || !opt_allowed(o->cmd, c)) {
			if (c != '?')
				fprintf(stderr, "worker: %s does not take --%s\n",
					cmd_names[o->cmd], long_opts[idx].name);
			usage_cmd(stderr, o->cmd);
			return -EINVAL;
		}
		switch (c) {
		case OPT_VM:
			o->vm = optarg;
			break;
		case OPT_STATE:
			o->state = optarg;
			break;
		case OPT_KEY:
			if (parse_u64(optarg, &v) || !v || v > INT32_MAX) {
				fprintf(stderr, "worker: --key wants a key serial (a positive number), got '%s'\n",
					optarg);
				return -EINVAL;
			}
			o->key.kind = WORKER_KEY_SERIAL;
			o->key.serial = (key_serial_t)v;
			break;
		case OPT_KEY_DESC:
			o->key.kind = WORKER_KEY_DESC;
			o->key.desc = optarg;
			break;
		case OPT_KP:
			o->key.kind = WORKER_KEY_AGENT;
			o->key.kp_file = optarg;
			break;
		case OPT_AGENT:
			o->key.socket = optarg;
			break;
		case OPT_NV_TEXT:
			o->nv_text = optarg;
			break;
		case OPT_EXPECT:
			o->expect = optarg;
			break;
		case OPT_NO_PKEY:
			o->no_persistent_key = 1;
			break;
		case OPT_MIN_GEN:
			if (parse_u64(optarg, &o->min_generation)) {
				fprintf(stderr, "worker: --min-generation wants a number, got '%s'\n",
					optarg);
				return -EINVAL;
			}
			break;
		case OPT_RESEAL:
			if (parse_u64(optarg, &v) || v > 86400000) {
				fprintf(stderr, "worker: --reseal-every wants milliseconds (0..86400000), got '%s'\n",
					optarg);
				return -EINVAL;
			}
			o->reseal_ms = (long)v;
			break;
		case OPT_COUNT:
			if (parse_u64(optarg, &o->count) || !o->count) {
				fprintf(stderr, "worker: --count wants a positive number, got '%s'\n",
					optarg);
				return -EINVAL;
			}
			break;
		case OPT_CTRL:
			if (serve_parse_ctrl(optarg, &o->serve.ctrl))
				return -EINVAL;
			break;
		case OPT_SERVER:
			if (serve_parse_server(optarg, &o->serve.data))
				return -EINVAL;
			if (o->serve.data.type != SERVE_EP_TCP) {
				fprintf(stderr, "worker: --server takes type=tcp,port=N\n");
				return -EINVAL;
			}
			break;
		case OPT_FLAGS:
			if (serve_parse_flags(optarg, &o->serve))
				return -EINVAL;
			break;
		case OPT_TERMINATE:
			o->serve.terminate = 1;
			break;
		case OPT_QEMU_ARGS:
			o->print_qemu_args = 1;
			break;
		case OPT_VTPM_ENCLAVE:
			o->vtpm_in_enclave = 1;
			break;
		case OPT_ROLL:
			o->roll = 1;
			break;
		case OPT_NO_ROLL:
			o->no_roll = 1;
			break;
		case OPT_MIGRATION_TLS:
			o->migration_tls_only = 1;
			break;
		case OPT_INCOMING:
			o->incoming = optarg;
			break;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "worker: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (o->cmd == CMD_STATUS) {
		if (o->state)
			return 0;
		fprintf(stderr, "worker: status needs --state FILE\n");
		usage_cmd(stderr, o->cmd);
		return -EINVAL;
	}
	if (o->cmd == CMD_SERVE && o->print_qemu_args) {
		if (o->serve.ctrl.type == SERVE_EP_UNIX)
			return 0;
		fprintf(stderr, "worker: --print-qemu-args needs --ctrl type=unixio,path=PATH\n");
		return -EINVAL;
	}
	if (o->key.socket && o->key.kind != WORKER_KEY_AGENT) {
		fprintf(stderr, "worker: --agent goes with --kp FILE (the key protector hgs-agent releases the key from)\n");
		return -EINVAL;
	}
	if (o->roll && o->key.kind != WORKER_KEY_AGENT) {
		fprintf(stderr, "worker: --roll goes with --kp FILE (hgs-agent rolls the TK with KPS)\n");
		return -EINVAL;
	}
	if (o->no_roll && (o->roll || o->key.kind != WORKER_KEY_AGENT)) {
		fprintf(stderr, "worker: --no-roll goes with --kp FILE and without --roll\n");
		return -EINVAL;
	}
	if (o->incoming && (o->key.kind != WORKER_KEY_AGENT ||
			    o->roll || o->no_roll || !*o->incoming || strlen(o->incoming) > 64)) {
		fprintf(stderr, "worker: --incoming SOURCE-HOST (1 to 64 characters) goes with --kp FILE (hgs-agent's migrate-in rolls the TK with KPS), without --roll or --no-roll (a migration always rolls)\n");
		return -EINVAL;
	}
	if (!o->vm || !o->state || o->key.kind == WORKER_KEY_NONE) {
		fprintf(stderr, "worker: %s needs --vm UUID, --state FILE and --kp FILE, --key SERIAL or --key-desc vm:UUID\n",
			cmd_names[o->cmd]);
		usage_cmd(stderr, o->cmd);
		return -EINVAL;
	}
	if (vms_uuid_parse(o->vm, o->vm_id)) {
		fprintf(stderr, "worker: --vm wants a UUID (8-4-4-4-12 hex digits), got '%s'\n",
			o->vm);
		return -EINVAL;
	}
	if (o->cmd == CMD_SERVE && o->serve.ctrl.type == SERVE_EP_NONE) {
		fprintf(stderr, "worker: serve needs --ctrl type=unixio,path=PATH (or type=tcp,port=N)\n");
		usage_cmd(stderr, o->cmd);
		return -EINVAL;
	}
	if (o->nv_text && (!*o->nv_text ||
			   strlen(o->nv_text) > WORKER_NV_TAG_MAX)) {
		fprintf(stderr, "worker: --nv-text wants 1 to %d bytes\n",
			WORKER_NV_TAG_MAX);
		return -EINVAL;
	}
	return 0;
}

/* Lock memory so plaintext TPM state never reaches swap (if we may). */
static void lock_memory(void)
{
	if (mlockall(MCL_CURRENT | MCL_FUTURE) == 0) {
		printf("worker: memory locked (no plaintext vTPM state in swap)\n");
		return;
	}
	fprintf(stderr, "worker: warning: cannot lock memory (mlockall: %s): plaintext vTPM state could be swapped out; run as root or raise RLIMIT_MEMLOCK\n",
		strerror(errno));
}

/*
 * Build the state container (@flags, @perm, optional @vol) into @c and
 * seal it as @generation into the state file.
 */
static int seal_container(int fd, key_serial_t key, const struct opts *o,
			  uint64_t generation, uint16_t flags,
			  const struct vms_secret *perm,
			  const struct vms_secret *vol, struct vms_secret *c)
{
	int r = vts_build(flags, perm->p, perm->len, vol ? vol->p : NULL,
			  vol ? vol->len : 0, c);

	if (r) {
		fprintf(stderr, "worker: cannot build the state container: %s\n",
			strerror(-r));
		return r;
	}
	r = vms_dev_seal_to_file(fd, key, generation, c->p, c->len, o->state);
	if (r) {
		/* errnos only the write of the file gives */
		enum vms_op op = r == -ENOSPC || r == -EIO || r == -EROFS ||
				 r == -ENOENT || r == -ENOTDIR ?
				 VMS_OP_FILE : VMS_OP_SEAL;

		fprintf(stderr, "worker: seal generation %" PRIu64 " to %s: %s\n",
			generation, o->state, vms_dev_op_strerror(op, r));
	}
	return r;
}

/* Shutdown(STATE), then seal permanent + volatile state as orderly. */
static int seal_orderly(struct tpm_session *s, int fd, key_serial_t key,
			const struct opts *o, uint64_t generation)
{
	_cleanup_vms_secret_ struct vms_secret perm = { 0 }, vol = { 0 },
						    c = { 0 };
	int r;

	r = tpm_shutdown_state(s);
	if (r)
		return r;
	r = vtpm_get_state(TPMLIB_STATE_PERMANENT, &perm);
	if (r)
		return r;
	r = vtpm_get_state(TPMLIB_STATE_VOLATILE, &vol);
	if (r)
		return r;
	r = seal_container(fd, key, o, generation, VTS_F_ORDERLY, &perm, &vol, &c);
	if (r)
		return r;
	printf("worker: sealed orderly state generation %" PRIu64
	       " (%zu bytes) to %s\n", generation,
	       c.len + VMSHIELD_SEAL_OVERHEAD, o->state);
	return 0;
}

static void random_tag(const struct opts *o, char *buf, size_t size)
{
	uint8_t rnd[8];
	char hex[17];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));	/* a tag, not a secret */
	vms_hex_encode(rnd, sizeof(rnd), hex);
	snprintf(buf, size, "vmshield %s %s", o->vm, hex);
}

/* Manufacture and start a fresh TPM 2.0: its session is open after. */
static int manufacture(const struct opts *o, struct tpm_session *s)
{
	int r;

	r = vtpm_start_fresh();
	if (r)
		return r;
	r = tpm_open(s);
	if (r)
		return r;
	r = tpm_startup(s, TPM2_SU_CLEAR);
	if (r)
		return r;
	printf("worker: manufactured a fresh TPM 2.0 for VM %s (libtpms %u.%u.%u)\n",
	       o->vm, TPMLIB_GetVersion() >> 16, TPMLIB_GetVersion() >> 8 & 0xff,
	       TPMLIB_GetVersion() & 0xff);
	return 0;
}

/* What a VM's vTPM holds from the start: NV tag, counter, storage key. */
static int put_provisioned_objects(const struct opts *o, struct tpm_session *s)
{
	char tag[WORKER_NV_TAG_MAX + 1], name[2 * 68 + 1];
	uint64_t counter = 0;
	int r;

	if (o->nv_text)
		snprintf(tag, sizeof(tag), "%s", o->nv_text);
	else
		random_tag(o, tag, sizeof(tag));
	r = tpm_nv_define_text(s, WORKER_NV_TAG, tag, strlen(tag));
	if (r)
		return r;
	printf("worker: NV index 0x%08x holds '%s'\n", WORKER_NV_TAG, tag);
	r = tpm_nv_define_counter(s, WORKER_NV_COUNTER);
	if (r)
		return r;
	r = tpm_nv_read_counter(s, WORKER_NV_COUNTER, &counter);
	if (r)
		return r;
	printf("worker: NV counter 0x%08x = %" PRIu64 "\n", WORKER_NV_COUNTER,
	       counter);
	if (o->no_persistent_key)
		return 0;
	r = tpm_persist_primary(s, WORKER_PERSISTENT_KEY, name, sizeof(name));
	if (r)
		return r;
	printf("worker: persistent key 0x%08x name %s\n", WORKER_PERSISTENT_KEY,
	       name);
	return 0;
}

static int cmd_provision(const struct opts *o, struct statefile *sf)
{
	struct tpm_session s = { 0 };
	key_serial_t key;
	int fd, r;

	r = statefile_must_not_exist(sf);
	if (r)
		return r;
	key = worker_key_acquire(&o->key, o->vm_id);
	if (key < 0)
		return key;
	fd = vms_dev_open();
	if (fd < 0) {
		fprintf(stderr, "worker: %s\n", vms_dev_op_strerror(VMS_OP_OPEN, fd));
		return fd;
	}
	r = manufacture(o, &s);
	if (!r)
		r = put_provisioned_objects(o, &s);
	if (!r)
		r = seal_orderly(&s, fd, key, o, 1);
	tpm_close(&s);
	vtpm_stop();
	vms_dev_close(fd);
	return r;
}

/* The VM's state as unsealed, and what it took to get it. */
struct unsealed {
	int fd;			/* /dev/vmshield */
	key_serial_t key;
	uint64_t generation;
	struct vms_secret state;	/* the container (plaintext) */
	struct vts_view v;		/* into @state */
};

static void unsealed_release(struct unsealed *u)
{
	vms_secret_free(&u->state);
	vms_dev_close(u->fd);
	u->fd = -1;
}

/*
 * The TK roll (--roll): the state just unsealed (under the current TK)
 * sealed again, unchanged, as the next generation under the next TK and
 * written atomically; then the rolled KP replaces the KP and the roll is
 * confirmed. Only then does the start go on: no vTPM change happens
 * before, so a crash anywhere leaves the last acknowledged content.
 */
static int reseal_rolled(const struct opts *o, struct unsealed *u)
{
	int r;

	if (u->generation == UINT64_MAX) {
		fprintf(stderr, "worker: generation counter exhausted\n");
		return -EOVERFLOW;
	}
	r = vms_dev_seal_to_file(u->fd, u->key, u->generation + 1, u->state.p,
				 u->state.len, o->state);
	if (r) {
		fprintf(stderr, "worker: re-seal of %s under the rolled TK: %s\n",
			o->state, vms_dev_op_strerror(r == -ENOSPC || r == -EIO ?
						      VMS_OP_FILE : VMS_OP_SEAL, r));
		return r;
	}
	u->generation++;
	printf("worker: re-sealed %s under the rolled TK as generation %" PRIu64 "\n",
	       o->state, u->generation);
	return worker_roll_commit(o->key.roll);
}

/*
 * Check the state file's header, get the VM's key, unseal the file and
 * parse the container. On failure the step that failed was printed.
 */
static int unseal_state(const struct opts *o, struct statefile *sf,
			struct unsealed *u)
{
	int r;

	/*
	 * The blob's header first: another VM's or an old file is refused
	 * before any key or the module is touched.
	 */
	r = statefile_check(sf, o->vm_id, o->min_generation);
	if (r)
		return r;
	if (o->key.roll) {
		r = worker_roll_settle(o->key.kp_file, &sf->hdr);
		if (r)
			return r;
	}
	u->key = worker_key_acquire(&o->key, o->vm_id);
	if (u->key < 0)
		return u->key;
	u->fd = vms_dev_open();
	if (u->fd < 0) {
		fprintf(stderr, "worker: %s\n",
			vms_dev_op_strerror(VMS_OP_OPEN, u->fd));
		return u->fd;
	}
	r = statefile_unseal(sf, u->fd, u->key, &u->state, &u->generation);
	if (r)
		return r;
	r = vts_parse(u->state.p, u->state.len, &u->v);
	if (r) {
		fprintf(stderr, "worker: %s: the unsealed state is not a vmshield-worker vTPM state (%s): it was sealed by another program\n",
			o->state, strerror(-r));
		return r;
	}
	/* an incoming migration re-seals what SET_STATEBLOB brings instead */
	return o->key.roll && !o->key.roll->migrate_from ?
	       reseal_rolled(o, u) : 0;
}

/*
 * serve --incoming: the migrated state came in (SET_STATEBLOB) and was
 * sealed under the rolled TK; the rolled KP replaces the KP and the
 * agent confirms the roll to KPS (roll.c), once.
 */
static int incoming_done(void *ctx)
{
	struct worker_roll *wr = ctx;

	char np[PATH_MAX];

	printf("worker: the migrated state is sealed here under the rolled TK\n");
	if (!worker_roll_commit(wr))
		return 0;
	/*
	 * A lost confirmation is made good by the next start (migration.md
	 * §1.3); a rolled KP that could not be put in place fails the start.
	 */
	snprintf(np, sizeof(np), "%s.new", wr->kp_file);
	return access(np, F_OK) ? 0 : -EIO;
}

/*
 * Start the vTPM from @u and send TPM2_Startup: STATE for an orderly
 * state; after an unclean stop CLEAR, as after a power loss (the vTPM
 * restarts from NV).
 */
static int start_vtpm(const struct unsealed *u, struct tpm_session *s)
{
	const struct vts_view *v = &u->v;
	int orderly = v->flags & VTS_F_ORDERLY, r;

	r = vtpm_start_from(v->perm, v->perm_len, orderly ? v->vol : NULL,
			    orderly ? v->vol_len : 0);
	if (r)
		return r;
	r = tpm_open(s);
	if (r)
		return r;
	if (orderly) {
		r = tpm_startup(s, TPM2_SU_STATE);
		if (!r) {
			printf("worker: vTPM resumed with Startup(STATE)\n");
			return 0;
		}
		if (r != -EAGAIN)
			return r;
	}
	r = tpm_startup(s, TPM2_SU_CLEAR);
	if (!r)
		printf("worker: vTPM restarted with Startup(CLEAR): the state was sealed while running (the VM stopped uncleanly)\n");
	return r;
}

static int show_vtpm(const struct opts *o, struct tpm_session *s)
{
	char tag[WORKER_NV_TAG_MAX + 1], name[2 * 68 + 1];
	uint64_t counter;
	int r;

	r = tpm_nv_read_text(s, WORKER_NV_TAG, tag, sizeof(tag));
	if (r == -ENOENT)
		fprintf(stderr, "worker: NV index 0x%08x is not defined: this vTPM was not provisioned by vmshield-worker\n",
			WORKER_NV_TAG);
	if (r)
		return r;
	printf("worker: NV index 0x%08x holds '%s'\n", WORKER_NV_TAG, tag);
	r = tpm_nv_read_counter(s, WORKER_NV_COUNTER, &counter);
	if (r && r != -ENOENT)
		return r;
	if (!r)
		printf("worker: NV counter 0x%08x = %" PRIu64 "\n",
		       WORKER_NV_COUNTER, counter);
	r = tpm_persistent_name(s, WORKER_PERSISTENT_KEY, name, sizeof(name));
	if (r && r != -ENOENT)
		return r;
	if (!r)
		printf("worker: persistent key 0x%08x name %s\n",
		       WORKER_PERSISTENT_KEY, name);
	if (o->expect && strcmp(o->expect, tag)) {
		fprintf(stderr, "worker: NV index 0x%08x holds '%s', expected '%s': this is not the vTPM state you expected\n",
			WORKER_NV_TAG, tag, o->expect);
		return -EBADE;
	}
	if (o->expect)
		printf("worker: NV content matches --expect\n");
	return 0;
}

static int cmd_resume(const struct opts *o, struct statefile *sf)
{
	struct unsealed u = { .fd = -1 };
	struct tpm_session s = { 0 };
	int r;

	r = unseal_state(o, sf, &u);
	if (!r)
		r = start_vtpm(&u, &s);
	if (!r)
		r = show_vtpm(o, &s);
	tpm_close(&s);
	vtpm_stop();
	unsealed_release(&u);
	return r;
}

/* volatile sig_atomic_t: what C allows a signal handler to set */
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	/* a stop signal interrupts it (no SA_RESTART) */
	if (ms > 0 && !stop_requested)
		nanosleep(&ts, NULL);
}

/* One periodic seal of a running vTPM: its permanent state as is. */
static int seal_running(struct tpm_session *s, int fd, key_serial_t key,
			const struct opts *o, uint64_t generation)
{
	_cleanup_vms_secret_ struct vms_secret perm = { 0 }, c = { 0 };
	uint64_t counter;
	int r;

	r = tpm_nv_increment(s, WORKER_NV_COUNTER, &counter);
	if (r)
		return r;
	r = vtpm_get_state(TPMLIB_STATE_PERMANENT, &perm);
	if (r)
		return r;
	r = seal_container(fd, key, o, generation, 0, &perm, NULL, &c);
	if (r)
		return r;
	printf("worker: sealed generation %" PRIu64 " counter %" PRIu64
	       " (%zu bytes)\n", generation, counter,
	       c.len + VMSHIELD_SEAL_OVERHEAD);
	return 0;
}

/* Seal the running vTPM every o->reseal_ms until told to stop. */
static int reseal_loop(const struct opts *o, struct tpm_session *s,
		       const struct unsealed *u, uint64_t *generation)
{
	uint64_t n;
	int r;

	for (n = 0; !stop_requested && (!o->count || n < o->count); n++) {
		if (*generation == UINT64_MAX) {
			fprintf(stderr, "worker: generation counter exhausted\n");
			return -EOVERFLOW;
		}
		r = seal_running(s, u->fd, u->key, o, *generation + 1);
		if (r)
			return r;
		++*generation;
		if (!o->count || n + 1 < o->count)
			sleep_ms(o->reseal_ms);
	}
	if (stop_requested)
		printf("worker: stop requested after %" PRIu64 " seals\n", n);
	return 0;
}

static int cmd_run(const struct opts *o, struct statefile *sf)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };
	struct unsealed u = { .fd = -1 };
	struct tpm_session s = { 0 };
	uint64_t generation;
	int r;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	r = unseal_state(o, sf, &u);
	if (!r)
		r = start_vtpm(&u, &s);
	if (!r)
		r = show_vtpm(o, &s);
	generation = u.generation;
	if (!r)
		r = reseal_loop(o, &s, &u, &generation);
	if (!r)
		r = seal_orderly(&s, u.fd, u.key, o, generation + 1);
	tpm_close(&s);
	vtpm_stop();
	unsealed_release(&u);
	return r;
}

/*
 * Load the unsealed state into the vTPM's NVRAM for serving: the
 * permanent state, and the volatile state of a suspended vTPM (an
 * orderly state's volatile part is not needed: TPM2_Shutdown(STATE)
 * saved what Startup(STATE) needs in the permanent state).
 */
static int load_for_serving(const struct unsealed *u)
{
	const struct vts_view *v = &u->v;
	int r;

	r = vtpm_prepare();
	if (r)
		return r;
	r = vtpm_nv_put(TPMLIB_STATE_PERMANENT, v->perm, v->perm_len);
	if (!r && (v->flags & VTS_F_SUSPENDED))
		r = vtpm_nv_put(TPMLIB_STATE_VOLATILE, v->vol, v->vol_len);
	if (r)
		fprintf(stderr, "worker: cannot load the vTPM state: %s\n",
			strerror(-r));
	return r;
}

/* @o's key protector, read and its signature checked: 0 or -errno. */
static int read_kp_info(const struct opts *o, struct vms_kp_info *info)
{
	uint8_t *der = NULL;
	size_t len = 0;
	int r;

	r = vms_read_file(o->key.kp_file, VMS_KP_MAX_LEN, &der, &len);
	if (!r)
		r = vms_kp_verify(der, len, info);
	free(der);
	return r;
}

/*
 * A key protector that requires the VM's vTPM in the enclave never gets a
 * vTPM in this process (provision, resume, run, serve without
 * --vtpm-in-enclave): refused before any key is asked for. A KP that
 * cannot be read or verified here is left to the agent, which refuses it.
 */
static int kp_allows_local_vtpm(const struct opts *o)
{
	struct vms_kp_info info;
	int r;

	if (o->key.kind != WORKER_KEY_AGENT || o->vtpm_in_enclave ||
	    o->cmd == CMD_STATUS)
		return 0;
	r = read_kp_info(o, &info);
	if (r || !info.vtpm)
		return 0;
	fprintf(stderr, "worker: the key protector %s requires the VM's vTPM in the enclave: no vTPM runs in this process (use serve --vtpm-in-enclave on a host in the hypervisor placement)\n",
		o->key.kp_file);
	return -EPERM;
}

/*
 * Whether this start rolls the TK (Documentation/worker.md, "The TK
 * roll"; decisions.md "The roll at every start"): every --kp start does,
 * the vTPM in this process or in the enclave, whatever the policy; --no-roll is taken
 * for an encryption-supported KP only (a host admin may revert such a
 * VM's snapshots, vTPM state included), refused for a shielded one. A
 * KP that cannot be read rolls: its release fails with the reason.
 * 0, or -EPERM (printed).
 */
static int decide_roll(struct opts *o)
{
	struct vms_kp_info info;
	int r;

	if (o->key.kind != WORKER_KEY_AGENT || o->incoming ||
	    (o->cmd != CMD_RESUME && o->cmd != CMD_RUN && o->cmd != CMD_SERVE))
		return 0;
	r = read_kp_info(o, &info);
	if (!r && o->no_roll && info.policy == VMS_KR_POLICY_SHIELDED) {
		fprintf(stderr, "worker: --no-roll refused: the key protector %s is shielded: its TK rolls at every start, so an older copy of the state or the key protector cannot come back (Documentation/worker.md, \"The TK roll\")\n",
			o->key.kp_file);
		return -EPERM;
	}
	o->roll = r || !o->no_roll;
	if (!o->roll)
		printf("worker: --no-roll: no TK roll at this start of VM %s (encryption-supported key protector %s)\n",
		       o->vm, o->key.kp_file);
	return 0;
}

/*
 * Is serve's GET_STATEBLOB gated (migrate_gate.h)? With
 * --migration-tls-only, and always for a shielded KP; a KP that cannot
 * be read here counts as shielded (fail closed). A key given by serial
 * or description (tests, tools) is gated only when asked.
 */
static int migration_gated(const struct opts *o)
{
	struct vms_kp_info info;
	int r;

	if (o->migration_tls_only)
		return 1;
	if (o->key.kind != WORKER_KEY_AGENT)
		return 0;
	r = read_kp_info(o, &info);
	return r || info.policy == VMS_KR_POLICY_SHIELDED;
}

/* The gate of @o's serve, or NULL when its blobs are not gated. */
static const struct migrate_gate *serve_gate(const struct opts *o,
					     struct migrate_gate *g)
{
	if (!migration_gated(o))
		return NULL;
	g->state = o->state;
	memcpy(g->vm_id, o->vm_id, sizeof(g->vm_id));
	printf("worker: state blobs only for an announced TLS migration (%s%s)\n",
	       o->state, MIGRATE_GATE_SUFFIX);
	return g;
}

/* Is the state file at @path sealed under the key id @id? */
static int state_sealed_under(const char *path, const uint8_t id[16])
{
	struct vms_ss_header h;
	size_t len = 0;
	int in_use, r;

	r = statefile_peek(path, &h, &len, &in_use);
	if (!r && memcmp(h.key_id, id, sizeof(h.key_id)))
		r = -EKEYREJECTED;
	if (r)
		fprintf(stderr, "worker: %s is not sealed under the rolled TK (%s): the roll is not committed\n",
			path, strerror(-r));
	return r;
}

/* serve --vtpm-in-enclave --incoming: what its commit needs. */
struct remote_incoming {
	struct worker_roll *wr;
	const char *state;
};

/*
 * The migrated state came in (SET_STATEBLOB) and the enclave sealed it
 * under the rolled TK, stored before the answer: the rolled KP replaces
 * the KP and the agent confirms the roll (incoming_done()), once.
 */
static int remote_incoming_done(void *ctx)
{
	struct remote_incoming *in = ctx;
	int r = state_sealed_under(in->state, in->wr->next_key_id_bin);

	return r ? r : incoming_done(in->wr);
}

/*
 * The roll of a start with the vTPM in the enclave: the enclave re-sealed
 * the state under the next TK when it created the vTPM (vtpm_remote_start:
 * STORE, written, CONFIRM); the file must say so before the rolled KP
 * replaces the KP and the roll is confirmed (roll.c).
 */
static int remote_roll_commit(const struct opts *o)
{
	int r = state_sealed_under(o->state, o->key.roll->next_key_id_bin);

	if (r)
		return r;
	printf("worker: the enclave re-sealed %s under the rolled TK\n", o->state);
	return worker_roll_commit(o->key.roll);
}

/*
 * serve --vtpm-in-enclave: the key and the device, the sealed state as
 * it is on disk (never unsealed here), and the enclave's vTPM behind the
 * same sockets. With a roll, the enclave re-seals the state under the
 * next TK before anything is served; with --incoming, no vTPM runs until
 * the migrated state comes in.
 */
static int cmd_serve_remote(const struct opts *o, struct statefile *sf)
{
	struct vtpm_remote rem = { .fd = -1, .path = o->state };
	struct remote_incoming in = { .wr = o->key.roll, .state = o->state };
	struct vms_ss_header none = { 0 };
	struct serve_opts so = o->serve;
	struct migrate_gate gate;
	int fresh = access(o->state, F_OK) && errno == ENOENT, r;

	struct worker_key_source key = o->key;
	char stmt[4096];

	r = fresh ? 0 : statefile_check(sf, o->vm_id, o->min_generation);
	if (r)
		return r;
	/* a crash inside an earlier roll: its KP.new kept or dropped */
	if (o->key.roll) {
		r = worker_roll_settle(o->key.kp_file, fresh ? &none : &sf->hdr);
		if (r)
			return r;
	}
	/* issue 21: the agent sends the statement file with every release */
	if (!vtpm_statement_abs_path(o->state, stmt, sizeof(stmt)) &&
	    strlen(stmt) <= VMS_AGENT_STATEMENT_PATH_MAX)
		key.vtpm_statement = stmt;
	else
		fprintf(stderr, "worker: %s.statement: path too long for hgs-agent (%d characters at most): releases go without the vTPM statement\n",
			o->state, VMS_AGENT_STATEMENT_PATH_MAX);
	rem.key = worker_key_acquire(&key, o->vm_id);
	if (rem.key < 0)
		return rem.key;
	rem.fd = vms_dev_open();
	if (rem.fd < 0) {
		fprintf(stderr, "worker: %s\n",
			vms_dev_op_strerror(VMS_OP_OPEN, rem.fd));
		return rem.fd;
	}
	if (o->incoming) {
		rem.incoming = 1;
		rem.incoming_floor = fresh ? 0 : sf->hdr.generation;
		rem.incoming_done = remote_incoming_done;
		rem.incoming_ctx = &in;
	}
	r = vtpm_remote_start(&rem, fresh ? NULL : sf->blob,
			      fresh ? 0 : sf->len);
	if (!r && o->key.roll && !o->incoming)
		r = remote_roll_commit(o);
	rem.gate = serve_gate(o, &gate);
	if (!r) {
		so.remote = &rem;
		r = serve_run(&so, NULL);
		printf("worker: forwarded %" PRIu64 " TPM commands to the enclave; %" PRIu64 " sealed states stored, state file at generation %" PRIu64 "\n",
		       rem.commands, rem.stores, rem.generation);
	}
	vtpm_remote_stop(&rem);
	vms_dev_close(rem.fd);
	return r;
}

static int cmd_serve(const struct opts *o, struct statefile *sf)
{
	struct unsealed u = { .fd = -1 };
	struct dev_sealer sealer;
	struct persist p = { .path = o->state };
	struct migrate_gate gate;
	struct vtpm_srv v;
	int r;

	if (o->vtpm_in_enclave)
		return cmd_serve_remote(o, sf);
	r = unseal_state(o, sf, &u);
	if (!r)
		r = load_for_serving(&u);
	if (!r) {
		/* the plaintext now lives in the vTPM's NVRAM only */
		vms_secret_free(&u.state);
		dev_sealer_init(&sealer, u.fd, u.key);
		p.sealer = &sealer.ops;
		p.generation = u.generation;
		p.has_volatile = !!(u.v.flags & VTS_F_SUSPENDED);
		vtpm_srv_init(&v, &p, o->vm_id);
		v.gate = serve_gate(o, &gate);
		if (o->incoming) {
			v.incoming_done = incoming_done;
			v.incoming_ctx = o->key.roll;
		}
		r = serve_run(&o->serve, &v);
		vtpm_srv_release(&v);
		printf("worker: served %" PRIu64 " TPM commands; %" PRIu64 " seals, state file at generation %" PRIu64 "\n",
		       v.commands, p.writes, p.generation);
	}
	vtpm_stop();
	unsealed_release(&u);
	return r;
}

/* key=value lines, for people and scripts alike */
static int cmd_status(const struct opts *o)
{
	char vm[VMS_UUID_STR_LEN], kid[2 * 16 + 1];
	struct vms_ss_header h;
	size_t len = 0;
	int in_use, r;

	r = statefile_peek(o->state, &h, &len, &in_use);
	if (r) {
		fprintf(stderr, "worker: %s: %s\n", o->state,
			vms_dev_op_strerror(r == -ENOENT || r == -EACCES ||
					    r == -EISDIR ? VMS_OP_FILE :
					    VMS_OP_UNSEAL, r));
		return r;
	}
	vms_uuid_format(h.vm_id, vm);
	vms_hex_encode(h.key_id, sizeof(h.key_id), kid);
	printf("state=%s vm=%s key_id=%s generation=%" PRIu64
	       " bytes=%zu worker=%s\n", o->state, vm, kid, h.generation, len,
	       in_use ? "running" : "none");
	return 0;
}

/*
 * What QEMU needs to use the worker's socket, and what a shielded VM's
 * QEMU must not be given (the libvirt hook's rules, for people without
 * libvirt: Documentation/vmm-integration.md section 6).
 */
static int print_qemu_args(const struct opts *o)
{
	printf("-chardev socket,id=chrtpm,path=%s -tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0\n",
	       o->serve.ctrl.path);
	fprintf(stderr, "worker: for a shielded VM, QEMU must also have no -serial, -parallel, -monitor or -qmp beyond the management layer's own, no -gdb or -s, no display (-display none, no VNC or SPICE), and no other -chardev to the host\n");
	return 0;
}

/* A command's outcome as vms_exit.h's status: 3 is "try again later". */
static int exit_status(int r)
{
	if (!r)
		return VMS_EXIT_OK;
	return r == -EHOSTUNREACH ? VMS_EXIT_UNREACHABLE : VMS_EXIT_FAILED;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct statefile sf;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (dumpable_error || prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) {
		fprintf(stderr, "worker: cannot make the process non-dumpable (%s): refusing to handle vTPM state\n",
			strerror(dumpable_error ? dumpable_error : EPERM));
		return 1;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("vmshield-worker %s\n", VMS_VERSION);
		return 0;
	}
	for (o.cmd = CMD_PROVISION; o.cmd <= CMD_STATUS; o.cmd++)
		if (!strcmp(argv[1], cmd_names[o.cmd]))
			break;
	if (o.cmd > CMD_STATUS) {
		fprintf(stderr, "worker: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return 2;
	}
	r = parse_opts(argc - 1, argv + 1, &o);
	if (r)
		return r > 0 ? 0 : 2;
	if (!(o.cmd == CMD_SERVE && o.print_qemu_args) && decide_roll(&o))
		return 1;
	if (o.roll || o.incoming) {
		the_roll.kp_file = o.key.kp_file;
		the_roll.socket = o.key.socket;
		the_roll.migrate_from = o.incoming;
		o.key.roll = &the_roll;
	}
	if (o.cmd == CMD_STATUS)
		return cmd_status(&o) ? 1 : 0;
	if (o.cmd == CMD_SERVE && o.print_qemu_args)
		return print_qemu_args(&o);
	if (kp_allows_local_vtpm(&o))
		return 1;
	lock_memory();
	/* One worker per state file; stale temporaries of a crashed one go. */
	r = statefile_open(&sf, o.state);
	if (r)
		return 1;
	switch (o.cmd) {
	case CMD_PROVISION:
		r = cmd_provision(&o, &sf);
		break;
	case CMD_RESUME:
		r = cmd_resume(&o, &sf);
		break;
	case CMD_RUN:
		r = cmd_run(&o, &sf);
		break;
	case CMD_SERVE:
		r = cmd_serve(&o, &sf);
		break;
	case CMD_STATUS:
		break;
	}
	statefile_close(&sf);
	return exit_status(r);
}
