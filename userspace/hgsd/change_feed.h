/* SPDX-License-Identifier: GPL-2.0 */
/*
 * change_feed.h - every node's snapshot follows the store (change_feed.c):
 * a thread reads the store's change sequence every change_poll_ms and
 * reloads the snapshot (state.c) when it moved, so an admin change made
 * on one node of a cluster (a host revoked, a cut-off, a guardian
 * disabled, added or enabled) is enforced by every node within about that interval plus
 * one reload. Included by main.c and admin.c.
 */
#ifndef HGSD_CHANGE_FEED_H
#define HGSD_CHANGE_FEED_H

struct hgsd;

/* 0 or -errno. A snapshot records the sequence it was read at (state.c). */
int change_feed_start(struct hgsd *h);
void change_feed_stop(void);
/*
 * Held around every guardian change on this node's admin API (admin.c)
 * and around the feed's following of the store's guardians.
 */
void change_feed_guardians_lock(void);
void change_feed_guardians_unlock(void);

#endif /* HGSD_CHANGE_FEED_H */
