// SPDX-License-Identifier: GPL-2.0
/*
 * test_store_sync.c - hgsd's group commit of the SQLite WAL
 * (hgsd/store_sync.c): every waiter returns only after an fsync that
 * started after its ticket, concurrent waiters all covered; a WAL that
 * cannot be opened fails the wait, and keeps failing (fail closed).
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../hgsd/store_sync.h"

#define WAITERS 16

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vms-gsync.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

struct waiter {
	struct store_gsync *g;
	pthread_barrier_t *start;
	int r;
};

static void *wait_one(void *arg)
{
	struct waiter *w = arg;

	pthread_barrier_wait(w->start);
	w->r = store_gsync_wait(w->g);
	return NULL;
}

/* Many at once: each returns 0, and every ticket is covered by a flush. */
static void test_gsync_concurrent_waiters_all_covered(void **state)
{
	struct store_gsync g;
	struct waiter w[WAITERS];
	pthread_t t[WAITERS];
	pthread_barrier_t start;
	char db[128], wal[160];
	int fd, i;

	(void)state;
	snprintf(db, sizeof(db), "%s/hgs.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", db);
	fd = open(wal, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "frames", 6), 6);
	close(fd);
	assert_int_equal(store_gsync_init(&g, db), 0);
	assert_int_equal(pthread_barrier_init(&start, NULL, WAITERS), 0);
	for (i = 0; i < WAITERS; i++) {
		w[i] = (struct waiter){ &g, &start, -1 };
		assert_int_equal(pthread_create(&t[i], NULL, wait_one, &w[i]), 0);
	}
	for (i = 0; i < WAITERS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].r, 0);
	}
	assert_int_equal(g.asked, WAITERS);
	assert_int_equal(g.done, WAITERS);
	assert_int_equal(g.flushing, 0);
	/* one more, alone: its own flush */
	assert_int_equal(store_gsync_wait(&g), 0);
	assert_int_equal(g.done, WAITERS + 1);
	pthread_barrier_destroy(&start);
	store_gsync_destroy(&g);
}

/* No WAL to flush: the commit is not known durable; refused, and stays so. */
static void test_gsync_missing_wal_fails_closed(void **state)
{
	struct store_gsync g;
	char db[128], wal[160];
	int fd;

	(void)state;
	snprintf(db, sizeof(db), "%s/none.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", db);
	assert_int_equal(store_gsync_init(&g, db), 0);
	assert_int_equal(store_gsync_wait(&g), -ENOENT);
	assert_int_equal(g.done, 0);
	fd = open(wal, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(store_gsync_wait(&g), -ENOENT);	/* sticky */
	store_gsync_destroy(&g);
}

static void test_gsync_path_too_long(void **state)
{
	struct store_gsync g;
	char path[5000];

	(void)state;
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = 0;
	assert_int_equal(store_gsync_init(&g, path), -ENAMETOOLONG);
	store_gsync_destroy(&g);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gsync_concurrent_waiters_all_covered),
		cmocka_unit_test(test_gsync_missing_wal_fails_closed),
		cmocka_unit_test(test_gsync_path_too_long),
	};

	t_test_filter(argc, argv);
	return cmocka_run_group_tests_name("store_sync", tests, setup, teardown);
}
