/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_errmsg.h - what a format-core error means to a person, and what to
 * do about it. The texts never contain key material.
 */
#ifndef VMS_ERRMSG_H
#define VMS_ERRMSG_H

/* Errors of vms_kr_build/parse/open (core/keyrelease.h). */
const char *vms_kr_strerror(int err);
/* Errors of vms_ss_seal/parse/unseal (core/sealedstate.h). */
const char *vms_ss_strerror(int err);
/* Errors of the HPKE calls (core/hpke.h). */
const char *vms_hpke_strerror(int err);
/* Errors of file and key-file helpers (lib/util/vms_fileio.h, vms_keyfile.h). */
const char *vms_file_strerror(int err);

#endif /* VMS_ERRMSG_H */
