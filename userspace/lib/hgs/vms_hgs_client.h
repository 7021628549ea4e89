/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_hgs_client.h - a small HTTPS/JSON client for hgsd (libcurl), shared
 * by shieldctl, hgsd status, the agent, the tests and the benchmark.
 *
 * One client is one curl handle: requests reuse its connection
 * (keep-alive). HTTPS peers are verified against @cafile (hgsd's tls.pem,
 * or a CA that issued it); a client for the admin socket talks plain HTTP
 * over the Unix socket instead. Not for concurrent use from two threads.
 */
#ifndef VMS_HGS_CLIENT_H
#define VMS_HGS_CLIENT_H

#include <stddef.h>

#include <jansson.h>

#include "vms_cleanup.h"

struct vms_hgs_client;

/* @base_url "https://127.0.0.1:8443"; or @unix_socket with NULL url. */
int vms_hgs_client_open(struct vms_hgs_client **out, const char *base_url,
			const char *cafile, const char *unix_socket);
void vms_hgs_client_close(struct vms_hgs_client *c);
/* _cleanup_(vms_hgs_client_closep) struct vms_hgs_client *c = NULL; */
VMS_DEFINE_CLEANUP(struct vms_hgs_client, vms_hgs_client_close)
/*
 * Present a client certificate (PEM files) over HTTPS: hgsd's admin API
 * accepts certificates issued by its admin_client_ca.
 */
int vms_hgs_client_use_cert(struct vms_hgs_client *c, const char *cert,
			    const char *key);

/*
 * Time limits of the next calls (default 10 s to connect, 60 s in all);
 * the agent sets them from its request deadline. 0 or -EINVAL.
 */
int vms_hgs_client_set_timeout(struct vms_hgs_client *c, long connect_ms,
			       long total_ms);

/*
 * GET (@req NULL) or POST @req (JSON) to @path. On 0, *http is the HTTP
 * status and *resp the JSON answer (json_decref it). Errors: -ECONNREFUSED
 * and other transport errors (vms_hgs_client_error() says which),
 * -EBADMSG when the answer is not a JSON object, -EFBIG when it is over
 * 64 MiB.
 */
int vms_hgs_call(struct vms_hgs_client *c, const char *path, json_t *req,
		 long *http, json_t **resp);
/* POST raw bytes (tests: malformed bodies). */
int vms_hgs_call_raw(struct vms_hgs_client *c, const char *path,
		     const void *body, size_t len, long *http, json_t **resp);
const char *vms_hgs_client_error(struct vms_hgs_client *c);

/* "substatus" of a Failed answer, or "Passed"/"?" */
const char *vms_hgs_substatus(json_t *resp);

#endif /* VMS_HGS_CLIENT_H */
