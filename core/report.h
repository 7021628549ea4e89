/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report.h - the isolation report (version 2), and the names of the values
 * it carries (which are also struct vmshield_info's).
 *
 * The module writes the report and measures it into IMA; the agent writes
 * the same line from GET_INFO and sends it to HGS; HGS parses it and finds
 * the module's IMA entry by it. One line of printable ASCII, no NUL, no
 * newline, these fields in this order with single spaces
 * (Documentation/formats.md, "The isolation report"):
 *
 *   vmshield-report v2 placement=<kernel|hypervisor>
 *   level=<kernel-open|kernel-locked>
 *   lockdown=<none|integrity|confidentiality> sig_enforced=<0|1>
 *   module_sig_ok=<0|1> enclave_pk=<64 lower-case hex>
 *   kps_pk=<64 lower-case hex|none>
 *   [lockdown_at_load=<none|integrity|confidentiality>
 *    ptrace_scope=<0|1|2|3|unknown> crash_kernel=<0|1>]
 *
 * The last three fields (the host facts block) come together or not at
 * all: a module that records them always writes them.
 *
 * The rules, enforced by the writer and the parser alike (so whatever one
 * writes the other reads back, and nothing else):
 *   - placement is where the enclave key named lives: kernel (inside the
 *     module) or hypervisor (the module reaches it through the mailbox);
 *   - level is the host kernel's, in both placements: kernel-locked
 *     exactly when lockdown is confidentiality and sig_enforced is 1
 *     (vms_isolation_level_of()), else kernel-open. The level
 *     "hypervisor" is never in a report: HGS earns it for the host from
 *     the platform's enclave report;
 *   - kps_pk is the one KPS key the enclave accepts key releases from
 *     (set by the identity's first release challenge), or "none" before
 *     one was named; "none" is kps_set 0 with an all-zero key.
 *
 * Errors (negative errno):
 *   -EMSGSIZE        (parse) @len of VMS_REPORT_MAX or more
 *   -EILSEQ          (parse) not a "vmshield-report v<N>" line, or a byte
 *                    that is not printable ASCII
 *   -EPROTONOSUPPORT (parse) a version other than 2 (v1 had no kps_pk)
 *   -EINVAL          a field missing, out of order, empty or repeated, an
 *                    unknown name, a bit not 0 or 1, a key not 64
 *                    lower-case hex digits, trailing bytes; facts that
 *                    break a rule above; a NULL argument
 *   -ENOSPC          (format) @len too small
 */
#ifndef VMS_REPORT_H
#define VMS_REPORT_H

#include "vms_port.h"

#define VMS_REPORT_MAGIC	"vmshield-report"
#define VMS_REPORT_VERSION	2
/*
 * Bytes, NUL included, that hold any report (the longest v2, with the
 * host facts block, is 333): room left for a field or two more.
 */
#define VMS_REPORT_MAX		384
#define VMS_REPORT_PK_LEN	32

struct vmshield_info;

/* A parsed report; the values are VMSHIELD_* of the UAPI. */
struct vms_isolation_report {
	u32 placement;		/* VMSHIELD_PLACEMENT_* */
	u32 level;		/* VMSHIELD_ISOLATION_* */
	u32 lockdown;		/* VMSHIELD_LOCKDOWN_* */
	bool sig_enforced;	/* unsigned modules are refused */
	bool module_sig_ok;	/* the module's own signature verified */
	u8 enclave_pk[VMS_REPORT_PK_LEN];
	bool kps_set;		/* a KPS key was named: kps_pk */
	u8 kps_pk[VMS_REPORT_PK_LEN];	/* all zero when !kps_set */
	/* the host facts block (optional; written by modules that have it) */
	bool has_host_facts;
	u32 lockdown_at_load;	/* VMSHIELD_LOCKDOWN_* when the module loaded */
	u32 ptrace_scope;	/* Yama's 0..3, or VMSHIELD_PTRACE_SCOPE_UNKNOWN */
	bool crash_kernel;	/* a crash kernel is loaded (kdump) */
};

/*
 * vms_report_format - write the v2 line for @r into @buf, NUL-terminated.
 * Returns its length (without the NUL), or -EINVAL / -ENOSPC; on error
 * all @len bytes of @buf are zero, never part of a line.
 */
int vms_report_format(const struct vms_isolation_report *r, char *buf,
		      size_t len);

/*
 * vms_report_parse - strict parse of exactly one v2 line of @len bytes
 * (no NUL or newline counted in). On any error @r is zeroed: a refused
 * report leaves nothing half-parsed.
 */
int vms_report_parse(const char *text, size_t len,
		     struct vms_isolation_report *r);

/*
 * The report's facts as GET_INFO gives them (placement, level, lockdown,
 * facts, enclave key, accepted KPS key).
 */
void vms_report_from_info(const struct vmshield_info *info,
			  struct vms_isolation_report *r);

/* The isolation level the kernel's facts earn (DESIGN.md section 3). */
u32 vms_isolation_level_of(u32 lockdown, bool sig_enforced);

/*
 * The names of VMSHIELD_PLACEMENT_*, VMSHIELD_ISOLATION_* and
 * VMSHIELD_LOCKDOWN_*: "unknown" for a value without one. The _from_name
 * functions take a NUL-terminated name and return its value, or -EINVAL.
 */
const char *vms_placement_name(u32 placement);
const char *vms_isolation_name(u32 level);
const char *vms_lockdown_level_name(u32 lockdown);
int vms_placement_from_name(const char *name);
int vms_isolation_from_name(const char *name);
int vms_lockdown_level_from_name(const char *name);

#endif /* VMS_REPORT_H */
