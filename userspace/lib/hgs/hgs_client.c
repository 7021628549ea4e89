// SPDX-License-Identifier: GPL-2.0
/*
 * hgs_client.c - hgsd client over libcurl.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "vms_hgs_client.h"

/* the largest answer read: an admin list of 100,000 digests is ~20 MiB */
#define RESPONSE_MAX (64u << 20)

struct vms_hgs_client {
	CURL *curl;
	struct curl_slist *headers;
	char base[512];
	char err[CURL_ERROR_SIZE];
	char *buf;
	size_t len, cap;
	int overflow;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct vms_hgs_client *c = arg;
	size_t len = size * n;

	if (c->overflow || c->len + len > RESPONSE_MAX) {
		c->overflow = 1;
		return 0;
	}
	if (c->len + len + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		char *nb;

		while (cap < c->len + len + 1)
			cap *= 2;
		nb = realloc(c->buf, cap);
		if (!nb)
			return 0;
		c->buf = nb;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, p, len);
	c->len += len;
	return len;
}

int vms_hgs_client_open(struct vms_hgs_client **out, const char *base_url,
			const char *cafile, const char *unix_socket)
{
	struct vms_hgs_client *c;

	*out = NULL;
	pthread_once(&curl_once, curl_init);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->curl = curl_easy_init();
	c->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (c->headers)
		c->headers = curl_slist_append(c->headers, "Expect:");
	if (!c->curl || !c->headers) {
		vms_hgs_client_close(c);
		return -ENOMEM;
	}
	snprintf(c->base, sizeof(c->base), "%s",
		 unix_socket ? "http://localhost" : base_url);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->err);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, unix_socket ? "http" : "https");
	if (unix_socket) {
		curl_easy_setopt(c->curl, CURLOPT_UNIX_SOCKET_PATH, unix_socket);
	} else {
		curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 2L);
		if (cafile)
			curl_easy_setopt(c->curl, CURLOPT_CAINFO, cafile);
	}
	*out = c;
	return 0;
}

int vms_hgs_client_use_cert(struct vms_hgs_client *c, const char *cert,
			    const char *key)
{
	if (curl_easy_setopt(c->curl, CURLOPT_SSLCERT, cert) != CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_SSLKEY, key) != CURLE_OK)
		return -EINVAL;
	return 0;
}

int vms_hgs_client_set_timeout(struct vms_hgs_client *c, long connect_ms,
			       long total_ms)
{
	if (connect_ms <= 0 || total_ms <= 0)
		return -EINVAL;
	if (curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms) != CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, total_ms) != CURLE_OK)
		return -EINVAL;
	return 0;
}

void vms_hgs_client_close(struct vms_hgs_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->headers);
	free(c->buf);
	free(c);
}

const char *vms_hgs_client_error(struct vms_hgs_client *c)
{
	return c->err[0] ? c->err : "no error";
}

static int perform(struct vms_hgs_client *c, const char *path, const void *body,
		   size_t len, int post, long *http, json_t **resp)
{
	char url[1024];
	json_error_t jerr;
	CURLcode rc;

	*resp = NULL;
	*http = 0;
	c->len = 0;
	c->overflow = 0;
	c->err[0] = 0;
	snprintf(url, sizeof(url), "%s%s", c->base, path);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	if (post) {
		curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	} else {
		curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	}
	rc = curl_easy_perform(c->curl);
	if (rc != CURLE_OK && c->overflow) {
		snprintf(c->err, sizeof(c->err), "the answer is larger than %u MiB, more than this client reads",
			 RESPONSE_MAX >> 20);
		return -EFBIG;
	}
	if (rc != CURLE_OK) {
		if (!c->err[0])
			snprintf(c->err, sizeof(c->err), "%s", curl_easy_strerror(rc));
		switch (rc) {
		case CURLE_COULDNT_CONNECT: return -ECONNREFUSED;
		case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CACERT_BADFILE: return -EKEYREJECTED;
		default: return -EIO;
		}
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, http);
	*resp = json_loadb(c->buf ? c->buf : "", c->len, 0, &jerr);
	if (!*resp || !json_is_object(*resp)) {
		json_decref(*resp);
		*resp = NULL;
		snprintf(c->err, sizeof(c->err), "the answer (HTTP %ld) is not a JSON object", *http);
		return -EBADMSG;
	}
	return 0;
}

int vms_hgs_call(struct vms_hgs_client *c, const char *path, json_t *req,
		 long *http, json_t **resp)
{
	char *body;
	int r;

	if (!req)
		return perform(c, path, NULL, 0, 0, http, resp);
	body = json_dumps(req, JSON_COMPACT);
	if (!body)
		return -ENOMEM;
	r = perform(c, path, body, strlen(body), 1, http, resp);
	free(body);
	return r;
}

int vms_hgs_call_raw(struct vms_hgs_client *c, const char *path,
		     const void *body, size_t len, long *http, json_t **resp)
{
	return perform(c, path, body, len, 1, http, resp);
}

const char *vms_hgs_substatus(json_t *resp)
{
	const char *s = json_string_value(json_object_get(resp, "status"));

	if (s && !strcmp(s, "Passed"))
		return "Passed";
	s = json_string_value(json_object_get(resp, "substatus"));
	return s ? s : "?";
}
