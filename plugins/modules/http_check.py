#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: http_check
short_description: curl-style checks of several HTTP endpoints, with bounded retries
version_added: 1.0.0
description:
  - Requests every endpoint (in parallel) until it answers with the expected status and a body
    containing the expected text. An endpoint fails after I(retries) attempts and at least
    (I(retries) - 1) x I(delay) seconds; the first pauses are shorter (0.25 s, doubling up to
    I(delay)), so a path that needs a moment more (an Ingress route being picked up) passes soon.
  - Fails naming every endpoint that never passed, with the status and body it last answered
    (or the connection error).
  - Read-only (GET); supports check mode.
extends_documentation_fragment:
  - kubeha.webapp.options.endpoint_checks
options:
  delay:
    description: Longest pause between two attempts, in seconds (the first pauses are shorter).
    type: float
    default: 1.0
  timeout:
    description: Seconds one request may take.
    type: float
    default: 5.0
  validate_certs:
    description: Verify TLS certificates of https endpoints.
    type: bool
    default: true
  ca_file:
    description:
      - PEM file of the certificate authorities https endpoints are verified against; empty uses
        the system's.
    type: path
  resolve:
    description:
      - Addresses to connect to for given host names, as curl's C(--resolve) takes them
        (C(HOST:PORT:ADDRESS)). A request to C(https://HOST:PORT/) then goes to ADDRESS and still
        sends C(HOST) as its Host header and TLS server name (SNI), and the certificate is checked
        for C(HOST) - how a Gateway's HTTPS listener is reached before DNS names it.
    type: list
    elements: str
    default: []
author:
  - kubeha maintainers (@kubeha)
"""

EXAMPLES = r"""
- name: Every node answers on the NodePort
  kubeha.webapp.http_check:
    endpoints:
      - name: nodeport 10.0.0.5
        url: http://10.0.0.5:30080/
    expected_body: version=v2
    retries: 10
    delay: 1
"""

RETURN = r"""
results:
  description: One entry per endpoint - name, url, ok, status, body (first 300 characters), attempts, error.
  returned: always
  type: list
  elements: dict
failed_endpoints:
  description: Names of the endpoints that never passed.
  returned: always
  type: list
  elements: str
"""

import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubeha.webapp.plugins.module_utils.endpoint_checks import (
    exit_with_results,
    expectation,
)
from ansible_collections.kubeha.webapp.plugins.module_utils.options import (
    ENDPOINT_CHECK_OPTIONS,
    argument_spec,
)
from urllib.error import HTTPError, URLError
from http.client import HTTPConnection, HTTPSConnection
from urllib.request import HTTPHandler, HTTPSHandler, ProxyHandler, Request, build_opener


def parse_resolve(entries):
    """curl-style HOST:PORT:ADDRESS entries -> {(host, port): address}; an IPv6 address may be
    bracketed. Raises ValueError naming the entry that does not parse."""
    out = {}
    for entry in entries or []:
        parts = str(entry).split(":", 2)
        if len(parts) != 3 or not parts[0] or not parts[1].isdigit() or not parts[2]:
            raise ValueError("resolve entry %r is not HOST:PORT:ADDRESS" % (entry,))
        out[(parts[0].lower(), int(parts[1]))] = parts[2].strip("[]")
    return out


def _resolving(base, resolve):
    """A connection class of `base` that opens its socket to the address `resolve` gives for its
    host and port; the Host header and the TLS server name stay the URL's host."""
    class Connection(base):
        def __init__(self, host, *args, **kwargs):
            base.__init__(self, host, *args, **kwargs)
            address = resolve.get((self.host.lower(), self.port))
            if address:
                self._create_connection = (
                    lambda addr, *rest: socket.create_connection((address, addr[1]), *rest))
    return Connection


class _ResolvingHTTPHandler(HTTPHandler):
    def __init__(self, resolve):
        HTTPHandler.__init__(self)
        self._connection = _resolving(HTTPConnection, resolve)

    def http_open(self, req):
        return self.do_open(self._connection, req)


class _ResolvingHTTPSHandler(HTTPSHandler):
    def __init__(self, context, resolve):
        HTTPSHandler.__init__(self, context=context)
        self._ctx = context
        self._connection = _resolving(HTTPSConnection, resolve)

    def https_open(self, req):
        return self.do_open(self._connection, req, context=self._ctx)


def fetch(url, host, timeout, validate_certs, ca_file=None, resolve=None):
    headers = {"User-Agent": "kubeha.webapp.http_check"}
    if host:
        headers["Host"] = host
    ctx = ssl.create_default_context(cafile=ca_file or None)
    if not validate_certs:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    # No proxy: the endpoints are cluster addresses, reached directly.
    opener = build_opener(ProxyHandler({}), _ResolvingHTTPHandler(resolve or {}),
                          _ResolvingHTTPSHandler(ctx, resolve or {}))
    try:
        resp = opener.open(Request(url, headers=headers), timeout=timeout)
        return resp.getcode(), resp.read(4096).decode("utf-8", "replace"), ""
    except HTTPError as exc:
        try:
            body = exc.read(4096).decode("utf-8", "replace")
        except Exception:
            body = ""
        return exc.code, body, ""
    except URLError as exc:
        return 0, "", str(exc.reason)
    except Exception as exc:
        return 0, "", "%s: %s" % (type(exc).__name__, exc)


def check(ep, p, resolve=None):
    result = dict(name=ep["name"], url=ep["url"], host=ep.get("host") or "", ok=False, attempts=0)
    budget = (p["retries"] - 1) * p["delay"]
    start = time.time()
    pause = min(p["delay"], 0.25)
    attempt = 0
    while True:
        attempt += 1
        status, body, error = fetch(ep["url"], ep.get("host"), p["timeout"], p["validate_certs"],
                                    p.get("ca_file"), resolve)
        result.update(attempts=attempt, status=status, body=body[:300].strip(), error=error)
        if status == p["expected_status"] and p["expected_body"] in body:
            result["ok"] = True
            break
        if attempt >= p["retries"] and time.time() - start >= budget:
            break
        time.sleep(pause)
        pause = min(pause * 2, p["delay"])
    return result


def describe(r, p):
    got = "connection error: %s" % r["error"] if r["status"] == 0 else "status %s, body %r" % (
        r["status"], r["body"][:120])
    where = r["url"] + (" (Host: %s)" % r["host"] if r["host"] else "")
    return "%s %s: expected %s, got %s after %d attempts" % (
        r["name"], where, expectation(p), got, r["attempts"])


def main(module_class=AnsibleModule):
    spec = argument_spec(
        ENDPOINT_CHECK_OPTIONS,
        delay=dict(type="float", default=1.0),
        timeout=dict(type="float", default=5.0),
        validate_certs=dict(type="bool", default=True),
        ca_file=dict(type="path"),
        resolve=dict(type="list", elements="str", default=[]),
    )
    module = module_class(argument_spec=spec, supports_check_mode=True)
    p = module.params
    if p["retries"] < 1:
        module.fail_json(msg="retries must be at least 1")
    try:
        resolve = parse_resolve(p["resolve"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    eps = p["endpoints"]
    if eps:
        with ThreadPoolExecutor(max_workers=min(16, len(eps))) as pool:
            results = list(pool.map(lambda ep: check(ep, p, resolve), eps))
    else:
        results = []
    exit_with_results(module, results, describe)


if __name__ == "__main__":
    main()
