// SPDX-License-Identifier: GPL-2.0
/*
 * lifecycle.c - the daemon's stop flag and clocks: every wait in the agent
 * (backoff, renewal) is a timed wait on the stop condition, so SIGTERM
 * ends it at once; deadlines use CLOCK_MONOTONIC, which root setting the
 * wall clock does not move.
 */
#include <errno.h>
#include <time.h>

#include "agent.h"

double agent_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int agent_stopping(struct agent *a)
{
	int s;

	pthread_mutex_lock(&a->stop_lock);
	s = a->stopping;
	pthread_mutex_unlock(&a->stop_lock);
	return s;
}

int agent_sleep(struct agent *a, double seconds)
{
	double until = agent_now() + (seconds > 0 ? seconds : 0);
	struct timespec ts;
	int s;

	ts.tv_sec = (time_t)until;
	ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
	pthread_mutex_lock(&a->stop_lock);
	while (!a->stopping &&
	       pthread_cond_timedwait(&a->stop_cond, &a->stop_lock, &ts) != ETIMEDOUT)
		;
	s = a->stopping;
	pthread_mutex_unlock(&a->stop_lock);
	return s;
}

void agent_lifecycle_init(struct agent *a)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&a->stop_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->stop_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&a->clients_lock, NULL);
	a->listen_fd = -1;
}

void agent_request_stop(struct agent *a)
{
	pthread_mutex_lock(&a->stop_lock);
	a->stopping = 1;
	pthread_cond_broadcast(&a->stop_cond);
	pthread_mutex_unlock(&a->stop_lock);
	/* wake attestation waiters so they see the stop */
	pthread_mutex_lock(&a->att.lock);
	pthread_cond_broadcast(&a->att.changed);
	pthread_mutex_unlock(&a->att.lock);
}

