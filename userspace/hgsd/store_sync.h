/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_sync.h - group commit for SQLite (store.c only): a transaction
 * committed on a synchronous=NORMAL connection is in the WAL file but not
 * yet on disk; one fsync of the WAL makes every such commit before it
 * durable. store_gsync_wait() gives each caller that guarantee for its own
 * commit, with one fsync for all the callers that arrive while another
 * fsync runs (the TK roll: concurrent starts share one disk flush instead
 * of each holding the write lock through its own).
 */
#ifndef VMS_HGSD_STORE_SYNC_H
#define VMS_HGSD_STORE_SYNC_H

#include <pthread.h>
#include <stdint.h>

struct store_gsync {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char wal[4200];		/* the database's "-wal" file */
	int fd;			/* opened at the first wait; -1 before */
	uint64_t asked, done;	/* tickets: taken, covered by a finished fsync */
	int flushing;		/* a leader's fsync is running */
	int err;		/* sticky: a failed fsync fails every later wait */
};

/* For the SQLite database @path. 0 or -ENAMETOOLONG. */
int store_gsync_init(struct store_gsync *g, const char *path);
void store_gsync_destroy(struct store_gsync *g);

/*
 * Called after a commit returned: when it returns 0, that commit is on
 * disk. -errno (the fsync's, or opening the WAL file's): the commit may
 * not be durable, and nothing that depends on it may be served.
 */
int store_gsync_wait(struct store_gsync *g);

#endif /* VMS_HGSD_STORE_SYNC_H */
