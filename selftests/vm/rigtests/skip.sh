#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Rig self-test: a program that skips entirely (exit 4, KSFT_SKIP).
echo "TAP version 13"
echo "1..0 # SKIP nothing to test here"
exit 4
