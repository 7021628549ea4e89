/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_move.h - `hgsd --migrate-store FROM TO` (store_move.c): the whole
 * store copied into an empty one, e.g. a single node's SQLite file into
 * the PostgreSQL database of a cluster, the service keys (files) kept.
 * Included by main.c only.
 */
#ifndef HGSD_STORE_MOVE_H
#define HGSD_STORE_MOVE_H

#include <stdio.h>

/*
 * Copy store @from into store @to (targets as in hgsd.conf's store:
 * a path, sqlite:PATH or postgresql:CONNINFO), progress lines on @out.
 * 0, -ENOTEMPTY (@to holds an HGS already), -EPROTO (@from's schema is
 * not this hgsd's), -EINVAL (the same store twice), or -errno; @to is
 * unchanged unless 0 (one transaction), the reason in @why.
 */
int store_move(const char *from, const char *to, FILE *out, char *why, size_t len);

#endif /* HGSD_STORE_MOVE_H */
