/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_exit.h - the exit statuses every vmshield program ends with, one
 * table for all (man/vmshield-exit-codes.7.scd documents it; kselftest's
 * 4, skip, is the selftest runner's own). Included by each program's
 * main.c and whatever decides its exit status.
 */
#ifndef VMS_EXIT_H
#define VMS_EXIT_H

enum vms_exit {
	VMS_EXIT_OK = 0,		/* done; a check passed */
	VMS_EXIT_FAILED = 1,		/* refused, a failed check, an I/O error */
	VMS_EXIT_USAGE = 2,		/* unknown command or option, bad argument */
	VMS_EXIT_UNREACHABLE = 3,	/* a service (hgsd, HGS, hgs-agent) cannot be reached */
};

#endif /* VMS_EXIT_H */
