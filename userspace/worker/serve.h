/* SPDX-License-Identifier: GPL-2.0 */
/*
 * serve.h - the sockets of `vmshield-worker serve`: swtpm's control
 * channel on a Unix socket (QEMU's -tpmdev emulator, libvirt's external
 * backend) or on 127.0.0.1, the data channel passed with CMD_SET_DATAFD
 * or on 127.0.0.1 (tpm2-tss's swtpm TCTI), one client of each at a time.
 */
#ifndef VMS_WORKER_SERVE_H
#define VMS_WORKER_SERVE_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "vtpm_ctrl.h"
#include "vtpm_remote.h"

enum serve_ep_type { SERVE_EP_NONE = 0, SERVE_EP_UNIX, SERVE_EP_TCP };

struct serve_endpoint {
	enum serve_ep_type type;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint16_t port;
	mode_t mode;		/* unix socket; default 0600 */
	uid_t uid;		/* (uid_t)-1: unchanged */
	gid_t gid;
};

struct serve_opts {
	struct serve_endpoint ctrl;	/* --ctrl */
	struct serve_endpoint data;	/* --server (NONE: CMD_SET_DATAFD) */
	int not_need_init;		/* --flags not-need-init */
	int startup_clear;		/* --flags startup-clear */
	int terminate;			/* --terminate */
	int io_timeout_ms;		/* a stalled client is dropped after */
	/* --vtpm-in-enclave: forward to the enclave's vTPM, not @v's */
	struct vtpm_remote *remote;
};

/*
 * Parse swtpm's syntax: --ctrl type=unixio,path=PATH[,mode=0660][,uid=N]
 * [,gid=N] | type=tcp,port=N[,bindaddr=127.0.0.1]; --server type=tcp,
 * port=N[,bindaddr=127.0.0.1]; --flags not-need-init,startup-clear.
 * Prints what is wrong. 0 or -EINVAL.
 */
int serve_parse_ctrl(const char *arg, struct serve_endpoint *ep);
int serve_parse_server(const char *arg, struct serve_endpoint *ep);
int serve_parse_flags(const char *arg, struct serve_opts *o);

/*
 * Serve @v until CMD_SHUTDOWN, SIGTERM or SIGINT, or (--terminate) the
 * VMM's data connection closing. Whatever changed is sealed before
 * anything is answered and before returning. 0 on an orderly end, or
 * -errno (printed): a socket could not be set up, or a change could not
 * be sealed (the worker stops answering: fail closed).
 */
int serve_run(const struct serve_opts *o, struct vtpm_srv *v);

#endif /* VMS_WORKER_SERVE_H */
