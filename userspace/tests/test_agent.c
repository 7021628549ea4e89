// SPDX-License-Identifier: GPL-2.0
/*
 * test_agent.c - hgs-agent's configuration and socket protocol parsers,
 * every bad input refused with a clear error and no change of state; and
 * the real daemon (build/bin/hgs-agent, AGENT_BIN) on a socket under
 * /tmp, driven with the worker's client library: bad requests, status,
 * the not-running message, and a release on a machine without
 * vmshield.ko failing with what to do. The end-to-end flows with a module
 * and HGS are in selftests/fabric/.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "agent.h"
#include "vms_agent_client.h"
#include "vms_b64.h"
#include "vms_fileio.h"

#define GOOD "host_name = h1\nhgs_url = https://hgs.example:8443\n" \
	     "hgs_ca_file = /etc/vmshield/hgs-ca.pem\n"

/* ---------- configuration ---------- */

static void parse_ok(const char *text, struct agent_config *c)
{
	char err[512] = "";

	agent_config_defaults(c);
	if (agent_config_parse(text, "t.conf", c, err, sizeof(err)))
		fail_msg("unexpected error: %s", err);
}

static void test_config_defaults_and_keys(void **state)
{
	struct agent_config c;

	(void)state;
	parse_ok(GOOD, &c);
	assert_string_equal(c.host_name, "h1");
	assert_int_equal(c.n_urls, 1);
	assert_string_equal(c.urls[0], "https://hgs.example:8443");
	assert_string_equal(c.socket_path, "/run/vmshield/agent.sock");
	assert_string_equal(c.state_dir, "/var/lib/hgs-agent");
	assert_int_equal(c.renew_interval_s, 8 * 3600);
	assert_string_equal(c.socket_group, "");

	parse_ok(GOOD "# comment\n\n  renew_interval_s = 3600\x20\n"
		 "renew_jitter_s=0\nrequest_deadline_s = 30\nsocket_group = kvm\n"
		 "hgs_fallback_url = https://b:1, https://c:2\n"
		 "hgs_fallback_url = https://d\nsocket = /run/x.sock\r\n", &c);
	assert_int_equal(c.renew_interval_s, 3600);
	assert_int_equal(c.renew_jitter_s, 0);
	assert_int_equal(c.request_deadline_s, 30);
	assert_string_equal(c.socket_group, "kvm");
	assert_string_equal(c.socket_path, "/run/x.sock");
	assert_int_equal(c.n_urls, 4);
	assert_string_equal(c.urls[1], "https://b:1");
	assert_string_equal(c.urls[2], "https://c:2");
	assert_string_equal(c.urls[3], "https://d");
	assert_int_equal(c.attestation_mode, AGENT_MODE_HOST_KEY);
	assert_int_equal(c.primary_retry_s, 30);	/* the default */
	parse_ok(GOOD "primary_retry_s = 5\n", &c);
	assert_int_equal(c.primary_retry_s, 5);

	/* TPM mode and its TPM */
	parse_ok(GOOD "attestation_mode = tpm\ntpm_tcti = swtpm:host=127.0.0.1,port=2321\n"
		 "tpm_event_log = /tmp/bios.bin\n", &c);
	assert_int_equal(c.attestation_mode, AGENT_MODE_TPM);
	assert_string_equal(c.tpm_tcti, "swtpm:host=127.0.0.1,port=2321");
	assert_string_equal(c.bios_log, "/tmp/bios.bin");
	assert_string_equal(c.ima_log,
			    "/sys/kernel/security/ima/binary_runtime_measurements");
}

/* Each bad file: an error naming the line (or key), and @c unchanged. */
static void test_config_bad(void **state)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ GOOD "bogus = 1\n", "t.conf:4: unknown key 'bogus' (Documentation/agent.md lists every key)" },
		{ GOOD "no equals sign\n", "t.conf:4: expected 'key = value'" },
		{ GOOD "host_name = h2\n", "t.conf:4: 'host_name' given twice" },
		{ GOOD "renew_interval_s = 10\n", "t.conf:4: bad value for 'renew_interval_s'" },
		{ GOOD "renew_interval_s = -5\n", "t.conf:4: bad value" },
		{ GOOD "renew_interval_s = 12h\n", "t.conf:4: bad value" },
		{ GOOD "renew_interval_s = 99999999999999999999\n", "t.conf:4: bad value" },
		{ GOOD "request_deadline_s =\n", "t.conf:4: bad value" },
		/* numbers are digits only: no sign, blank or unit */
		{ GOOD "renew_interval_s = +3600\n", "t.conf:4: bad value for 'renew_interval_s': must be a whole number from 60 to 604800, digits only (no sign, space or unit)" },
		{ GOOD "renew_interval_s = \v3600\n", "t.conf:4: bad value for 'renew_interval_s': must be a whole number" },
		{ GOOD "max_clients = 8 clients\n", "t.conf:4: bad value for 'max_clients': must be a whole number from 1 to 4096, digits only" },
		{ GOOD "state_dir = relative/dir\n", "t.conf:4: bad value for 'state_dir'" },
		{ GOOD "socket = /run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\n",
		  "t.conf:4: bad value for 'socket'" },
		{ GOOD "socket_group = a b\n", "t.conf:4: bad value for 'socket_group'" },
		{ GOOD "hgs_fallback_url = http://plain:80\n", "t.conf:4: bad value for 'hgs_fallback_url'" },
		{ GOOD "hgs_fallback_url = https://a/path\n", "t.conf:4: bad value" },
		{ GOOD "hgs_fallback_url = https://u@a\n", "t.conf:4: bad value" },
		{ GOOD "hgs_fallback_url = ,\n", "t.conf:4: bad value" },
		{ GOOD "hgs_fallback_url = https://1,https://2,https://3,https://4,https://5,https://6,https://7,https://8\n", "t.conf:4: bad value" },
		{ "host_name = h1\nhgs_url = http://hgs:80\n", "t.conf:2: bad value for 'hgs_url'" },
		{ "host_name = bad name\n", "t.conf:1: bad value for 'host_name'" },
		{ "host_name = ..\n", "t.conf:1: bad value for 'host_name'" },
		{ "hgs_url = https://a\nhgs_ca_file = /x\n", "'host_name' is required" },
		{ "host_name = h\nhgs_ca_file = /x\n", "'hgs_url' is required" },
		{ "host_name = h\nhgs_url = https://a\n", "'hgs_ca_file' is required" },
		{ GOOD "retry_initial_ms = 5000\nretry_max_ms = 100\n", "retry_max_ms is below" },
		{ GOOD "max_clients = 0\n", "t.conf:4: bad value for 'max_clients'" },
		{ GOOD "primary_retry_s = 0\n", "t.conf:4: bad value for 'primary_retry_s': must be a whole number from 1 to 3600" },
		{ GOOD "primary_retry_s = 3601\n", "t.conf:4: bad value for 'primary_retry_s'" },
		{ GOOD "attestation_mode = tmp\n", "t.conf:4: bad value for 'attestation_mode'" },
		{ GOOD "tpm_tcti = a b\n", "t.conf:4: bad value for 'tpm_tcti'" },
		{ GOOD "tpm_ima_log = ima\n", "t.conf:4: bad value for 'tpm_ima_log'" },
	};
	struct agent_config c, before;
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		char err[512] = "";

		agent_config_defaults(&c);
		strcpy(c.state_dir, "/untouched");
		before = c;
		if (agent_config_parse(bad[i].text, "t.conf", &c, err,
				       sizeof(err)) != -EINVAL)
			fail_msg("case %u was accepted", i);
		if (!strstr(err, bad[i].want))
			fail_msg("case %u: error '%s' lacks '%s'", i, err, bad[i].want);
		assert_memory_equal(&c, &before, sizeof(c));
	}
}

static void test_config_file_errors(void **state)
{
	struct agent_config c;
	char err[512], path[] = "/tmp/vms-agent-conf.XXXXXX";
	int fd;

	(void)state;
	agent_config_defaults(&c);
	assert_int_equal(agent_config_load("/nonexistent/hgs-agent.conf", &c, err,
					   sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/hgs-agent.conf"));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, GOOD "x\0y = 1\n", sizeof(GOOD) + 7), (ssize_t)sizeof(GOOD) + 7);
	close(fd);
	assert_int_equal(agent_config_load(path, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "NUL"));
	unlink(path);
}

/* ---------- requests ---------- */

#define VM "6F1C2A5E-930D-4B71-8A42-0C5DE177309B"
#define KID "00112233445566778899aabbccddeeff"

static void test_request_ok(void **state)
{
	struct agent_request rq;
	char err[256], line[256];

	(void)state;
	snprintf(line, sizeof(line),
		 "{\"op\":\"release\",\"vm_id\":\"%s\",\"key_protector\":\"AQID\",\"deadline_s\":30}",
		 VM);
	assert_int_equal(agent_request_parse(line, strlen(line), &rq, err, sizeof(err)), 0);
	assert_int_equal(rq.op, AGENT_OP_RELEASE);
	assert_string_equal(rq.vm_id, "6f1c2a5e-930d-4b71-8a42-0c5de177309b");
	assert_int_equal(rq.kp_len, 3);
	assert_int_equal(rq.kp[2], 3);
	assert_int_equal(rq.deadline_s, 30);
	agent_request_free(&rq);
	assert_null(rq.kp);
	assert_int_equal(agent_request_parse("{\"op\":\"status\"}", 15, &rq, err,
					     sizeof(err)), 0);
	assert_int_equal(rq.op, AGENT_OP_STATUS);
	assert_int_equal(agent_request_parse("{\"op\":\"attest\"}", 15, &rq, err,
					     sizeof(err)), 0);
	assert_int_equal(rq.op, AGENT_OP_ATTEST);
}

static void test_request_bad(void **state)
{
	static const struct {
		const char *line, *want;
	} bad[] = {
		{ "", "not valid JSON" },
		{ "{", "not valid JSON" },
		{ "[1]", "must be a JSON object" },
		{ "{}", "field 'op' must be a string" },
		{ "{\"op\":1}", "field 'op' must be a string" },
		{ "{\"op\":\"reboot\"}", "unknown op" },
		{ "{\"op\":\"status\",\"x\":1}", "unknown field 'x'" },
		{ "{\"op\":\"status\",\"op\":\"status\"}", "not valid JSON" },
		{ "{\"op\":\"release\"}", "field 'vm_id' must be a string" },
		{ "{\"op\":\"release\",\"vm_id\":\"vm01\",\"key_protector\":\"AQID\"}",
		  "'vm_id' is not a UUID" },
		{ "{\"op\":\"release\",\"vm_id\":\"" VM "\"}", "field 'key_protector' must be a string" },
		{ "{\"op\":\"release\",\"vm_id\":\"" VM "\",\"key_protector\":\"AQI\"}",
		  "not strict base64" },
		{ "{\"op\":\"release\",\"vm_id\":\"" VM "\",\"key_protector\":\"\"}",
		  "not strict base64" },
		{ "{\"op\":\"release\",\"vm_id\":\"" VM "\",\"key_protector\":\"AQ ID\"}",
		  "not strict base64" },
		{ "{\"op\":\"release\",\"vm_id\":\"" VM "\",\"key_protector\":\"AQID\",\"deadline_s\":0}",
		  "'deadline_s' must be" },
		{ "{\"op\":\"release\",\"vm_id\":\"" VM "\",\"key_protector\":\"AQID\",\"deadline_s\":\"9\"}",
		  "'deadline_s' must be" },
		{ "{\"op\":\"release\",\"vm_id\":\"" VM "\",\"key_protector\":\"AQID\",\"tk\":\"AQID\"}",
		  "unknown field 'tk'" },
	};
	struct agent_request rq;
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		char err[256] = "";

		assert_int_equal(agent_request_parse(bad[i].line, strlen(bad[i].line),
						     &rq, err, sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i].want))
			fail_msg("case %u: error '%s' lacks '%s'", i, err, bad[i].want);
		assert_null(rq.kp);
		assert_int_equal(rq.op, 0);
	}
}

/*
 * The TK roll's requests (issue 20): "roll" on a release, and "confirm";
 * every malformed one refused, naming its field, with nothing set.
 */
static void test_request_roll_confirm(void **state)
{
	static const struct {
		const char *line, *want;
	} bad[] = {
		{ "{\"op\":\"release\",\"vm_id\":\"" VM "\",\"key_protector\":\"AQID\",\"roll\":1}",
		  "field 'roll' must be true or false" },
		{ "{\"op\":\"release\",\"vm_id\":\"" VM "\",\"key_protector\":\"AQID\",\"roll\":\"yes\"}",
		  "field 'roll' must be true or false" },
		{ "{\"op\":\"confirm\"}", "field 'vm_id' must be a UUID" },
		{ "{\"op\":\"confirm\",\"vm_id\":\"" VM "\",\"key_id\":\"" KID "\"}",
		  "field 'tk_version' must be" },
		{ "{\"op\":\"confirm\",\"vm_id\":\"" VM "\",\"tk_version\":0,\"key_id\":\"" KID "\"}",
		  "field 'tk_version' must be" },
		{ "{\"op\":\"confirm\",\"vm_id\":\"" VM "\",\"tk_version\":\"2\",\"key_id\":\"" KID "\"}",
		  "field 'tk_version' must be" },
		{ "{\"op\":\"confirm\",\"vm_id\":\"" VM "\",\"tk_version\":2}",
		  "field 'key_id' must be 32" },
		{ "{\"op\":\"confirm\",\"vm_id\":\"" VM "\",\"tk_version\":2,\"key_id\":\"00ff\"}",
		  "field 'key_id' must be 32" },
		{ "{\"op\":\"confirm\",\"vm_id\":\"" VM "\",\"tk_version\":2,\"key_id\":\"00112233445566778899AABBCCDDEEFF\"}",
		  "field 'key_id' must be 32" },
		{ "{\"op\":\"confirm\",\"vm_id\":\"" VM "\",\"tk_version\":2,\"key_id\":\"" KID "\",\"kp\":\"AQID\"}",
		  "unknown field 'kp'" },
	};
	struct agent_request rq;
	char err[256], line[256];
	unsigned int i;

	(void)state;
	snprintf(line, sizeof(line),
		 "{\"op\":\"release\",\"vm_id\":\"%s\",\"key_protector\":\"AQID\",\"roll\":true}",
		 VM);
	assert_int_equal(agent_request_parse(line, strlen(line), &rq, err, sizeof(err)), 0);
	assert_int_equal(rq.op, AGENT_OP_RELEASE);
	assert_int_equal(rq.roll, 1);
	agent_request_free(&rq);
	snprintf(line, sizeof(line),
		 "{\"op\":\"release\",\"vm_id\":\"%s\",\"key_protector\":\"AQID\",\"roll\":false}",
		 VM);
	assert_int_equal(agent_request_parse(line, strlen(line), &rq, err, sizeof(err)), 0);
	assert_int_equal(rq.roll, 0);
	agent_request_free(&rq);
	snprintf(line, sizeof(line),
		 "{\"op\":\"confirm\",\"vm_id\":\"%s\",\"tk_version\":7,\"key_id\":\"%s\"}",
		 VM, KID);
	assert_int_equal(agent_request_parse(line, strlen(line), &rq, err, sizeof(err)), 0);
	assert_int_equal(rq.op, AGENT_OP_CONFIRM);
	assert_int_equal(rq.tk_version, 7);
	assert_string_equal(rq.key_id, KID);
	assert_string_equal(rq.vm_id, "6f1c2a5e-930d-4b71-8a42-0c5de177309b");
	agent_request_free(&rq);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = 0;
		assert_int_equal(agent_request_parse(bad[i].line, strlen(bad[i].line),
						     &rq, err, sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i].want))
			fail_msg("case %u: error '%s' lacks '%s'", i, err, bad[i].want);
		assert_null(rq.kp);
		assert_int_equal(rq.op, 0);
		assert_int_equal(rq.tk_version, 0);
	}
}

/*
 * Issue 21: a release names the worker's vTPM statement file; the agent
 * reads only a regular file (no symlink) of the peer's uid or root, of a
 * statement's size, and sends it as base64 (vtpm_statement.c).
 */
static void test_request_vtpm_statement(void **state)
{
	static const char *const bad[] = {
		"{\"op\":\"release\",\"vm_id\":\"" VM "\",\"key_protector\":\"AQID\",\"vtpm_statement_path\":\"rel/x\"}",
		"{\"op\":\"release\",\"vm_id\":\"" VM "\",\"key_protector\":\"AQID\",\"vtpm_statement_path\":7}",
		"{\"op\":\"release\",\"vm_id\":\"" VM "\",\"key_protector\":\"AQID\",\"vtpm_statement_path\":\"\"}",
		"{\"op\":\"migrate-in\",\"vm_id\":\"" VM "\",\"key_protector\":\"AQID\",\"source_host\":\"a\",\"vtpm_statement_path\":\"/x\"}",
	};
	struct agent_request rq;
	char err[256], line[1024], dir[] = "/tmp/vms-agent-st.XXXXXX", path[128], lnk[128];
	char *b64 = NULL;
	uint8_t blob[1025], *back;
	size_t n;
	unsigned int i;

	(void)state;
	snprintf(line, sizeof(line),
		 "{\"op\":\"release\",\"vm_id\":\"%s\",\"key_protector\":\"AQID\",\"vtpm_statement_path\":\"/var/lib/vm/vtpm.sealed.statement\"}",
		 VM);
	assert_int_equal(agent_request_parse(line, strlen(line), &rq, err, sizeof(err)), 0);
	assert_string_equal(rq.statement_path, "/var/lib/vm/vtpm.sealed.statement");
	agent_request_free(&rq);
	/* one character over the bound */
	n = (size_t)snprintf(line, sizeof(line),
			     "{\"op\":\"release\",\"vm_id\":\"%s\",\"key_protector\":\"AQID\",\"vtpm_statement_path\":\"/", VM);
	memset(line + n, 'a', VMS_AGENT_STATEMENT_PATH_MAX);
	strcpy(line + n + VMS_AGENT_STATEMENT_PATH_MAX, "\"}");
	assert_int_equal(agent_request_parse(line, strlen(line), &rq, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "vtpm_statement_path"));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = 0;
		assert_int_equal(agent_request_parse(bad[i], strlen(bad[i]), &rq, err, sizeof(err)),
				 -EINVAL);
		assert_null(rq.kp);
		assert_int_equal(rq.statement_path[0], 0);
	}

	/* reading it */
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/st", dir);
	snprintf(lnk, sizeof(lnk), "%s/link", dir);
	t_random(blob, sizeof(blob));
	assert_int_equal(vms_write_file_atomic(path, blob, 300, 0644, 0), 0);
	assert_int_equal(agent_statement_read(path, getuid(), &b64), 0);
	assert_int_equal(vms_b64_decode(b64, strlen(b64), 1024, &back, &n), 0);
	assert_int_equal(n, 300);
	assert_memory_equal(back, blob, 300);
	free(back);
	free(b64);
	assert_int_equal(agent_statement_read("rel/st", getuid(), &b64), -EINVAL);
	assert_null(b64);
	assert_int_equal(symlink(path, lnk), 0);
	assert_int_equal(agent_statement_read(lnk, getuid(), &b64), -ELOOP);
	assert_int_equal(agent_statement_read(dir, getuid(), &b64), -EINVAL);
	assert_int_equal(agent_statement_read("/nonexistent/st", getuid(), &b64), -ENOENT);
	assert_int_equal(vms_write_file_atomic(path, blob, 1025, 0644, 0), 0);
	assert_int_equal(agent_statement_read(path, getuid(), &b64), -EMSGSIZE);
	/* another uid's file is not read for this peer (root's is) */
	if (geteuid() == 0) {
		assert_int_equal(vms_write_file_atomic(path, blob, 300, 0644, 0), 0);
		assert_int_equal(chown(path, 4321, 4321), 0);
		assert_int_equal(agent_statement_read(path, 1234, &b64), -EPERM);
		assert_int_equal(agent_statement_read(path, 4321, &b64), 0);
		free(b64);
		assert_int_equal(chown(path, 0, 0), 0);
		assert_int_equal(agent_statement_read(path, 1234, &b64), 0);
		free(b64);
	}
	unlink(lnk);
	unlink(path);
	rmdir(dir);
}

/*
 * Live migration's requests (agent.md §4): migrate-in is a release with
 * the roll and the source host; migrated names the VM alone. Strict as
 * the others: nothing else accepted, nothing kept from a bad line.
 */
/* One character longer than a host name may be. */
#define HOST65	"h0123456789012345678901234567890123456789012345678901234567890123"

static void test_request_migrate(void **state)
{
	static const struct {
		const char *line, *want;
	} bad[] = {
		{ "{\"op\":\"migrate-in\",\"vm_id\":\"" VM "\",\"key_protector\":\"AQID\"}",
		  "field 'source_host' must name" },
		{ "{\"op\":\"migrate-in\",\"vm_id\":\"" VM "\",\"key_protector\":\"AQID\",\"source_host\":\"\"}",
		  "field 'source_host' must name" },
		{ "{\"op\":\"migrate-in\",\"vm_id\":\"" VM "\",\"key_protector\":\"AQID\",\"source_host\":7}",
		  "field 'source_host' must name" },
		{ "{\"op\":\"migrate-in\",\"vm_id\":\"" VM "\",\"key_protector\":\"AQID\",\"source_host\":\"" HOST65 "\"}",
		  "field 'source_host' must name" },
		{ "{\"op\":\"migrate-in\",\"vm_id\":\"" VM "\",\"key_protector\":\"AQID\",\"source_host\":\"a\",\"roll\":true}",
		  "unknown field 'roll'" },
		{ "{\"op\":\"migrate-in\",\"vm_id\":\"vm01\",\"key_protector\":\"AQID\",\"source_host\":\"a\"}",
		  "field 'vm_id' is not a UUID" },
		{ "{\"op\":\"migrate-in\",\"vm_id\":\"" VM "\",\"key_protector\":\"AQ I\",\"source_host\":\"a\"}",
		  "field 'key_protector' is not strict base64" },
		{ "{\"op\":\"migrated\"}", "field 'vm_id' must be a UUID" },
		{ "{\"op\":\"migrated\",\"vm_id\":\"vm01\"}", "field 'vm_id' must be a UUID" },
		{ "{\"op\":\"migrated\",\"vm_id\":\"" VM "\",\"source_host\":\"a\"}",
		  "unknown field 'source_host'" },
		{ "{\"op\":\"migrate\",\"vm_id\":\"" VM "\"}", "unknown op" },
	};
	struct agent_request rq;
	char err[256], line[256];
	unsigned int i;

	(void)state;
	snprintf(line, sizeof(line),
		 "{\"op\":\"migrate-in\",\"vm_id\":\"%s\",\"key_protector\":\"AQID\",\"source_host\":\"host-a\",\"deadline_s\":30}",
		 VM);
	assert_int_equal(agent_request_parse(line, strlen(line), &rq, err, sizeof(err)), 0);
	assert_int_equal(rq.op, AGENT_OP_MIGRATE_IN);
	assert_int_equal(rq.roll, 1);
	assert_int_equal(rq.deadline_s, 30);
	assert_int_equal(rq.kp_len, 3);
	assert_string_equal(rq.source_host, "host-a");
	agent_request_free(&rq);
	snprintf(line, sizeof(line), "{\"op\":\"migrated\",\"vm_id\":\"%s\"}", VM);
	assert_int_equal(agent_request_parse(line, strlen(line), &rq, err, sizeof(err)), 0);
	assert_int_equal(rq.op, AGENT_OP_MIGRATED);
	assert_string_equal(rq.vm_id, "6f1c2a5e-930d-4b71-8a42-0c5de177309b");
	assert_null(rq.kp);
	agent_request_free(&rq);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = 0;
		assert_int_equal(agent_request_parse(bad[i].line, strlen(bad[i].line),
						     &rq, err, sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i].want))
			fail_msg("case %u: error '%s' lacks '%s'", i, err, bad[i].want);
		assert_null(rq.kp);
		assert_int_equal(rq.op, 0);
		assert_int_equal(rq.source_host[0], 0);
	}
}

static void test_request_kp_too_large(void **state)
{
	size_t n = (AGENT_KP_MAX / 3 + 2) * 4;
	char *line = t_malloc(n + 128), err[256];
	struct agent_request rq;
	int len;

	(void)state;
	len = sprintf(line, "{\"op\":\"release\",\"vm_id\":\"%s\",\"key_protector\":\"", VM);
	memset(line + len, 'A', n);
	strcpy(line + len + n, "\"}");
	assert_int_equal(agent_request_parse(line, strlen(line), &rq, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "larger than"));
	assert_null(rq.kp);
	free(line);
}

/* ---------- the daemon ---------- */

static char dir[64], conf[128], sock[128], log_path[128];
static pid_t agent_pid = -1;

static int run_cmd(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int daemon_setup(void **state)
{
	const char *bin = getenv("AGENT_BIN");
	char cmd[512];
	FILE *f;
	int i;

	(void)state;
	if (!bin)
		bin = "../build/bin/hgs-agent";
	snprintf(dir, sizeof(dir), "/tmp/vms-agent.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(conf, sizeof(conf), "%s/agent.conf", dir);
	snprintf(sock, sizeof(sock), "%s/agent.sock", dir);
	snprintf(log_path, sizeof(log_path), "%s/agent.log", dir);
	f = fopen(conf, "w");
	if (!f)
		return -1;
	/* port 9 on loopback: nothing listens; no other address is used */
	fprintf(f, "host_name = unit-host\nhgs_url = https://127.0.0.1:9\n"
		"hgs_ca_file = %s/ca.pem\nstate_dir = %s/state\nsocket = %s\n"
		"request_deadline_s = 2\nretry_initial_ms = 50\nretry_max_ms = 200\n",
		dir, dir, sock);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s/ca.pem", dir);
	f = fopen(cmd, "w");	/* never used: nothing is contacted */
	if (!f)
		return -1;
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s --init -c %s > %s/init.out 2>&1", bin, conf, dir);
	if (run_cmd(cmd))
		return -1;
	/* a second --init refuses to replace the host key */
	snprintf(cmd, sizeof(cmd), "%s --init -c %s >/dev/null 2>&1", bin, conf);
	if (run_cmd(cmd) != 1)
		return -1;
	agent_pid = fork();
	if (agent_pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(fd, 2);
		execl(bin, "hgs-agent", "-c", conf, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		struct stat st;

		if (!stat(sock, &st))
			return 0;
		usleep(50000);
	}
	return -1;
}

static int daemon_teardown(void **state)
{
	char cmd[128];
	int st;

	(void)state;
	if (agent_pid > 0) {
		kill(agent_pid, SIGTERM);
		waitpid(agent_pid, &st, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	run_cmd(cmd);
	return 0;
}

static void test_daemon_init_output(void **state)
{
	char path[160], want[256];
	uint8_t *out = NULL;
	size_t len;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/init.out", dir);
	assert_int_equal(vms_read_file(path, 1 << 16, &out, &len), 0);
	out = realloc(out, len + 1);
	out[len] = 0;
	snprintf(want, sizeof(want), "shieldctl hgs host add unit-host --key %s/state/host.pub.pem", dir);
	assert_non_null(strstr((char *)out, want));
	free(out);
	snprintf(path, sizeof(path), "%s/state/host.key", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

/*
 * --export-key prints the public key --init wrote; --check-config passes;
 * a broken config stops every command with its line number.
 */
static void test_cli(void **state)
{
	const char *bin = getenv("AGENT_BIN") ? getenv("AGENT_BIN") : "../build/bin/hgs-agent";
	char cmd[512], path[160];
	uint8_t *a = NULL, *b = NULL;
	size_t alen, blen;
	FILE *f;

	(void)state;
	snprintf(cmd, sizeof(cmd), "%s --export-key -c %s > %s/export.pem", bin, conf, dir);
	assert_int_equal(run_cmd(cmd), 0);
	snprintf(path, sizeof(path), "%s/export.pem", dir);
	assert_int_equal(vms_read_file(path, 4096, &a, &alen), 0);
	snprintf(path, sizeof(path), "%s/state/host.pub.pem", dir);
	assert_int_equal(vms_read_file(path, 4096, &b, &blen), 0);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(a);
	free(b);
	snprintf(cmd, sizeof(cmd), "%s --check-config -c %s >/dev/null", bin, conf);
	assert_int_equal(run_cmd(cmd), 0);
	snprintf(path, sizeof(path), "%s/bad.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "host_name = h\nhgs_url = https://127.0.0.1:9\nhgs_ca_file = /x\n"
		"hgs_verify = 0\n");
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "%s --check-config -c %s 2>&1 | grep -q 'bad.conf:4: unknown key .hgs_verify.'",
		 bin, path);
	assert_int_equal(run_cmd(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s status -c %s >/dev/null 2>&1", bin, path);
	assert_int_equal(run_cmd(cmd), 2);
}

static void test_daemon_bad_requests(void **state)
{
	static const char *const lines[] = {
		"not json", "{\"op\":\"release\",\"vm_id\":\"x\"}", "{\"op\":\"nope\"}",
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(lines); i++) {
		char *ans = NULL;
		json_t *o;

		assert_int_equal(vms_agent_call(sock, lines[i], &ans), 0);
		o = json_loads(ans, 0, NULL);
		assert_non_null(o);
		assert_string_equal(json_string_value(json_object_get(o, "status")), "Failed");
		assert_string_equal(json_string_value(json_object_get(o, "substatus")),
				    "InvalidRequest");
		assert_int_equal(json_integer_value(json_object_get(o, "errno")), EINVAL);
		json_decref(o);
		free(ans);
	}
	/* a request with a newline inside is refused by the client itself */
	{
		char *ans = NULL;

		assert_int_equal(vms_agent_call(sock, "{}\n{}", &ans), -EINVAL);
		assert_null(ans);
	}
}

/* The agent's status --json (the test fails if there is none). */
static json_t *agent_status_json(void)
{
	char *text = NULL;
	json_t *st;

	assert_int_equal(vms_agent_status(sock, &text), 0);
	st = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(st);
	return st;
}

/* Wait up to 13 s for @series (a line) in hgs-agent.prom: the main loop rewrites it every 10 s. */
static void prom_has(const char *series)
{
	char cmd[1024];
	int i;

	snprintf(cmd, sizeof(cmd), "grep -q '%s' %s/hgs-agent.prom", series, dir);
	for (i = 0; i < 130 && run_cmd(cmd); i++)
		usleep(100000);
	assert_int_equal(run_cmd(cmd), 0);
}

static void test_daemon_status_and_release(void **state)
{
	struct vms_agent_answer ans;
	key_serial_t key = 123;
	json_t *st;
	const uint8_t kp[3] = { 1, 2, 3 };

	(void)state;
	st = agent_status_json();
	assert_string_equal(json_string_value(json_object_get(json_object_get(st, "agent"),
							      "host_name")), "unit-host");
	/* no vmshield.ko here: the module error is in the status */
	assert_non_null(json_object_get(json_object_get(json_object_get(st, "attestation"),
							"module"), "error"));
	json_decref(st);

	/* bad arguments never reach the agent */
	assert_int_equal(vms_agent_release(sock, "vm01", kp, 3, &key, &ans), -EINVAL);
	assert_int_equal(key, 0);
	assert_int_equal(vms_agent_release(sock, VM, NULL, 3, &key, &ans), -EINVAL);
	/* a release without the module: refused with what to do, no key */
	assert_int_equal(vms_agent_release(sock, VM, kp, 3, &key, &ans), -ENOENT);
	assert_int_equal(key, 0);
	assert_string_equal(ans.status, "Failed");
	assert_string_equal(ans.source, "module");
	assert_string_equal(ans.substatus, "ModuleUnavailable");
	assert_non_null(strstr(ans.message, "/dev/vmshield"));
}

/* How many requests of @op ended @result, from status --json's counters. */
static json_int_t counter(json_t *st, const char *op, const char *result)
{
	return json_integer_value(json_object_get(json_object_get(json_object_get(
		json_object_get(st, "counters"), "requests"), op), result));
}

/*
 * The counters in status --json and hgs-agent.prom: the release refused
 * above and the status asked above are counted, with the release's
 * latency; the file is Prometheus text that prometheus_client parses.
 */
static void test_daemon_counters_and_metrics_file(void **state)
{
	char path[160], cmd[1024];
	json_t *st;
	struct stat sb;

	(void)state;
	st = agent_status_json();
	assert_int_equal(counter(st, "release", "failed"), 1);
	assert_int_equal(counter(st, "release", "passed"), 0);
	assert_true(counter(st, "status", "passed") >= 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(
		st, "counters"), "release_seconds"), "count")), 1);
	json_decref(st);
	prom_has("hgs_agent_requests_total{op=\"release\",result=\"Failed\"} 1");
	snprintf(path, sizeof(path), "%s/hgs-agent.prom", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0644);
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 -c 'import sys\n"
		 "from prometheus_client.parser import text_string_to_metric_families as p\n"
		 "f = {m.name: m for m in p(open(sys.argv[1]).read())}\n"
		 "assert f[\"hgs_agent_release_duration_seconds\"].type == \"histogram\"\n"
		 "assert f[\"hgs_agent_requests\"].type == \"counter\"\n"
		 "assert f[\"hgs_agent_loaded_keys\"].samples[0].value == 0\n"
		 "assert f[\"hgs_agent_keys_revoked\"].type == \"counter\"\n"
		 "assert len(f[\"hgs_agent_keys_revoked\"].samples) == 3\n' %s", path);
	assert_int_equal(run_cmd(cmd), 0);
}

/*
 * A confirmation of a roll this agent never released is refused by the
 * agent itself (TkRollNotPending, ESRCH): KPS is not asked, so a process
 * that never held the rolled key cannot end the previous version.
 */
static void test_daemon_confirm_unknown_roll(void **state)
{
	char *ans = NULL, line[256];
	json_t *o;

	(void)state;
	snprintf(line, sizeof(line),
		 "{\"op\":\"confirm\",\"vm_id\":\"%s\",\"tk_version\":2,\"key_id\":\"%s\"}",
		 VM, KID);
	assert_int_equal(vms_agent_call(sock, line, &ans), 0);
	o = json_loads(ans, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "status")), "Failed");
	assert_string_equal(json_string_value(json_object_get(o, "source")), "agent");
	assert_string_equal(json_string_value(json_object_get(o, "substatus")),
			    "TkRollNotPending");
	assert_int_equal(json_integer_value(json_object_get(o, "errno")), ESRCH);
	assert_non_null(strstr(json_string_value(json_object_get(o, "message")),
			       "released no TK roll"));
	json_decref(o);
	free(ans);
}

/* The answer to @line as JSON (the test fails if there is none). */
static json_t *agent_call_json(const char *line)
{
	char *ans = NULL;
	json_t *o;

	assert_int_equal(vms_agent_call(sock, line, &ans), 0);
	o = json_loads(ans, 0, NULL);
	assert_non_null(o);
	free(ans);
	return o;
}

/*
 * migrated for a VM this agent holds no key of, for this peer: refused
 * by the agent, KPS not asked; migrate-in without the module: refused
 * before any key exists (the release path, as a start's).
 */
static void test_daemon_migrate_requests(void **state)
{
	char line[256];
	json_t *o;

	(void)state;
	snprintf(line, sizeof(line), "{\"op\":\"migrated\",\"vm_id\":\"%s\"}", VM);
	o = agent_call_json(line);
	assert_string_equal(json_string_value(json_object_get(o, "status")), "Failed");
	assert_string_equal(json_string_value(json_object_get(o, "source")), "agent");
	assert_string_equal(json_string_value(json_object_get(o, "substatus")), "NoKeyForVm");
	assert_int_equal(json_integer_value(json_object_get(o, "errno")), ESRCH);
	json_decref(o);
	snprintf(line, sizeof(line),
		 "{\"op\":\"migrate-in\",\"vm_id\":\"%s\",\"key_protector\":\"AQID\",\"source_host\":\"host-a\"}",
		 VM);
	o = agent_call_json(line);
	assert_string_equal(json_string_value(json_object_get(o, "status")), "Failed");
	assert_string_equal(json_string_value(json_object_get(o, "source")), "module");
	assert_null(json_object_get(o, "key_serial"));
	assert_null(json_object_get(o, "rolled_key_protector"));
	json_decref(o);
	snprintf(line, sizeof(line), "{\"op\":\"migrated\",\"vm_id\":\"%s\",\"x\":1}", VM);
	o = agent_call_json(line);
	assert_string_equal(json_string_value(json_object_get(o, "substatus")), "InvalidRequest");
	json_decref(o);
}

/*
 * The TK roll's and live migration's requests are counted too (the
 * confirm and the migrations refused above), in status and the .prom file.
 */
static void test_daemon_counters_roll_ops(void **state)
{
	json_t *st;

	(void)state;
	st = agent_status_json();
	assert_int_equal(counter(st, "confirm", "failed"), 1);
	assert_int_equal(counter(st, "confirm", "passed"), 0);
	assert_int_equal(counter(st, "migrate-in", "failed"), 1);
	assert_true(counter(st, "migrated", "failed") >= 1);
	assert_int_equal(counter(st, "migrated", "passed"), 0);
	/* the status poll's counters (no HGS here: never asked) */
	assert_non_null(json_object_get(json_object_get(st, "revocation"), "keys_revoked"));
	json_decref(st);
	prom_has("hgs_agent_requests_total{op=\"migrate-in\",result=\"Failed\"} 1");
}

static void test_daemon_not_running(void **state)
{
	struct vms_agent_answer ans;
	key_serial_t key;
	char path[160];
	const uint8_t kp[3] = { 1, 2, 3 };

	(void)state;
	snprintf(path, sizeof(path), "%s/none.sock", dir);
	assert_int_equal(vms_agent_release(path, VM, kp, 3, &key, &ans), -ENOENT);
	assert_string_equal(ans.status, "");
}

/* ---------- HGS's KPS key, named before attesting ---------- */

#define KPS_HEX "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

/*
 * kps_public_key pins HGS's KPS key (else the agent takes it from HGS's
 * metadata over the verified HTTPS); a bad one is refused, naming the
 * key, and leaves the configuration as it was.
 */
static void test_kps_key_config(void **state)
{
	static const char *const bad[] = {
		GOOD "kps_public_key = 0011\n",
		GOOD "kps_public_key = " KPS_HEX "00\n",
		GOOD "kps_public_key = zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
		GOOD "kps_public_key =\n",
		GOOD "kps_public_key = " KPS_HEX "\nkps_public_key = " KPS_HEX "\n",
	};
	struct agent_config c, before;
	unsigned int i;

	(void)state;
	parse_ok(GOOD, &c);
	assert_int_equal(c.kps_pk_set, 0);
	parse_ok(GOOD "kps_public_key = " KPS_HEX "\n", &c);
	assert_int_equal(c.kps_pk_set, 1);
	assert_int_equal(c.kps_pk[0], 0x00);
	assert_int_equal(c.kps_pk[1], 0x11);
	assert_int_equal(c.kps_pk[31], 0xff);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		char err[512] = "";

		agent_config_defaults(&c);
		before = c;
		assert_int_equal(agent_config_parse(bad[i], "t.conf", &c, err, sizeof(err)),
				 -EINVAL);
		if (!strstr(err, "t.conf:") || !strstr(err, "kps_public_key"))
			fail_msg("case %u: error '%s' does not name the line and kps_public_key", i, err);
		assert_memory_equal(&c, &before, sizeof(c));
	}
}

/*
 * What the agent does with the enclave's report before attesting: HGS's
 * key named already (attest), none yet (name HGS's first), another one
 * (root named its own first: HGS will refuse, KpsKeyMismatch). One bit
 * of difference is another key. And HGS's key out of its metadata: exactly
 * 64 hex digits, or refused.
 */
static void test_kps_key_state(void **state)
{
	uint8_t hgs[32], other[32], zero[32] = { 0 }, pk[32];
	json_t *md;

	(void)state;
	memset(hgs, 0x5a, sizeof(hgs));
	memcpy(other, hgs, sizeof(other));
	other[31] ^= 1;
	assert_int_equal(kps_key_state_of(1, hgs, hgs), KPS_KEY_OURS);
	assert_int_equal(kps_key_state_of(0, zero, hgs), KPS_KEY_UNNAMED);
	assert_int_equal(kps_key_state_of(1, other, hgs), KPS_KEY_OTHER);
	assert_int_equal(kps_key_state_of(1, zero, hgs), KPS_KEY_OTHER);

	md = json_pack("{s:s}", "kps_public_key", KPS_HEX);
	assert_int_equal(kps_key_from_metadata(md, pk), 0);
	assert_int_equal(pk[1], 0x11);
	json_decref(md);
	memset(pk, 0, sizeof(pk));
	md = json_pack("{s:s}", "kps_public_key", KPS_HEX "0");
	assert_int_equal(kps_key_from_metadata(md, pk), -EPROTO);
	json_decref(md);
	md = json_pack("{s:i}", "kps_public_key", 7);
	assert_int_equal(kps_key_from_metadata(md, pk), -EPROTO);
	json_decref(md);
	md = json_object();
	assert_int_equal(kps_key_from_metadata(md, pk), -EPROTO);
	json_decref(md);
	assert_memory_equal(pk, zero, sizeof(pk));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest parse[] = {
		cmocka_unit_test(test_config_defaults_and_keys),
		cmocka_unit_test(test_config_bad),
		cmocka_unit_test(test_config_file_errors),
		cmocka_unit_test(test_request_ok),
		cmocka_unit_test(test_request_bad),
		cmocka_unit_test(test_request_kp_too_large),
		cmocka_unit_test(test_kps_key_config),
		cmocka_unit_test(test_kps_key_state),
		cmocka_unit_test(test_request_roll_confirm),
		cmocka_unit_test(test_request_migrate),
		cmocka_unit_test(test_request_vtpm_statement),
	};
	const struct CMUnitTest daemon[] = {
		cmocka_unit_test(test_daemon_init_output),
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_daemon_bad_requests),
		cmocka_unit_test(test_daemon_status_and_release),
		cmocka_unit_test(test_daemon_counters_and_metrics_file),
		cmocka_unit_test(test_daemon_confirm_unknown_roll),
		cmocka_unit_test(test_daemon_migrate_requests),
		cmocka_unit_test(test_daemon_counters_roll_ops),
		cmocka_unit_test(test_daemon_not_running),
	};
	int r;

	t_test_filter(argc, argv);
	r = cmocka_run_group_tests_name("agent_parse", parse, NULL, NULL);

	return r | cmocka_run_group_tests_name("agent_daemon", daemon, daemon_setup,
					       daemon_teardown);
}
