/* SPDX-License-Identifier: GPL-2.0 */
/*
 * http.h - the two listeners (http.c): HTTPS for hosts and tenants, the
 * admin Unix socket for admins, over libmicrohttpd.
 *
 * Included by main.c and http.c.
 */
#ifndef HGSD_HTTP_H
#define HGSD_HTTP_H

struct hgsd;

int http_start(struct hgsd *h);
void http_stop(struct hgsd *h);
/*
 * Serve HTTPS with a new key and certificate (@pem: the key's PEM, then
 * the certificate's), without closing the port; on failure (-EINVAL,
 * -ENOMEM, -EIO) the old ones serve on.
 */
int http_reload_tls(struct hgsd *h, const char *pem);

#endif /* HGSD_HTTP_H */
