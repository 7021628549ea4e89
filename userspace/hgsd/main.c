// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - hgsd, the Host Guardian Service daemon.
 *
 *   hgsd --init DIR [--port N] [--store T]   create service keys, store and config
 *   hgsd -c DIR/hgsd.conf        run (until SIGTERM/SIGINT; SIGHUP reloads)
 *   hgsd status [-c CONF]        ask a running hgsd (admin socket)
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/limits.h>

#include "attest.h"
#include "config.h"
#include "hgsd.h"
#include "http.h"
#include "keyproc.h"
#include "keys.h"
#include "kps.h"
#include "log.h"
#include "nonce.h"
#include "ratelimit.h"
#include "state.h"
#include "change_feed.h"
#include "store.h"
#include "tpm_session.h"
#include "vms_cleanup_json.h"
#include "vms_exit.h"
#include "vms_hgs_client.h"
#include "store_move.h"
#include "vms_sdnotify.h"
#include "vms_x509.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hgsd --init DIR [--port N] [--store postgresql:CONNINFO] [--tls-name NAME]...\n"
		"                                    create a new HGS in DIR; NAME (a DNS\n"
		"                                    name or an IP address, repeatable) is\n"
		"                                    added to the HTTPS certificate, which\n"
		"                                    always names localhost and 127.0.0.1\n"
		"       hgsd -c DIR/hgsd.conf        run it\n"
		"       hgsd --migrate-store FROM TO copy store FROM (a path, sqlite:PATH or\n"
		"                                    postgresql:CONNINFO) into the empty store\n"
		"                                    TO, keys kept (stop hgsd on FROM first)\n"
		"       hgsd status [-c CONF]        status of a running hgsd (admin socket)\n"
		"       hgsd --version               its version\n"
		"Options: --log-level error|warning|notice|info|debug (default info)\n\n"
		"hgsd is the Host Guardian Service: attestation (host-key mode), health\n"
		"certificates, key release (KPS) and the admin API. See\n"
		"Documentation/hgs-admin-guide.md and Documentation/hgs-protocol.md.\n");
}

/*
 * hgsd --migrate-store FROM TO: the store moved to another backend
 * (store_move.c). Neither target is ever printed: a conninfo may hold a
 * password.
 */
static int do_migrate_store(int argc, char **argv)
{
	char why[512] = "";
	int r;

	if (argc != 4 || !argv[2][0] || !argv[3][0]) {
		fprintf(stderr, "Usage: hgsd --migrate-store FROM TO\n");
		return VMS_EXIT_USAGE;
	}
	umask(0077);
	r = store_move(argv[2], argv[3], stdout, why, sizeof(why));
	if (r) {
		fprintf(stderr, "hgsd --migrate-store: %s; the target is unchanged\n",
			why[0] ? why : strerror(-r));
		return r == -EINVAL ? VMS_EXIT_USAGE : 1;
	}
	printf("hgsd --migrate-store: now set 'store = ' in hgsd.conf to the target and start hgsd; the keys/ directory is unchanged\n");
	return 0;
}

static int do_init(const char *dir, const char *port, const char *store,
		   const char *tls_san)
{
	struct hgsd_config cfg;
	char abs[PATH_MAX];
	int r;

	if (!realpath(dir, abs)) {
		if (errno != ENOENT)
			return fprintf(stderr, "hgsd --init: %s: %s\n", dir, strerror(errno)), 1;
		/* Not there yet: create it, then resolve. */
		if (mkdir(dir, 0700) < 0 || !realpath(dir, abs))
			return fprintf(stderr, "hgsd --init: %s: %s\n", dir, strerror(errno)), 1;
	}
	config_defaults(&cfg, abs);
	if (port) {
		char *end;
		unsigned long p = strtoul(port, &end, 10);

		if (*end || !*port || p > 65535)
			return fprintf(stderr, "hgsd --init: bad --port '%s'\n", port), VMS_EXIT_USAGE;
		cfg.port = (unsigned int)p;
	}
	if (store) {
		if (strncmp(store, "postgresql:", 11) || !store[11] ||
		    strlen(store) >= sizeof(cfg.store))
			return fprintf(stderr, "hgsd --init: bad --store (postgresql:CONNINFO)\n"),
			       VMS_EXIT_USAGE;
		strcpy(cfg.store, store);
	}
	r = keys_init(abs, &cfg, tls_san);
	if (r == -EEXIST)
		return fprintf(stderr, "hgsd --init: %s already holds an HGS (keys/ exists); refusing to overwrite it\n", abs), 1;
	if (r)
		return fprintf(stderr, "hgsd --init: %s: %s\n", abs, strerror(-r)), 1;
	printf("initialised HGS in %s\n"
	       "  config:             %s/hgsd.conf\n"
	       "  attestation signer: %s/signer.pem (hosts and KPS trust this)\n"
	       "  HTTPS certificate:  %s/tls.pem (clients pin this)\n"
	       "  guardian:           hgs-guardian-1 (tenants fetch it: shieldctl guardian import)\n"
	       "run: hgsd -c %s/hgsd.conf\n", abs, abs, abs, abs, abs);
	return 0;
}

/*
 * Everything hgsd serves with, in order. The key process first: it
 * migrates the store and decrypts the keys; this process never sees them
 * (keyproc.c). A step that fails is named, then hgsd stops.
 */
static int start(struct hgsd *h)
{
	const struct retention ret = {
		.events_max_age_days = h->cfg.events_max_age_days,
		.events_max_rows = h->cfg.events_max_rows,
		.audit_max_age_days = h->cfg.audit_max_age_days,
		.audit_max_rows = h->cfg.audit_max_rows,
		.interval_s = h->cfg.retention_interval_s,
	};
	char why[4400];
	int r;

	r = store_preflight(config_store(&h->cfg), why, sizeof(why));
	if (r) {
		log_err("start", "step=\"checking the store\" msg=\"%s\"", why);
		return r;
	}
	r = keyproc_start(h);
	if (r)
		return log_errno(r, "start", "step=\"starting the key process (it loads the service keys)\"");
	r = store_open(config_store(&h->cfg), &h->st);
	if (r)
		return log_errno(r, "start", "step=\"opening the store\" store=%s",
				 config_store_shown(&h->cfg));
	store_set_node(h->st, h->cfg.node_name);
	r = keys_load_public(h);
	if (r)
		return log_errno(r, "start", "step=\"loading the public keys\"");
	/* reloads whenever the store's change sequence passes the snapshot's */
	r = change_feed_start(h);
	if (r)
		return log_errno(r, "start", "step=\"following the store's change feed\"");
	r = state_reload(h);
	if (r)
		return log_errno(r, "start", "step=\"loading hosts and policy from the store\"");
	r = nonce_table_new(h->cfg.max_nonces, h->cfg.nonce_ttl_s, &h->nonces);
	if (r)
		return log_errno(r, "start", "step=\"making the nonce table\"");
	r = nonce_table_share(h->nonces, h->st);
	if (r)
		return log_errno(r, "start", "step=\"reading the nodes' shared nonce key from the store\"");
	r = tpm_sessions_new(h->cfg.max_nonces, h->cfg.nonce_ttl_s, &h->tpm_sessions);
	if (r)
		return log_errno(r, "start", "step=\"making the TPM challenge table\"");
	tpm_sessions_share(h->tpm_sessions, h->st);
	r = ratelimit_new(h->cfg.challenge_rate_per_source, h->cfg.challenge_burst_per_source,
			  &h->challenge_rate);
	if (r)
		return log_errno(r, "start", "step=\"making the per-source rate limits\"");
	ratelimit_exempt_ipv4(h->challenge_rate, h->cfg.challenge_exempt_net,
			      h->cfg.challenge_exempt_mask);
	r = tpm_roots_load(h);
	if (r)
		return log_errno(r, "start", "step=\"loading the EK roots\"");
	r = kps_init(h);
	if (r)
		return log_errno(r, "start", "step=\"making the certificate cache\"");
	store_set_retention(h->st, &ret);
	r = http_start(h);
	if (r)
		return log_errno(r, "start", "step=\"starting the listeners\"");
	return 0;
}

/* The configuration file hgsd runs with (-c): read again at a reload. */
static const char *conf_path;

/* The directory of @conf (config_defaults()' state_dir) into @dir. */
static void conf_dir(const char *conf, char *dir, size_t len)
{
	const char *slash = strrchr(conf, '/');

	snprintf(dir, len, "%.*s", slash ? (int)(slash - conf) : 1, slash ? conf : ".");
}

/*
 * SIGHUP (systemctl reload): read hgsd.conf again and refuse it whole if
 * it is broken (the old one serves on); apply log_requests at once and
 * say that every other change waits for a restart; then the HTTPS key
 * and certificate, read again by the key process and served by a new
 * listener on the same port (the old one serves on if that fails).
 */
static int reload_config(struct hgsd *h)
{
	_cleanup_free_ struct hgsd_config *cfg = calloc(1, sizeof(*cfg));
	char dir[HGSD_PATH_MAX];

	if (!cfg)
		return log_errno(-ENOMEM, "reload", "step=\"reading the configuration again\"");
	conf_dir(conf_path, dir, sizeof(dir));
	config_defaults(cfg, dir);
	if (config_load(conf_path, cfg)) {
		log_err("reload", "config=%s msg=\"the new configuration is refused (the line above says why): still serving with the previous configuration and certificate\"",
			conf_path);
		return -EINVAL;
	}
	__atomic_store_n(&h->cfg.log_requests, cfg->log_requests, __ATOMIC_RELAXED);
	cfg->log_requests = h->cfg.log_requests;
	if (memcmp(cfg, &h->cfg, sizeof(*cfg)))
		log_warn("reload", "msg=\"settings other than log_requests changed: they take effect when hgsd restarts\"");
	return 0;
}

static int reload_tls(struct hgsd *h)
{
	char *pem = NULL;
	size_t len = 0;
	int r;

	r = keyproc_tls_key(&pem, &len);
	if (r)
		return log_errno(r, "reload", "step=\"reading the HTTPS key and certificate again\" msg=\"still serving with the previous certificate\"");
	r = http_reload_tls(h, pem);
	vms_wipe_free(pem, len);
	if (r)
		return log_errno(r, "reload", "step=\"starting HTTPS with the new certificate\" msg=\"still serving with the previous certificate\"");
	return 0;
}

static void reload(struct hgsd *h)
{
	vms_sd_notify("RELOADING=1");
	if (!reload_config(h) && !reload_tls(h))
		log_info("reloaded", "config=%s tls=reloaded", conf_path);
	vms_sd_notify("READY=1\nSTATUS=serving");
}

/*
 * WatchdogSec=: "WATCHDOG=1" twice per interval while the main loop runs
 * and the key process answers (without it hgsd cannot serve; a failing
 * store is /v1/health's to report, not a reason to be restarted).
 */
static void watchdog_tick(void)
{
	static int said;
	int r = keyproc_ping();

	if (!r) {
		vms_sd_notify("WATCHDOG=1");
		said = 0;
	} else if (!said++) {
		log_errno(r, "watchdog", "step=\"asking the key process\" msg=\"no WATCHDOG=1 until it answers: systemd restarts hgsd\"");
	}
}

/*
 * Serve until SIGTERM, SIGINT or the key process's death (SIGCHLD);
 * SIGHUP reloads.
 */
static void serve(struct hgsd *h, const sigset_t *set)
{
	unsigned long long wd = vms_sd_watchdog_usec();
	struct timespec tick = { .tv_sec = (time_t)(wd / 2000000),
				 .tv_nsec = (long)(wd / 2 % 1000000 * 1000) };
	siginfo_t si;
	int sig = 0;

	log_info("started", "version=1 schema=%d hosts=%zu guardians=%u watchdog_ms=%llu",
		 store_schema_version(h->st), h->n_hosts, h->n_guardians, wd / 1000);
	if (vms_sd_notify("READY=1\nSTATUS=serving") < 0)
		log_warn("start", "step=\"telling systemd it is ready\" notify_socket=unusable");
	if (wd)
		watchdog_tick();
	for (;;) {
		sig = wd ? sigtimedwait(set, &si, &tick) : sigwaitinfo(set, &si);
		if (sig < 0 && errno == EAGAIN) {
			watchdog_tick();
			continue;
		}
		if (sig < 0)
			continue;	/* EINTR */
		/* stopped or continued, not gone: /v1/health and the watchdog say so */
		if (sig == SIGCHLD && (si.si_code == CLD_STOPPED || si.si_code == CLD_CONTINUED)) {
			log_warn("keyproc", "msg=\"the key process was %s\"",
				 si.si_code == CLD_STOPPED ? "stopped" : "continued");
			continue;
		}
		if (sig != SIGHUP)
			break;
		reload(h);
	}
	vms_sd_notify("STOPPING=1");
	if (sig == SIGCHLD)
		keyproc_report_exit();
	else
		log_info("stopping", "signal=%d", sig);
	http_stop(h);
}

/* The daemon's context for @conf; NULL (said why) if it cannot be read. */
static struct hgsd *hgsd_new(const char *conf)
{
	struct hgsd *h = calloc(1, sizeof(*h));
	char dir[HGSD_PATH_MAX];

	if (!h) {
		fprintf(stderr, "hgsd: %s\n", strerror(ENOMEM));
		return NULL;
	}
	conf_dir(conf, dir, sizeof(dir));
	config_defaults(&h->cfg, dir);
	if (config_load(conf, &h->cfg)) {
		free(h);
		return NULL;
	}
	pthread_rwlock_init(&h->lock, NULL);
	pthread_mutex_init(&h->tpm_clock_lock, NULL);
	h->started = time(NULL);
	return h;
}

/* Stop what start() started (any part of it), in reverse. */
static void hgsd_free(struct hgsd *h)
{
	change_feed_stop();
	kps_free();
	keyproc_stop();
	nonce_table_free(h->nonces);
	tpm_sessions_free(h->tpm_sessions);
	ratelimit_free(h->challenge_rate);
	X509_STORE_free(h->ek_roots);
	state_free(h);
	keys_free(h);
	store_close(h->st);
	pthread_rwlock_destroy(&h->lock);
	pthread_mutex_destroy(&h->tpm_clock_lock);
	free(h);
}

static int run(const char *conf)
{
	struct hgsd *h = hgsd_new(conf);
	sigset_t set;
	int r;

	if (!h)
		return VMS_EXIT_USAGE;	/* the configuration file: said why */
	conf_path = conf;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);	/* the key process died */
	sigaddset(&set, SIGHUP);	/* reload */
	pthread_sigmask(SIG_BLOCK, &set, NULL);	/* before any thread starts */
	signal(SIGPIPE, SIG_IGN);
	r = start(h);
	if (r == 0)
		serve(h, &set);
	hgsd_free(h);
	return r ? 1 : 0;
}

static int show_status(const char *conf)
{
	_cleanup_(vms_freep) char *s = NULL;
	_cleanup_json_ json_t *resp = NULL;
	struct hgsd_config cfg;
	struct vms_hgs_client *c = NULL;
	long http;
	int r;

	config_defaults(&cfg, "/var/lib/hgsd");
	if (conf && config_load(conf, &cfg))
		return 1;
	r = vms_hgs_client_open(&c, NULL, NULL, cfg.admin_socket);
	if (r) {
		fprintf(stderr, "hgsd status: %s: %s (is hgsd running? are you root?)\n",
			cfg.admin_socket, c ? vms_hgs_client_error(c) : strerror(-r));
		vms_hgs_client_close(c);
		return VMS_EXIT_FAILED;
	}
	r = vms_hgs_call(c, "/v1/admin/status", NULL, &http, &resp);
	if (r)
		fprintf(stderr, "hgsd status: %s: %s (is hgsd running? are you root?)\n",
			cfg.admin_socket, vms_hgs_client_error(c));
	vms_hgs_client_close(c);
	if (r)
		return VMS_EXIT_UNREACHABLE;
	s = json_dumps(resp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", s ? s : "{}");
	return http == 200 ? VMS_EXIT_OK : VMS_EXIT_FAILED;
}

/* Append @name to the subjectAltName list @san as DNS: or IP:. */
static int add_tls_name(char *san, size_t size, const char *name)
{
	unsigned char ip[16];
	size_t i, len = strlen(name);
	const char *kind = "DNS";

	if (inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1)
		kind = "IP";
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr(".-:", name[i]))
			break;
	if (!len || len > 253 || i < len) {
		fprintf(stderr, "hgsd --init: bad --tls-name '%s' (a DNS name or an IP address)\n", name);
		return -EINVAL;
	}
	if (strlen(san) + len + 6 >= size) {
		fprintf(stderr, "hgsd --init: too many --tls-name values\n");
		return -ENOSPC;
	}
	strcat(san, ",");
	strcat(san, kind);
	strcat(san, ":");
	strcat(san, name);
	return 0;
}

int main(int argc, char **argv)
{
	char san[1024] = VMS_TLS_DEFAULT_SAN;
	static const struct option opts[] = {
		{ "init", required_argument, NULL, 'i' },
		{ "port", required_argument, NULL, 'p' },
		{ "store", required_argument, NULL, 's' },
		{ "tls-name", required_argument, NULL, 'n' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "log-level", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	const char *init = NULL, *port = NULL, *conf = NULL, *store = NULL;
	int c, is_status = 0;

	if (argc > 1 && !strcmp(argv[1], "--migrate-store"))
		return do_migrate_store(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "status")) {
		is_status = 1;
		argv++;
		argc--;
	}
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			init = optarg;
			break;
		case 'p':
			port = optarg;
			break;
		case 's':
			store = optarg;
			break;
		case 'n':
			if (add_tls_name(san, sizeof(san), optarg))
				return VMS_EXIT_USAGE;
			break;
		case 'c':
			conf = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("hgsd %s\n", VMS_VERSION);
			return 0;
		case 'l':
			if (vms_slog_set_level(optarg)) {
				fprintf(stderr, "hgsd: unknown log level '%s'\n", optarg);
				return VMS_EXIT_USAGE;
			}
			break;
		default:
			usage(stderr);
			return VMS_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hgsd: unexpected argument '%s'\n", argv[optind]);
		return VMS_EXIT_USAGE;
	}
	if (is_status)
		return show_status(conf);
	umask(0077);	/* the store, keys and sockets are for this user only */
	if (init && !conf)
		return do_init(init, port, store, san);
	if (conf && !init && !port && !store)
		return run(conf);
	usage(stderr);
	return VMS_EXIT_USAGE;
}
