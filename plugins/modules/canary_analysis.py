#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: canary_analysis
short_description: Judge one step of a canary upgrade from Traefik's metrics, failing fast
version_added: 1.0.0
description:
  - Scrapes every Traefik metrics endpoint in I(metrics_urls) once (the baseline), then again
    every I(interval) seconds, and judges the requests the canary backend of the HTTPRoute
    I(route) served since the baseline against I(max_error_rate), I(max_p99_ms) and
    I(min_requests).
  - Each Traefik replica counts only the requests it proxied, so every replica's endpoint must be
    listed; requests and errors (5xx) are summed over them and the p99 latency is computed from
    their duration buckets added together.
  - Returns at once on a C(fail) verdict, so the caller can take the traffic back to the stable
    track within seconds; otherwise holds for I(pause_seconds) and returns the last verdict
    (C(pass) or C(inconclusive)).
  - A failing verdict does not fail the task (the caller decides what to do with it); the task
    fails only for wrong options or when an endpoint cannot be scraped (connection error, a
    status other than 200), naming the endpoint and the error.
  - Reads the metrics with plain C(GET) requests, no proxy. Changes nothing, unless
    I(on_fail_patch) is given - then a C(fail) verdict applies that JSON patch to the HTTPRoute
    I(route) at once, before the module returns (the abort's first move, a few tenths of a second
    sooner than a task of its own could make it); the only Kubernetes access it needs is C(patch)
    on that route.
  - In check mode, scrapes nothing and returns C(inconclusive).
extends_documentation_fragment:
  - kubeha.webapp.options.k8s_auth
options:
  on_fail_patch:
    description:
      - A JSON patch (RFC 6902, a list of operations) of the HTTPRoute I(route), applied as soon as
        the verdict is C(fail) - the one that takes every request off the canary
        (P(kubeha.webapp.canary_route_patch#filter)). Its C(test) operations refuse a route changed
        since the patch was made. A patch the API refuses does not fail the task; RV(patch_error)
        says why and the caller applies its own.
    type: list
    elements: dict
    default: []
  metrics_urls:
    description:
      - Prometheus text-format endpoints of every Traefik replica, such as
        C(http://10.42.0.7:8082/metrics).
    type: list
    elements: str
    required: true
  namespace:
    description: Namespace of the HTTPRoute and of its backend Services.
    type: str
    required: true
  route:
    description: Name of the HTTPRoute that splits the traffic between the two tracks.
    type: str
    required: true
  canary_service:
    description: Name of the canary track's Service, a backend of I(route).
    type: str
    required: true
  stable_service:
    description:
      - Name of the stable track's Service, a backend of I(route). Its figures are returned and
        given beside the canary's in a failing verdict's reason; they never decide the verdict.
    type: str
    required: true
  max_error_rate:
    description: Highest fraction of the canary's requests that may be errors (5xx) - 0.01 is 1%.
    type: float
    default: 0.01
  max_p99_ms:
    description: Highest 99th percentile of the canary's request durations, in milliseconds.
    type: float
    default: 500
  min_requests:
    description: Fewest canary requests a verdict other than C(inconclusive) needs.
    type: int
    default: 50
  pause_seconds:
    description: Seconds the step is held and judged, from the baseline scrape.
    type: float
    required: true
  interval:
    description: Seconds between two rounds of scrapes.
    type: float
    default: 1.0
  timeout:
    description: Seconds one scrape may take.
    type: float
    default: 3.0
  metric_prefix:
    description: Prefix of Traefik's metric names (its C(metrics.prometheus) namespace).
    type: str
    default: traefik
author:
  - kubeha maintainers (@kubeha)
"""

EXAMPLES = r"""
- name: Judge the canary at this step
  kubeha.webapp.canary_analysis:
    metrics_urls:
      - http://10.42.0.7:8082/metrics
      - http://10.42.1.9:8082/metrics
    namespace: shop
    route: web-webapp
    canary_service: web-webapp-canary
    stable_service: web-webapp
    pause_seconds: 60
    max_error_rate: 0.01
    max_p99_ms: 500
    min_requests: 50
  register: step_analysis
"""

RETURN = r"""
status:
  description: The verdict - C(pass), C(fail) or C(inconclusive) (too few requests, or no latency figure).
  returned: success
  type: str
  sample: fail
reason:
  description: A sentence naming the figures and the thresholds behind the verdict.
  returned: success
  type: str
  sample: canary error rate 3.20% (16 of 500 requests) is above max_error_rate 1.00%
canary:
  description: The canary's figures since the baseline - requests, errors, p99_ms (null when unknown).
  returned: success
  type: dict
  sample: {requests: 500, errors: 16, p99_ms: 120.5}
stable:
  description: The stable track's figures since the baseline - requests, errors, p99_ms.
  returned: success
  type: dict
  sample: {requests: 4500, errors: 5, p99_ms: 95.0}
seconds:
  description: Seconds from the baseline scrape to the verdict.
  returned: always
  type: float
scrapes:
  description: Rounds of scrapes of every endpoint, the baseline included (0 in check mode).
  returned: always
  type: int
endpoints:
  description: How many metrics endpoints were scraped each round.
  returned: always
  type: int
patched:
  description: Whether I(on_fail_patch) was applied to the route (a C(fail) verdict).
  returned: always
  type: bool
patch_error:
  description: Why the API refused I(on_fail_patch), when it did.
  returned: when the patch was refused
  type: str
"""

import math
import socket
import time
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_client import api_client, call_json
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_errors import describe_error
from ansible_collections.kubeha.webapp.plugins.module_utils.options import K8S_AUTH_OPTIONS, argument_spec
from ansible_collections.kubeha.webapp.plugins.module_utils.routes import HTTPROUTE_PATH
from ansible_collections.kubeha.webapp.plugins.module_utils.canary_plan import (
    FAIL,
    INCONCLUSIVE,
    Sample,
    Thresholds,
    analysis,
    route_service_pattern,
    traefik_sample_all,
)
from urllib.error import HTTPError, URLError
from urllib.request import ProxyHandler, Request, build_opener


class ScrapeError(Exception):
    """Endpoints that could not be read: each URL and what went wrong."""


def scrape(url, timeout):
    """The text of one metrics endpoint; ScrapeError naming the URL unless it answers 200."""
    # No proxy: the endpoints are pod addresses, reached directly.
    opener = build_opener(ProxyHandler({}))
    status, body, error = None, b"", None
    try:
        resp = opener.open(Request(url, headers={"User-Agent": "kubeha.webapp.canary_analysis"}),
                           timeout=timeout)
        try:
            status, body = resp.getcode(), resp.read()
        finally:
            resp.close()
    except HTTPError as exc:
        exc.close()
        status = exc.code
    except URLError as exc:
        error = "connection error: %s" % (exc.reason,)
    except socket.timeout:
        error = "no answer within %s s" % timeout
    except Exception as exc:
        error = "%s: %s" % (type(exc).__name__, exc)
    if error is None and status != 200:
        error = "status %s" % status
    if error is not None:
        raise ScrapeError("%s: %s" % (url, error))
    return body.decode("utf-8", "replace")


def option_errors(p):
    """One message per option that cannot be used, naming it."""
    errors = []
    if not p["metrics_urls"]:
        errors.append("metrics_urls must list the metrics endpoint of every Traefik replica (it is empty)")
    for name in ("namespace", "route", "canary_service", "stable_service"):
        if not p[name]:
            errors.append("%s must not be empty" % name)
    if not 0 <= p["max_error_rate"] <= 1:
        errors.append("max_error_rate=%s must be a fraction between 0 and 1 (0.01: 1%% of requests)" % p["max_error_rate"])
    if not p["max_p99_ms"] > 0:
        errors.append("max_p99_ms=%s must be a number of milliseconds > 0" % p["max_p99_ms"])
    if p["min_requests"] < 0:
        errors.append("min_requests=%s must be >= 0" % p["min_requests"])
    for name, least in (("pause_seconds", ">= 0"), ("interval", "> 0"), ("timeout", "> 0")):
        value = p[name]
        if math.isnan(value) or math.isinf(value) or value < 0 or (value == 0 and least == "> 0"):
            errors.append("%s=%s must be a number of seconds %s" % (name, value, least))
    return errors


def figures(sample):
    return dict(requests=sample.requests, errors=sample.errors, p99_ms=sample.p99_ms)


def run(p, check_mode=False, clock=time.monotonic, sleep=time.sleep, on_fail=None):
    """The module's result for the options ``p``: failed (with msg) for wrong options or an
    endpoint that cannot be scraped, the verdict otherwise. ``on_fail()``, when given, runs at a
    fail verdict before the result is returned, and returns the error that kept it from
    taking effect (None when it did)."""
    urls = p["metrics_urls"] or []
    result = dict(changed=False, seconds=0.0, scrapes=0, endpoints=len(urls), patched=False)
    errors = option_errors(p)
    if errors:
        result.update(failed=True, msg="; ".join(errors))
        return result
    if check_mode:
        empty = figures(Sample(0, 0, None))
        result.update(status=INCONCLUSIVE, reason="check mode: no analysis", canary=empty, stable=dict(empty))
        return result
    thresholds = Thresholds(p["max_error_rate"], p["max_p99_ms"], p["min_requests"])
    canary_label = route_service_pattern(p["namespace"], p["route"], p["canary_service"])
    stable_label = route_service_pattern(p["namespace"], p["route"], p["stable_service"])

    with ThreadPoolExecutor(max_workers=min(16, len(urls))) as pool:
        def scrape_all():
            # Every endpoint at once; every one that cannot be read named.
            futures = [pool.submit(scrape, url, p["timeout"]) for url in urls]
            pages, failures = [], []
            for future in futures:
                try:
                    pages.append(future.result())
                except ScrapeError as exc:
                    failures.append(str(exc))
            result["scrapes"] += 1
            if failures:
                raise ScrapeError("; ".join(failures))
            return pages

        start = clock()
        verdict = canary = stable = None
        try:
            befores = scrape_all()
            deadline = start + p["pause_seconds"]
            while True:
                sleep(max(0.0, min(p["interval"], deadline - clock())))
                afters = scrape_all()
                canary = traefik_sample_all(befores, afters, canary_label, p["metric_prefix"])
                stable = traefik_sample_all(befores, afters, stable_label, p["metric_prefix"])
                verdict = analysis(canary, thresholds, stable)
                if verdict.status == FAIL or clock() >= deadline:
                    break
        except ScrapeError as exc:
            result.update(failed=True, seconds=clock() - start,
                          msg="cannot scrape Traefik's metrics: %s" % exc)
            return result
    seconds = clock() - start
    if verdict.status == FAIL and on_fail is not None:
        error = on_fail()
        result.update(patched=error is None, changed=error is None)
        if error is not None:
            result["patch_error"] = error
    result.update(status=verdict.status, reason=verdict.reason, canary=figures(canary),
                  stable=figures(stable), seconds=seconds)
    return result


def route_patcher(module):
    """What applies on_fail_patch to the route: None when there is no patch."""
    p = module.params
    if not p["on_fail_patch"]:
        return None
    path = HTTPROUTE_PATH % (p["namespace"], p["route"])

    def patch():
        try:
            call_json(api_client(module), "PATCH", path, body=p["on_fail_patch"],
                      content_type="application/json-patch+json", timeout=5)
        except Exception as exc:  # ApiError, a kubeconfig that cannot be used, transport errors
            return describe_error(exc, what="HTTPRoute %s" % p["route"])
        return None
    return patch


def main(module_class=AnsibleModule):
    module = module_class(
        argument_spec=argument_spec(
            K8S_AUTH_OPTIONS,
            on_fail_patch=dict(type="list", elements="dict", default=[]),
            metrics_urls=dict(type="list", elements="str", required=True),
            namespace=dict(type="str", required=True),
            route=dict(type="str", required=True),
            canary_service=dict(type="str", required=True),
            stable_service=dict(type="str", required=True),
            max_error_rate=dict(type="float", default=0.01),
            max_p99_ms=dict(type="float", default=500),
            min_requests=dict(type="int", default=50),
            pause_seconds=dict(type="float", required=True),
            interval=dict(type="float", default=1.0),
            timeout=dict(type="float", default=3.0),
            metric_prefix=dict(type="str", default="traefik"),
        ),
        supports_check_mode=True,
    )
    result = run(module.params, check_mode=module.check_mode, on_fail=route_patcher(module))
    if result.get("failed"):
        result.pop("failed")
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
