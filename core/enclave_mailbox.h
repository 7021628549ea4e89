/* SPDX-License-Identifier: GPL-2.0 */
/*
 * enclave_mailbox.h - the layout of the shared-memory mailbox that carries
 * enclave protocol frames (enclave_proto.h) between vmshield.ko and
 * vmshield-enclaved: BAR 2 of an ivshmem-plain device in the guarded host,
 * the backing file on the machine that plays the hypervisor.
 * Documentation/enclave-protocol.md, "The mailbox transport".
 *
 * Offsets in bytes from the start of the shared region; integers are
 * little-endian (both sides are the same machine type) and naturally
 * aligned, each written by one side only:
 *
 *   0     4  magic "VMMB"               enclave, at start
 *   4     4  layout version = 1         enclave, at start
 *   8     4  state: 0 absent, 1 ready   enclave (0 again on clean exit)
 *   12    4  reserved = 0
 *   16    8  epoch: random, per start   enclave, at start
 *   64    8  req_seq                    module, last (the doorbell)
 *   72    4  req_len                    module, before req_seq
 *   128   8  resp_seq                   enclave, last
 *   136   4  resp_len                   enclave, before resp_seq
 *   4096  ..  request area  (VMS_MB_AREA_LEN bytes)    module
 *   4096 + VMS_MB_AREA_LEN  response area              enclave
 */
#ifndef VMS_ENCLAVE_MAILBOX_H
#define VMS_ENCLAVE_MAILBOX_H

#include "enclave_proto.h"

#define VMS_MB_MAGIC		"VMMB"
#define VMS_MB_VERSION		1
#define VMS_MB_SIZE		(4u << 20)	/* the region: 4 MiB */
#define VMS_MB_CTRL_LEN		4096
#define VMS_MB_AREA_LEN		((VMS_MB_SIZE - VMS_MB_CTRL_LEN) / 2)
#define VMS_MB_REQ_AREA		VMS_MB_CTRL_LEN
#define VMS_MB_RESP_AREA	(VMS_MB_CTRL_LEN + VMS_MB_AREA_LEN)

#define VMS_MB_OFF_MAGIC	0
#define VMS_MB_OFF_VERSION	4
#define VMS_MB_OFF_STATE	8
#define VMS_MB_OFF_EPOCH	16
#define VMS_MB_OFF_REQ_SEQ	64
#define VMS_MB_OFF_REQ_LEN	72
#define VMS_MB_OFF_RESP_SEQ	128
#define VMS_MB_OFF_RESP_LEN	136

#define VMS_MB_STATE_ABSENT	0
#define VMS_MB_STATE_READY	1

/* ivshmem-plain's PCI ids (QEMU docs/specs/ivshmem-spec.rst) */
#define VMS_MB_PCI_VENDOR	0x1af4
#define VMS_MB_PCI_DEVICE	0x1110

#if VMS_EP_MAX_FRAME > VMS_MB_AREA_LEN
#error "an enclave frame must fit a mailbox area"
#endif

#endif /* VMS_ENCLAVE_MAILBOX_H */
