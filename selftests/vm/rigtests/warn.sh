#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Rig self-test: passes, but leaves a kernel warning-looking line in dmesg
# (via /dev/kmsg); the rig's "dmesg clean" check must catch it.
echo "TAP version 13"
echo "1..1"
echo "<4>WARNING: CPU: 0 PID: 1 at rigtests/warn.sh:1 injected by the rig self-test" > /dev/kmsg
echo "ok 1 wrote a fake WARNING to the kernel log"
