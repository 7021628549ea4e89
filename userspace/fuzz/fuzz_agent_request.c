// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_agent_request - libFuzzer harness: the host agent's request line
 * (agent/request.c), what any local client of the agent's socket sends.
 * A refused line allocates nothing and says why; an accepted one names a
 * known operation, a lower-case VM id and, for a release, a KP.
 * Seeds: corpus/fuzz_agent_request/.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_request rq;
	char err[256];
	size_t i;

	memset(&rq, 0, sizeof(rq));
	err[0] = 0;
	if (agent_request_parse((const char *)data, size, &rq, err, sizeof(err))) {
		if (rq.kp || !err[0])
			abort();
		return 0;
	}
	if (rq.op < AGENT_OP_RELEASE || rq.op > AGENT_OP_ATTEST)
		abort();
	for (i = 0; rq.vm_id[i]; i++)
		if (isupper((unsigned char)rq.vm_id[i]))
			abort();
	if (rq.op == AGENT_OP_RELEASE && (!rq.kp || !rq.kp_len))
		abort();
	agent_request_free(&rq);
	return 0;
}
