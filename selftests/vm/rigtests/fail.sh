#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Rig self-test: one subtest passes, one fails; exits 1 (KSFT_FAIL).
echo "TAP version 13"
echo "1..2"
echo "ok 1 this one passes"
echo "not ok 2 this one fails on purpose"
exit 1
