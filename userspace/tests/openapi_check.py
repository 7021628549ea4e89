#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""openapi_check.py SPEC HGSD_SRC_DIR URL CAFILE ADMIN_SOCKET

Checks Documentation/hgs-openapi.yaml (read with Debian's python3-yaml):
  * it is an OpenAPI 3.1 document in shape: openapi, info.title and
    info.version, paths whose keys start with '/', operations with
    responses, every path template's parameter declared in: path, every
    $ref resolving inside the document, every security requirement naming
    a declared scheme (Debian 12 has no openapi-spec-validator package);
  * its (method, path) pairs are exactly the daemon's route tables: the
    public routes of routes.c, the admin routes and lists of admin.c
    (read from the C sources, not from a copy), and GET /metrics;
  * the running hgsd serves each of them: the documented method is
    neither UnknownEndpoint nor MethodNotAllowed (admin routes on the
    admin socket; POSTs carry {} and are refused for it, changing
    nothing), and an undocumented path is UnknownEndpoint.
Prints what is wrong and exits 1; else a summary line.
"""
import json
import re
import ssl
import socket
import sys
import http.client

import yaml

METHODS = ("get", "post", "put", "delete", "patch")


def load_spec(path):
    with open(path) as f:
        return yaml.safe_load(f)


def resolve(doc, ref):
    if not ref.startswith("#/"):
        return None
    node = doc
    for part in ref[2:].split("/"):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def check_shape(doc):
    bad = []
    if not str(doc.get("openapi", "")).startswith("3.1"):
        bad.append("openapi: not 3.1.x")
    info = doc.get("info") or {}
    if not info.get("title") or not info.get("version"):
        bad.append("info: title and version are required")
    schemes = ((doc.get("components") or {}).get("securitySchemes") or {})
    paths = doc.get("paths")
    if not isinstance(paths, dict) or not paths:
        return bad + ["paths: missing or empty"]
    for p, item in paths.items():
        if not p.startswith("/"):
            bad.append(f"path {p}: must start with /")
        params = set(re.findall(r"{([^}]+)}", p))
        for m, op in item.items():
            if m not in METHODS:
                bad.append(f"{p}: unknown key {m}")
                continue
            if not isinstance(op.get("responses"), dict) or not op["responses"]:
                bad.append(f"{m.upper()} {p}: no responses")
            declared = {q.get("name") for q in op.get("parameters", []) if q.get("in") == "path"}
            if params != declared:
                bad.append(f"{m.upper()} {p}: path parameters {sorted(params)} declared as {sorted(declared)}")
            for req in op.get("security", []):
                for name in req:
                    if name not in schemes:
                        bad.append(f"{m.upper()} {p}: security scheme {name} is not declared")

    def walk(node, where):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "$ref":
                    if resolve(doc, v) is None:
                        bad.append(f"{where}: $ref {v} does not resolve")
                else:
                    walk(v, where + "/" + str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]")
    walk(doc, "#")
    return bad


def code_routes(src):
    """(METHOD, path) of routes.c's table, admin.c's table and lists, /metrics."""
    routes = set()
    rc = open(f"{src}/routes.c").read()
    for m, p in re.findall(r'\{\s*"(GET|POST)",\s*"(/v1/[^"]*)"', rc):
        routes.add((m, p))
    ac = open(f"{src}/admin.c").read()
    prefix = re.search(r'#define ADMIN_PREFIX\s+"([^"]+)"', open(f"{src}/admin.h").read()).group(1)
    defines = dict(re.findall(r'#define (\w+)\s+"([^"]*)"', ac))
    table = ac[ac.index("admin_routes[] = {"):]
    table = table[:table.index("};")]
    for m, p, is_prefix in re.findall(r'\{\s*"(GET|POST)",\s*("[^"]*"|\w+),\s*\w+,\s*(\d)\s*\}', table):
        p = defines[p] if not p.startswith('"') else p.strip('"')
        path = prefix + p
        if is_prefix == "1":
            path = path.rstrip("/") + "/{name}"
        routes.add((m, path))
    lists = ac[ac.index("admin_lists[] = {"):]
    lists = lists[:lists.index("};")]
    for p in re.findall(r'\{\s*"([^"]+)",\s*"[^"]+",\s*STORE_LIST_\w+\s*\}', lists):
        routes.add(("GET", prefix + p))
    # http.c answers GET /metrics itself (metrics.c)
    if '"/metrics"' in open(f"{src}/http.c").read():
        routes.add(("GET", "/metrics"))
    return routes


def spec_routes(doc):
    return {(m.upper(), p) for p, item in doc["paths"].items() for m in item if m in METHODS}


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("hgsd", timeout=10)
        self.sock_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.sock_path)


def ask(conn, method, path):
    body = "{}" if method == "POST" else None
    conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    try:
        return r.status, json.loads(data).get("substatus")
    except ValueError:
        return r.status, None


def live(routes, url, cafile, sock):
    bad = []
    host, port = url.split("//")[1].split(":")
    ctx = ssl.create_default_context(cafile=cafile)
    for m, p in sorted(routes):
        path = p.replace("{name}", "no-such-baseline")
        admin = p.startswith("/v1/admin/") or p == "/metrics"
        conn = UnixHTTP(sock) if admin else http.client.HTTPSConnection(host, int(port), context=ctx, timeout=10)
        status, sub = ask(conn, m, path)
        conn.close()
        if sub in ("UnknownEndpoint", "MethodNotAllowed"):
            bad.append(f"hgsd answers {m} {p} with {sub} ({status})")
    conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=10)
    status, sub = ask(conn, "GET", "/v1/not-in-the-spec")
    if sub != "UnknownEndpoint":
        bad.append(f"an undocumented path is not UnknownEndpoint: {status} {sub}")
    return bad


def main():
    spec, src, url, cafile, sock = sys.argv[1:6]
    doc = load_spec(spec)
    bad = check_shape(doc)
    if not bad:
        have, want = spec_routes(doc), code_routes(src)
        for m, p in sorted(want - have):
            bad.append(f"served but not in the spec: {m} {p}")
        for m, p in sorted(have - want):
            bad.append(f"in the spec but not served: {m} {p}")
        if len(want) < 40:
            bad.append(f"only {len(want)} routes read from the sources: the tables' shape changed?")
        if not bad:
            bad = live(want, url, cafile, sock)
    for b in bad:
        print(b)
    if bad:
        return 1
    print(f"{len(doc['paths'])} paths, {len(want)} operations, each served")
    return 0


if __name__ == "__main__":
    sys.exit(main())
