/* SPDX-License-Identifier: GPL-2.0 */
/*
 * selftest.h - known-answer self-test of the format core over whichever
 * primitive implementation it is linked with. The module runs it at load
 * and refuses to load when it fails; the userspace tests run it too.
 */
#ifndef VMS_SELFTEST_H
#define VMS_SELFTEST_H

/*
 * Runs RFC 5869 cases 1-3, RFC 9180 A.1 (setup, every listed encryption,
 * every export), and fixed-input key-release and sealed-state known
 * answers and round trips. Returns 0, or -EBADE on a wrong answer, or the
 * first error a primitive returned. Stack use stays small (kernel).
 */
int vms_core_selftest(void);

#endif /* VMS_SELFTEST_H */
