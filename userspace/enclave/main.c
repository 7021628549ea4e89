// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - vmshield-enclaved: the enclave of the hypervisor placement
 * (DESIGN.md section 3a), run by the machine that plays the hypervisor.
 *
 *   vmshield-enclaved (--mailbox FILE | --vsock PORT)
 *                     [--platform-key FILE] [--run-dir DIR]
 *
 * Start: generate the X25519 identity, read the platform key (then never
 * again), open the transport, write DIR/vmshield-enclaved.pid, lock and
 * confine; then answer requests until SIGTERM/SIGINT. SIGUSR1 logs a
 * status line. Protocol: Documentation/enclave-protocol.md.
 */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "attest.h"
#include "confine.h"
#include "transport.h"
#include "vtpm_mgr.h"
#include "vms_hex.h"

static volatile sig_atomic_t vms_stop, vms_status;

static void vms_on_signal(int sig)
{
	if (sig == SIGUSR1)
		vms_status = 1;
	else
		vms_stop = 1;
}

static void vms_usage(FILE *f)
{
	fprintf(f, "Usage: %s (--mailbox FILE | --vsock PORT) [--platform-key FILE] [--run-dir DIR]\n"
		"  --mailbox FILE       the ivshmem backing file (created, 4 MiB)\n"
		"  --vsock PORT         listen on AF_VSOCK, any CID\n"
		"  --platform-key FILE  EC P-256 PEM: the emulated platform's attestation key\n"
		"                       (emulates a hypervisor's signature; not hardware evidence)\n"
		"  --run-dir DIR        write DIR/%s.pid\n"
		"  --version            print the version\n", VMS_ENCLAVE_PROG,
		VMS_ENCLAVE_PROG);
}

static int vms_write_pid(const char *dir)
{
	char path[PATH_MAX];
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/%s.pid", dir, VMS_ENCLAVE_PROG) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f) ? -errno : 0;
}

/* Sign one report now, so nothing (providers, config) loads after seccomp. */
static int vms_attest_warm(struct vms_enclave *e)
{
	struct vms_ep_msg m;
	u8 nonce[32] = { 0 };

	memset(&m, 0, sizeof(m));
	return vms_attest_report(e->attest, nonce, e->pk, e->boot_id, NULL, &m);
}

static int vms_run(const char *mailbox, long vsock, const char *key,
		   const char *run_dir)
{
	static struct vms_enclave e;
	struct vms_vtpm_mgr *vtpm = NULL;
	struct vms_transport *t = NULL;
	struct sigaction sa = { .sa_handler = vms_on_signal };
	char pk[65], boot[33], pid[65] = "-";
	int r;

	r = vms_confine_memory();
	if (r) {
		vms_elog("error", "start", "step=confine-memory error=%d", -r);
		return r;
	}
	/* before any secret exists: every vTPM process is the spawner's copy */
	r = vms_vtpm_mgr_start(&vtpm);
	if (r) {
		vms_elog("error", "start", "step=vtpm-spawner error=%d", -r);
		return r;
	}
	r = vms_enclave_init(&e);
	if (r) {
		vms_elog("error", "start", "step=identity error=%d", -r);
		vms_vtpm_mgr_stop(vtpm);
		return r;
	}
	vms_vtpm_attach(&e, vtpm);
	if (key) {
		r = vms_attest_load(key, "/proc/self/exe", &e.attest);
		if (!r)
			r = vms_attest_warm(&e);
		if (r) {
			vms_elog("error", "start", "step=platform-key error=%d", -r);
			goto out;
		}
		vms_hex_encode(vms_attest_platform_id(e.attest), 32, pid);
	}
	r = mailbox ? vms_mailbox_open(mailbox, &t) :
		      vms_vsock_listen((unsigned int)vsock, &t);
	if (r) {
		vms_elog("error", "start", "step=transport error=%d", -r);
		goto out;
	}
	if (run_dir) {
		r = vms_write_pid(run_dir);
		if (r) {
			vms_elog("error", "start", "step=pid-file error=%d", -r);
			goto out;
		}
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	/* logged before seccomp: the first line reads the time zone */
	vms_hex_encode(e.pk, 32, pk);
	vms_hex_encode(e.boot_id, 16, boot);
	vms_elog("info", "start", "transport=%s enclave_key=%s boot_id=%s platform_id=%s",
		 t->name, pk, boot, pid);
	r = vms_confine_syscalls();
	if (r) {
		vms_elog("error", "start", "step=seccomp error=%d", -r);
		goto out;
	}
	vms_elog("info", "confined", "seccomp=on mlock=on dumpable=0");
	while (!vms_stop) {
		r = vms_serve(&e, t, &vms_stop);
		if (vms_status || r) {
			char text[VMS_EP_STATUS_MAX];
			size_t i, n = vms_enclave_status(&e, text, sizeof(text));

			for (i = 0; i < n; i++)
				if (text[i] == '\n')
					text[i] = ' ';
			vms_elog("info", "status", "%.*s", (int)n, text);
			vms_status = 0;
		}
		if (r)
			break;
	}
	vms_elog("info", "stop", "requests=%llu refused=%llu keys_wiped=%u busy_us=%llu vtpm_hops=%llu vtpm_hop_us=%llu vtpm_hops_changed=%llu vtpm_hop_changed_us=%llu",
		 (unsigned long long)e.requests, (unsigned long long)e.refused,
		 e.n_keys, (unsigned long long)(e.busy_ns / 1000),
		 (unsigned long long)e.vtpm_asks,
		 (unsigned long long)(e.vtpm_ns / 1000),
		 (unsigned long long)e.vtpm_changed_asks,
		 (unsigned long long)(e.vtpm_changed_ns / 1000));
out:
	if (t)
		t->close(t);
	vms_attest_free(e.attest);
	vms_vtpm_mgr_stop(e.vtpm);
	vms_enclave_wipe(&e);
	return r;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mailbox", required_argument, NULL, 'm' },
		{ "vsock", required_argument, NULL, 'v' },
		{ "platform-key", required_argument, NULL, 'k' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	const char *mailbox = NULL, *key = NULL, *run_dir = NULL;
	long vsock = -1;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			mailbox = optarg;
			break;
		case 'v':
			vsock = strtol(optarg, &end, 10);
			if (*end || vsock < 1 || vsock > 0x7fffffff) {
				fprintf(stderr, "%s: --vsock takes a port number 1..2147483647\n",
					VMS_ENCLAVE_PROG);
				return 2;
			}
			break;
		case 'k':
			key = optarg;
			break;
		case 'r':
			run_dir = optarg;
			break;
		case 'h':
			vms_usage(stdout);
			return 0;
		case 'V':
			printf("%s %s\n", VMS_ENCLAVE_PROG, VMS_VERSION);
			return 0;
		default:
			vms_usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !mailbox == (vsock < 0)) {
		vms_usage(stderr);
		return 2;
	}
	return vms_run(mailbox, vsock, key, run_dir) ? 1 : 0;
}
