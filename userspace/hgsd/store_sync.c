// SPDX-License-Identifier: GPL-2.0
/*
 * store_sync.c - group commit of the SQLite WAL (store_sync.h).
 *
 * Each waiter takes a ticket after its commit; a waiter whose ticket no
 * finished fsync covers becomes the leader when none is flushing: it
 * notes the last ticket taken, fsyncs the WAL file with no lock held, and
 * marks every ticket up to that one done. The others wait. A commit whose
 * frames were appended before the fsync started is covered by it; one
 * that was checkpointed meanwhile is in the database file, which a
 * checkpoint syncs. An fsync that fails is sticky (as PostgreSQL treats
 * one): after it nothing is known to be on disk, and every later wait
 * fails until hgsd restarts.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "store_sync.h"

int store_gsync_init(struct store_gsync *g, const char *path)
{
	int n;

	memset(g, 0, sizeof(*g));
	g->fd = -1;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	n = snprintf(g->wal, sizeof(g->wal), "%s-wal", path);
	return n < 0 || (size_t)n >= sizeof(g->wal) ? -ENAMETOOLONG : 0;
}

void store_gsync_destroy(struct store_gsync *g)
{
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->cond);
}

int store_gsync_wait(struct store_gsync *g)
{
	uint64_t mine, upto;
	int r = 0, fd;

	pthread_mutex_lock(&g->lock);
	mine = ++g->asked;
	while (!g->err && g->done < mine) {
		if (g->flushing) {
			pthread_cond_wait(&g->cond, &g->lock);
			continue;
		}
		if (g->fd < 0) {
			/* the WAL exists while the store's connections are open */
			g->fd = open(g->wal, O_RDONLY | O_CLOEXEC);
			if (g->fd < 0) {
				g->err = -errno;
				log_err("store", "step=\"opening the WAL for group commit\" path=%s error=\"%s\"",
					g->wal, strerror(-g->err));
				break;
			}
		}
		g->flushing = 1;
		upto = g->asked;
		fd = g->fd;
		pthread_mutex_unlock(&g->lock);
		r = fdatasync(fd) ? -errno : 0;	/* the leader's flush, unlocked */
		pthread_mutex_lock(&g->lock);
		g->flushing = 0;
		if (r) {
			g->err = r;
			log_err("store", "step=\"group commit: fsync of the WAL\" path=%s error=\"%s\"",
				g->wal, strerror(-r));
		} else {
			g->done = upto;
		}
		pthread_cond_broadcast(&g->cond);
	}
	r = g->err;
	pthread_mutex_unlock(&g->lock);
	return r;
}
