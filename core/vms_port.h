/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_port.h - the few types and helpers the format core needs, mapped to
 * the kernel or to hosted C11. The core includes nothing else from either
 * side, so the same source compiles into vmshield.ko and into userspace.
 */
#ifndef VMS_PORT_H
#define VMS_PORT_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/string.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#else
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <string.h>
#include <errno.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
#endif

/* Big-endian load/store: every multi-byte integer in our formats is BE. */
static inline void vms_put_be16(u8 *p, u16 v)
{
	p[0] = (u8)(v >> 8);
	p[1] = (u8)v;
}

static inline void vms_put_be32(u8 *p, u32 v)
{
	vms_put_be16(p, (u16)(v >> 16));
	vms_put_be16(p + 2, (u16)v);
}

static inline void vms_put_be64(u8 *p, u64 v)
{
	vms_put_be32(p, (u32)(v >> 32));
	vms_put_be32(p + 4, (u32)v);
}

static inline u16 vms_get_be16(const u8 *p)
{
	return (u16)((u16)p[0] << 8 | p[1]);
}

static inline u32 vms_get_be32(const u8 *p)
{
	return (u32)vms_get_be16(p) << 16 | vms_get_be16(p + 2);
}

static inline u64 vms_get_be64(const u8 *p)
{
	return (u64)vms_get_be32(p) << 32 | vms_get_be32(p + 4);
}

#endif /* VMS_PORT_H */
