// SPDX-License-Identifier: GPL-2.0
/*
 * serve.c - the enclave's loop: receive a frame into private memory,
 * answer it, wipe both buffers (they may hold vTPM state plaintext).
 */
#include <stdlib.h>
#include <time.h>

#include "transport.h"

static u64 vms_serve_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

int vms_serve(struct vms_enclave *e, struct vms_transport *t,
	      volatile sig_atomic_t *stop)
{
	u8 *in = malloc(VMS_EP_MAX_FRAME), *out = malloc(VMS_EP_MAX_FRAME);
	int r = 0;

	if (!in || !out) {
		free(in);
		free(out);
		return -ENOMEM;
	}
	while (!*stop) {
		size_t len = 0, olen = 0;
		bool has_id = false;
		u64 id = 0, t0;

		r = t->recv(t, in, VMS_EP_MAX_FRAME, &len, &id, &has_id);
		if (r == 1) {
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		t0 = vms_serve_now();
		vms_enclave_handle(e, in, len, has_id ? &id : NULL, out,
				   VMS_EP_MAX_FRAME, &olen);
		vms_prim_wipe(in, len);
		r = t->send(t, out, olen, id);
		e->busy_ns += vms_serve_now() - t0;
		vms_prim_wipe(out, olen);
		if (r < 0)
			break;
	}
	vms_prim_wipe(in, VMS_EP_MAX_FRAME);
	vms_prim_wipe(out, VMS_EP_MAX_FRAME);
	free(in);
	free(out);
	return *stop ? 0 : r;
}
