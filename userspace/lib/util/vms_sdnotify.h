/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_sdnotify.h - tell systemd how a Type=notify service is doing
 * (sd_notify(3)'s protocol, without libsystemd): one datagram with the
 * state lines ("READY=1", "STOPPING=1", "STATUS=...") to the AF_UNIX
 * socket $NOTIFY_SOCKET names (a path, or '@' for an abstract name).
 */
#ifndef VMS_SDNOTIFY_H
#define VMS_SDNOTIFY_H

/*
 * Send @state. Returns 1 when it was sent, 0 when $NOTIFY_SOCKET is unset
 * (not started by systemd: nothing to do), or a negative errno (a name
 * that is too long or not absolute, a socket that refuses the datagram).
 */
int vms_sd_notify(const char *state);

/*
 * The watchdog interval systemd asks for (WatchdogSec=: $WATCHDOG_USEC,
 * for this process when $WATCHDOG_PID is set), in microseconds; 0 when
 * there is none. Send "WATCHDOG=1" at least twice per interval.
 */
unsigned long long vms_sd_watchdog_usec(void);

#endif /* VMS_SDNOTIFY_H */
