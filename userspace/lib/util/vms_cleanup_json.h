/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vms_cleanup_json.h - the cleanup attribute for jansson's json_t (one
 * reference dropped), for the code that already links jansson:
 *
 *	_cleanup_json_ json_t *root = json_loadb(...);
 */
#ifndef VMS_CLEANUP_JSON_H
#define VMS_CLEANUP_JSON_H

#include <jansson.h>

#include "vms_cleanup.h"

static inline void vms_json_decrefp(json_t **j)
{
	json_decref(*j);
	*j = NULL;
}

#define _cleanup_json_	_cleanup_(vms_json_decrefp)

#endif /* VMS_CLEANUP_JSON_H */
