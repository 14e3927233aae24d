# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The decisions of a canary upgrade, with no I/O: the strategy's settings, one analysis of the
canary's traffic against thresholds, the traffic figures of one service read from two scrapes of
each Prometheus-format endpoint (one per Traefik replica, summed). What follows a verdict is the
upgrade role's (roles/upgrade/tasks/canary_step.yml): a pass moves on, a fail aborts, an
inconclusive step is held again up to upgrade_canary_max_inconclusive times.

A canary upgrade moves the chart's ``canary.weight`` through ``upgrade_canary_steps`` (percent of
the traffic), holds each step ``upgrade_canary_pause_seconds`` and judges the canary's requests
of that pause; the last step (100) promotes. A failed analysis aborts: the weight goes to 0 first,
so no request reaches the canary any more, and only then is the canary removed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import re
from collections import namedtuple

# The figures of one track over one pause: requests served, how many were errors (5xx), and the
# 99th percentile of their duration in milliseconds (None when unknown).
Sample = namedtuple("Sample", ["requests", "errors", "p99_ms"])

Thresholds = namedtuple("Thresholds", ["max_error_rate", "max_p99_ms", "min_requests"])

Strategy = namedtuple("Strategy", ["steps", "pause_seconds", "thresholds"])

# status: pass, fail or inconclusive; reason: a sentence naming the figures and the thresholds.
Verdict = namedtuple("Verdict", ["status", "reason"])

PASS, FAIL, INCONCLUSIVE = "pass", "fail", "inconclusive"

DEFAULTS = {
    "upgrade_canary_steps": [10, 50, 100],
    "upgrade_canary_pause_seconds": 60,
    "upgrade_canary_max_error_rate": 0.01,
    "upgrade_canary_max_p99_ms": 500,
    "upgrade_canary_min_requests": 50,
}


def _number(value):
    """An int or float (not a bool, not a numeric string: settings come typed from YAML)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not (
        isinstance(value, float) and (math.isnan(value) or math.isinf(value)))


def _integer(value):
    return _number(value) and float(value) == int(value)


def _steps_errors(steps):
    name = "upgrade_canary_steps"
    if not isinstance(steps, (list, tuple)) or not steps:
        return ["%s must be a non-empty list of weights (percent of the traffic), the last one 100" % name]
    errors = []
    for i, step in enumerate(steps):
        if not _integer(step) or not 1 <= step <= 100:
            errors.append("%s[%d]=%s must be a whole percent between 1 and 100" % (name, i, step))
        elif i and _integer(steps[i - 1]) and step <= steps[i - 1]:
            errors.append("%s[%d]=%s must be greater than the step before it (%s)" % (name, i, step, steps[i - 1]))
    if not errors and steps[-1] != 100:
        errors.append("%s[%d]=%s: the last step must be 100 (it promotes the canary)" % (name, len(steps) - 1, steps[-1]))
    return errors


def strategy(settings):
    """(Strategy, errors) from the ``upgrade_canary_*`` settings (missing ones take DEFAULTS).
    Each error names the setting; the Strategy is None when there is any."""
    s = dict(DEFAULTS)
    s.update(dict((k, v) for k, v in (settings or {}).items() if v is not None))
    errors = _steps_errors(s["upgrade_canary_steps"])
    pause = s["upgrade_canary_pause_seconds"]
    if not _integer(pause) or pause < 0:
        errors.append("upgrade_canary_pause_seconds=%s must be a whole number of seconds >= 0" % (pause,))
    rate = s["upgrade_canary_max_error_rate"]
    if not _number(rate) or not 0 <= rate <= 1:
        errors.append("upgrade_canary_max_error_rate=%s must be a fraction between 0 and 1 (0.01: 1%% of requests)" % (rate,))
    p99 = s["upgrade_canary_max_p99_ms"]
    if not _number(p99) or p99 <= 0:
        errors.append("upgrade_canary_max_p99_ms=%s must be a number of milliseconds > 0" % (p99,))
    minimum = s["upgrade_canary_min_requests"]
    if not _integer(minimum) or minimum < 0:
        errors.append("upgrade_canary_min_requests=%s must be a whole number >= 0" % (minimum,))
    if errors:
        return None, errors
    return Strategy(list(s["upgrade_canary_steps"]), int(pause), Thresholds(rate, p99, int(minimum))), []


def _percent(rate):
    return "%.2f%%" % (100.0 * rate)


def analysis(canary, thresholds, stable=None):
    """The Verdict on the canary's Sample of one pause. ``stable``, the stable track's Sample of
    the same pause, only adds its figures to the reason (traffic the stable track fails too
    points at a cause outside the canary; the canary still did not prove itself)."""
    if canary.requests <= 0:
        return Verdict(INCONCLUSIVE, "the canary served no request: nothing to judge yet")
    if canary.requests < thresholds.min_requests:
        # Errors only add up: more than the threshold allows over min_requests requests, and the
        # verdict at min_requests is already known. Waiting for it would only serve more errors.
        if canary.errors > thresholds.max_error_rate * thresholds.min_requests:
            return Verdict(FAIL, "canary answered %d errors in its first %d requests, more than max_error_rate %s "
                           "allows over min_requests (%d)" % (canary.errors, canary.requests,
                                                              _percent(thresholds.max_error_rate), thresholds.min_requests))
        return Verdict(INCONCLUSIVE, "the canary served %d requests, fewer than min_requests (%d): nothing to judge yet"
                       % (canary.requests, thresholds.min_requests))
    rate = float(canary.errors) / canary.requests
    if rate > thresholds.max_error_rate:
        reason = "canary error rate %s (%d of %d requests) is above max_error_rate %s" % (
            _percent(rate), canary.errors, canary.requests, _percent(thresholds.max_error_rate))
        if stable is not None and stable.requests > 0:
            reason += "; stable: %s (%d of %d)" % (
                _percent(float(stable.errors) / stable.requests), stable.errors, stable.requests)
        return Verdict(FAIL, reason)
    if canary.p99_ms is None:
        return Verdict(INCONCLUSIVE, "no latency figure for the canary's %d requests (no duration histogram)" % canary.requests)
    if canary.p99_ms > thresholds.max_p99_ms:
        reason = "canary p99 latency %.0f ms is above max_p99_ms %g ms" % (canary.p99_ms, thresholds.max_p99_ms)
        if stable is not None and stable.p99_ms is not None:
            reason += "; stable: %.0f ms" % stable.p99_ms
        return Verdict(FAIL, reason)
    return Verdict(PASS, "canary error rate %s (max %s) and p99 %.0f ms (max %g ms) over %d requests" % (
        _percent(rate), _percent(thresholds.max_error_rate), canary.p99_ms, thresholds.max_p99_ms, canary.requests))


# ---------------------------------------------------------------------------------------------
# Prometheus text format (https://prometheus.io/docs/instrumenting/exposition_formats/)

_LINE_RE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})?\s+(?P<value>\S+)(?:\s+\S+)?\s*$")
_LABEL_RE = re.compile(r'\s*(?P<key>[a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"(?P<value>(?:[^"\\]|\\.)*)"\s*,?')
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


def _unescape(text):
    return re.sub(r'\\[\\"n]', lambda m: _UNESCAPE[m.group(0)], text)


def parse_text(text):
    """The samples of a text-format scrape: a list of (name, labels dict, float value). Comments,
    blank lines and lines that are not samples are skipped."""
    samples = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = _LINE_RE.match(line)
        if not m:
            continue
        labels = {}
        for lm in _LABEL_RE.finditer(m.group("labels") or ""):
            labels[lm.group("key")] = _unescape(lm.group("value"))
        try:
            value = float(m.group("value"))
        except ValueError:
            continue
        samples.append((m.group("name"), labels, value))
    return samples


def _holds(labels, match):
    """Whether labels hold every (key, value) of ``match``; a value may be a compiled pattern,
    which must match the whole label value."""
    for key, wanted in match.items():
        value = labels.get(key)
        if hasattr(wanted, "match"):
            found = value is not None and wanted.match(value)
            if not found or found.end() != len(value):
                return False
        elif value != wanted:
            return False
    return True


def _series(samples, name, match):
    """{frozenset of labels: value} of the samples of one metric whose labels hold ``match``."""
    found = {}
    for sample_name, labels, value in samples:
        if sample_name == name and _holds(labels, match):
            found[frozenset(labels.items())] = value
    return found


def _increase(before, after):
    """Per series, what a counter gained between two scrapes; a counter that went down was reset
    (its process restarted) and gained what it shows now, as Prometheus's increase() takes it."""
    gained = {}
    for key, now in after.items():
        then = before.get(key, 0.0)
        gained[key] = now - then if now >= then else now
    return gained


def histogram_quantile(q, buckets):
    """The q-quantile of cumulative buckets [(upper bound, count)], as Prometheus's
    histogram_quantile computes it: linear interpolation inside the bucket the rank falls in
    (the first bucket starts at 0), the highest finite bound when it falls in +Inf. None when
    there is no observation or fewer than two buckets."""
    buckets = sorted(buckets)
    if len(buckets) < 2 or not math.isinf(buckets[-1][0]):
        return None
    # Counts must not decrease with the bound (scrapes of one histogram are not atomic).
    counts, highest = [], 0.0
    for dummy_bound, count in buckets:
        highest = max(highest, count)
        counts.append(highest)
    total = counts[-1]
    if total <= 0:
        return None
    rank = q * total
    i = next(n for n, count in enumerate(counts) if count >= rank)
    if i == len(buckets) - 1:
        return buckets[-2][0]
    start, below = (buckets[i - 1][0], counts[i - 1]) if i > 0 else (0.0, 0.0)
    end, count = buckets[i][0], counts[i]
    if i == 0 and end <= 0:
        return end
    return start + (end - start) * (rank - below) / (count - below)


def route_service_pattern(namespace, route, service):
    """The compiled pattern of the service labels Traefik 3's kubernetesgateway provider gives the
    backend ``service`` of the HTTPRoute ``route`` in ``namespace``: ``httproute-<namespace>-
    <route>-gw-<gateway namespace>-<gateway>-ep-<entry point>-<rule>-<hash>-svc-<namespace>-
    <service>-<backendRef index>@kubernetesgateway``, under any Gateway, entry point and rule.
    The digits before the ``@`` keep ``svc-ns-web-0`` apart from ``svc-ns-web-canary-1``.
    Traefik joins the names with dashes, so a second route of the namespace named
    ``<route>-gw-...`` with a backend of the same name would match as well."""
    return re.compile(r"httproute-%s-%s-gw-.+-ep-.+-[0-9]+-[0-9a-f]+-svc-%s-%s-[0-9]+@kubernetesgateway\Z" % (
        re.escape(namespace), re.escape(route), re.escape(namespace), re.escape(service)))


def traefik_sample_all(befores, afters, service, prefix="traefik"):
    """The Sample of one Traefik service over several endpoints (one per Traefik replica, each
    counting only the requests it proxied), from a scrape of each before and one after, in the
    same order: requests and errors summed, the p99 computed from the duration buckets of every
    endpoint added together (quantiles of parts do not add up to the quantile of the whole).
    ``service`` is the service label's value, or a compiled pattern (route_service_pattern) that
    must match the whole label: every matching series counts. A missing scrape (None, or fewer
    scrapes after than before) raises ValueError: an endpoint that could not be read is not an
    endpoint that served nothing."""
    befores, afters = list(befores), list(afters)
    if len(befores) != len(afters):
        raise ValueError("%d scrapes before but %d after: every endpoint needs both" % (len(befores), len(afters)))
    match = {"service": service}
    requests_name = prefix + "_service_requests_total"
    buckets_name = prefix + "_service_request_duration_seconds_bucket"
    total, errors, by_bound = 0.0, 0.0, {}
    for i, (before, after) in enumerate(zip(befores, afters)):
        if before is None or after is None:
            raise ValueError("endpoint %d has no scrape %s" % (i, "before" if before is None else "after"))
        old, new = parse_text(before), parse_text(after)
        requests = _increase(_series(old, requests_name, match), _series(new, requests_name, match))
        total += sum(requests.values())
        errors += sum(v for key, v in requests.items() if dict(key).get("code", "").startswith("5"))
        gained = _increase(_series(old, buckets_name, match), _series(new, buckets_name, match))
        for key, value in gained.items():
            bound = float(dict(key).get("le", "nan"))
            if not math.isnan(bound):
                by_bound[bound] = by_bound.get(bound, 0.0) + value
    p99 = histogram_quantile(0.99, list(by_bound.items()))
    return Sample(int(round(total)), int(round(errors)), None if p99 is None else p99 * 1000.0)


def traefik_sample(before, after, service, prefix="traefik"):
    """The Sample of one Traefik service between two scrapes (text format) of Traefik's metrics:
    ``<prefix>_service_requests_total`` (labels code, method, protocol, service) gives requests
    and errors (code 5xx), ``<prefix>_service_request_duration_seconds_bucket`` the p99 over
    every code and method. ``service`` is the value of Traefik's service label, or a compiled
    pattern matching the whole label (every matching series counts); for an HTTPRoute's
    backend, Traefik 3's kubernetesgateway provider names it ``httproute-<namespace>-<route>-gw-
    <gateway namespace>-<gateway>-ep-<entry point>-<rule>-<hash>-svc-<namespace>-<service>-<n>
    @kubernetesgateway`` (read off the local cluster's Traefik, tests/cluster/test_demo_images.py;
    route_service_pattern matches them). One endpoint only: traefik_sample_all for several."""
    return traefik_sample_all([before], [after], service, prefix)
