#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# selftests/worker/run.sh - run worker_test.sh and serve_test.sh in the
# guarded-host rig as they must run: after lockdown (shielded keys need
# kernel-locked), with a fresh shared directory for the state files. Extra
# arguments go to the rig.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${WORKER_DIR:-$REPO/build/worker-check}
rm -rf "$DIR" && mkdir -p "$DIR" || exit 1
# --smp 2: serve_test boots a VM inside the guest; its QEMU and the worker
# answering SeaBIOS's TPM commands need a vCPU each (with one, SeaBIOS's TPM
# timeouts expire and it disables the TPM)
exec "$REPO/selftests/vm/run" --smp 2 --lockdown confidentiality --share "$DIR" \
	--env "WORKER_DIR=$DIR" --test-timeout 600 --timeout 900 "$@" \
	"$REPO/selftests/worker/worker_test.sh" \
	"$REPO/selftests/worker/serve_test.sh"
