#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Rig self-test: the guest dies in the middle of the test (sysrq-o powers
# off at once, without any clean-up).  The rig must report a failure.
echo "TAP version 13"
echo "1..1"
echo "# powering the guest off mid-test"
echo o > /proc/sysrq-trigger
sleep 30
echo "ok 1 still alive"
