#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Rig self-test: the kernel panics in the middle of the test (sysrq-c).  The
# rig must stop the guest at once and report the panic.
echo "TAP version 13"
echo "1..1"
echo "# crashing the kernel"
echo c > /proc/sysrq-trigger
sleep 30
echo "ok 1 still alive"
