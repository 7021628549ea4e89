// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - hgs-agent's command line, start and stop.
 *
 *   hgs-agent [-c FILE]                 run (foreground; systemd unit)
 *   hgs-agent --init [-c FILE]          make the host key
 *   hgs-agent --export-key [-c FILE]    print the public host key (PEM)
 *   hgs-agent identity [--out F] [-c FILE]  TPM mode: the EK to register
 *   hgs-agent --check-config [-c FILE]  parse the configuration and exit
 *   hgs-agent status [--json] [-c FILE] ask the running daemon
 *
 * SIGTERM/SIGINT stop it: no new connections, in-flight requests give up
 * their retries, the socket is removed.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "vms_exit.h"
#include "vms_sdnotify.h"
#include "vms_x509.h"

#define STOP_WAIT_S 15

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hgs-agent [-c FILE]                  run the agent\n"
		"       hgs-agent --init [-c FILE]           create the host key\n"
		"       hgs-agent --export-key [-c FILE]     print the public host key\n"
		"       hgs-agent identity [--out EK.pub] [-c FILE]\n"
		"                                            TPM mode: the TPM's EK (what the HGS\n"
		"                                            admin registers with host add --ek)\n"
		"       hgs-agent --check-config [-c FILE]   check the configuration\n"
		"       hgs-agent status [--json] [-c FILE]  what the running agent knows\n"
		"       hgs-agent --version                  its version\n"
		"Options: --log-level error|warning|notice|info|debug (default info)\n"
		"\n"
		"The guarded host's helper: attests to HGS (host-key or TPM mode), keeps\n"
		"the health certificate fresh, asks KPS for VM keys on behalf of\n"
		"local VM workers and loads them into vmshield.ko. Configuration:\n"
		"%s (-c FILE); Documentation/agent.md has every key.\n",
		AGENT_DEFAULT_CONF);
}

static int run(struct agent *a)
{
	unsigned long long wd = vms_sd_watchdog_usec();
	/* half the watchdog interval, at most the metrics file's 10 s */
	unsigned long long tick_us = wd && wd / 2 < 10000000ULL ? wd / 2 : 10000000ULL;
	struct timespec tick = { .tv_sec = (time_t)(tick_us / 1000000),
				 .tv_nsec = (long)(tick_us % 1000000 * 1000) };
	pthread_t srv, ren, rev, rnk;
	sigset_t set;
	int r, sig, i;

	a->started = time(NULL);
	if (a->cfg.attestation_mode == AGENT_MODE_TPM) {
		/* the TPM is the identity: no host key needed */
		snprintf(a->host_key_fpr, sizeof(a->host_key_fpr), "-");
	} else {
		r = hostkey_load(&a->cfg, &a->host_key);
		if (r) {
			log_err("host_key", "state_dir=%s error=\"%s\" hint=\"run 'hgs-agent --init' and have the HGS admin register the key\"",
				a->cfg.state_dir, strerror(-r));
			return 1;
		}
		vms_pkey_fingerprint(a->host_key, a->host_key_fpr);
	}
	if (access(a->cfg.ca_file, R_OK)) {
		log_err("config", "hgs_ca_file=%s error=\"%s\" hint=\"HGS's HTTPS certificate is always verified against this file: copy HGS's tls.pem (or its CA) here\"",
				  a->cfg.ca_file,
			strerror(errno));
		return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (hgs_link_init(a) || attest_init(a) || release_init(a) || server_open(a))
		return 1;
	log_info("started", "host=%s mode=%s urls=%u primary=%s host_key_sha256=%s%s%s",
		 a->cfg.host_name, agent_mode_name(a->cfg.attestation_mode), a->cfg.n_urls,
		 a->cfg.urls[0], a->host_key_fpr,
		 a->cfg.attestation_mode == AGENT_MODE_TPM ? " tpm_tcti=" : "",
		 a->cfg.attestation_mode == AGENT_MODE_TPM ? a->cfg.tpm_tcti : "");
	if (pthread_create(&srv, NULL, server_thread, a))
		return 1;
	if (pthread_create(&ren, NULL, attest_renew_thread, a)) {
		agent_request_stop(a);
		pthread_join(srv, NULL);
		return 1;
	}
	if (pthread_create(&rev, NULL, revocation_thread, a)) {
		agent_request_stop(a);
		pthread_join(srv, NULL);
		pthread_join(ren, NULL);
		return 1;
	}
	if (pthread_create(&rnk, NULL, release_renew_thread, a)) {
		agent_request_stop(a);
		pthread_join(srv, NULL);
		pthread_join(ren, NULL);
		pthread_join(rev, NULL);
		return 1;
	}
	if (vms_sd_notify("READY=1\nSTATUS=serving") < 0)
		log_warn("start", "step=\"telling systemd it is ready\" notify_socket=unusable");
	metrics_file_write(a);
	for (;;) {
		/* WatchdogSec=: WATCHDOG=1 twice per interval from this loop */
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig < 0 && errno == EAGAIN) {
			if (wd)
				vms_sd_notify("WATCHDOG=1");
			metrics_file_write(a);
			continue;
		}
		if (sig < 0)
			continue;
		if (sig == SIGHUP) {
			log_info("sighup", "note=\"configuration is read at start: restart the agent to apply changes\"");
			continue;
		}
		break;
	}
	log_info("stopping", "signal=%d", sig);
	vms_sd_notify("STOPPING=1");
	metrics_file_remove(a);
	agent_request_stop(a);
	pthread_join(srv, NULL);
	server_close(a);
	pthread_join(ren, NULL);
	pthread_join(rev, NULL);
	pthread_join(rnk, NULL);
	for (i = 0; i < STOP_WAIT_S * 10; i++) {
		unsigned int n;

		pthread_mutex_lock(&a->clients_lock);
		n = a->n_clients;
		pthread_mutex_unlock(&a->clients_lock);
		if (!n)
			break;
		usleep(100000);
	}
	if (i == STOP_WAIT_S * 10) {
		/* threads still inside a call: leave memory to the exit */
		log_warn("stopped", "clients_left=%u", a->n_clients);
		return 0;
	}
	release_free(a);
	attest_free(a);
	hgs_link_free(a);
	EVP_PKEY_free(a->host_key);
	log_info("stopped", "clean=1");
	return 0;
}

enum agent_mode { RUN, INIT, EXPORT, CHECK, STATUS, IDENTITY };

/* Set *@mode to @m unless another was chosen: 0, or -EINVAL. */
static int choose(enum agent_mode *mode, enum agent_mode m)
{
	if (*mode != RUN && *mode != m)
		return -EINVAL;
	*mode = m;
	return 0;
}

/*
 * The command line (getopt_long: "--opt value" and "--opt=value"), the
 * words status and identity anywhere. -1: go on; else the exit status.
 */
static int parse_args(int argc, char **argv, enum agent_mode *mode, const char **conf,
		      const char **out, int *json)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "init", no_argument, NULL, 'i' },
		{ "export-key", no_argument, NULL, 'e' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "out", required_argument, NULL, 'o' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *why = NULL;
	char msg[128];
	int c, bad = 0;

	opterr = 0;	/* said below, as JSON with --json */
	while ((c = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*conf = optarg;
			break;
		case 'i':
			bad |= choose(mode, INIT);
			break;
		case 'e':
			bad |= choose(mode, EXPORT);
			break;
		case 'k':
			bad |= choose(mode, CHECK);
			break;
		case 'j':
			*json = 1;
			break;
		case 'o':
			*out = optarg;
			break;
		case 'l':
			if (vms_slog_set_level(optarg)) {
				fprintf(stderr, "hgs-agent: unknown log level '%s'\n", optarg);
				return VMS_EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return VMS_EXIT_OK;
		case 'V':
			printf("hgs-agent %s\n", VMS_VERSION);
			return VMS_EXIT_OK;
		case ':':
			snprintf(msg, sizeof(msg), "option '%s' needs a value", argv[optind - 1]);
			why = msg;
			bad = 1;
			break;
		default:
			snprintf(msg, sizeof(msg), "unknown option '%s'", argv[optind - 1]);
			why = msg;
			bad = 1;
		}
	}
	for (; optind < argc; optind++)
		bad |= !strcmp(argv[optind], "status") ? choose(mode, STATUS) :
			!strcmp(argv[optind], "identity") ? choose(mode, IDENTITY) : -EINVAL;
	/* --json goes with status, --out with identity */
	if (bad || (*json && *mode != STATUS) || (*out && *mode != IDENTITY)) {
		if (!why)
			why = "these options and words do not go together";
		if (*json)
			return status_json_error(VMS_EXIT_USAGE, why);
		fprintf(stderr, "hgs-agent: %s; see 'hgs-agent --help'\n", why);
		usage(stderr);
		return VMS_EXIT_USAGE;
	}
	return -1;
}

int main(int argc, char **argv)
{
	static struct agent a;
	const char *conf = AGENT_DEFAULT_CONF, *out = NULL;
	enum agent_mode mode = RUN;
	int r, json = 0;
	char err[512];

	r = parse_args(argc, argv, &mode, &conf, &out, &json);
	if (r >= 0)
		return r;
	agent_lifecycle_init(&a);
	agent_config_defaults(&a.cfg);
	if (agent_config_load(conf, &a.cfg, err, sizeof(err))) {
		if (mode == STATUS && json)
			return status_json_error(VMS_EXIT_USAGE, err);
		fprintf(stderr, "hgs-agent: %s\n", err);
		return VMS_EXIT_USAGE;
	}
	switch (mode) {
	case INIT:
		return hostkey_init(&a.cfg) ? 1 : 0;
	case EXPORT:
		return hostkey_export(&a.cfg) ? 1 : 0;
	case CHECK:
		printf("%s: ok (host %s, %u HGS URL(s), attestation mode %s)\n", conf,
		       a.cfg.host_name, a.cfg.n_urls, agent_mode_name(a.cfg.attestation_mode));
		return 0;
	case STATUS:
		return status_command(&a.cfg, conf, json);
	case IDENTITY:
		return tpm_identity(&a.cfg, out) ? 1 : 0;
	default:
		return run(&a);
	}
}
