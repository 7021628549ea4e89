#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# selftests/worker/run.sh - run worker_test.sh and serve_test.sh in the
# guarded-host rig as they must run: after lockdown (shielded keys need
# kernel-locked), with a fresh shared directory for the state files. Extra
# arguments go to the rig.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${WORKER_DIR:-$REPO/build/worker-check}
rm -rf "$DIR" && mkdir -p "$DIR/digests" || exit 1
# the image digests the tests' releases approve, listed here once (lib.sh
# image_digests): the guest would hash the same files at TCG speed
for p in "$REPO/build/bin/vmshield-worker" "$REPO/build/selftests/worker/unseal_probe"; do
	"$REPO/build/bin/shieldctl" hgs worker image "$p" | cut -d' ' -f1 \
		>"$DIR/digests/${p//\//_}"
	[[ -s $DIR/digests/${p//\//_} ]] || exit 1
done
# --smp 2: serve_test boots a VM inside the guest; its QEMU and the worker
# answering SeaBIOS's TPM commands need a vCPU each (with one, SeaBIOS's TPM
# timeouts expire and it disables the TPM)
exec "$REPO/selftests/vm/run" --smp 2 --lockdown confidentiality --share "$DIR" \
	--env "WORKER_DIR=$DIR" --env "IMAGE_DIGESTS_DIR=$DIR/digests" --test-timeout 600 --timeout 900 "$@" \
	"$REPO/selftests/worker/worker_test.sh" \
	"$REPO/selftests/worker/serve_test.sh"
