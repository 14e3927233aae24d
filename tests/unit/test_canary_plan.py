"""canary_plan: the settings of a canary upgrade, the analysis of one step, the figures read from
Traefik's metrics, and the next action."""
from __future__ import annotations

import re

import pytest

from ansible_collections.kubeha.webapp.plugins.module_utils.canary_plan import (
    DEFAULTS,
    FAIL,
    INCONCLUSIVE,
    PASS,
    Sample,
    Thresholds,
    Verdict,
    analysis,
    histogram_quantile,
    parse_text,
    route_service_pattern,
    strategy,
    traefik_sample,
    traefik_sample_all,
)

THRESHOLDS = Thresholds(max_error_rate=0.01, max_p99_ms=500, min_requests=50)
INF = float("inf")


# ---------------------------------------------------------------------------------------------
# Settings


def test_no_settings_take_the_defaults():
    plan, errors = strategy({})
    assert errors == []
    assert plan.steps == [10, 50, 100]
    assert plan.pause_seconds == DEFAULTS["upgrade_canary_pause_seconds"]
    assert plan.thresholds == Thresholds(0.01, 500, 50)


def test_settings_override_the_defaults():
    plan, errors = strategy({"upgrade_canary_steps": [5, 25, 100], "upgrade_canary_pause_seconds": 0,
                             "upgrade_canary_max_error_rate": 0, "upgrade_canary_max_p99_ms": 250.5,
                             "upgrade_canary_min_requests": 0})
    assert errors == []
    assert plan.steps == [5, 25, 100] and plan.pause_seconds == 0
    assert plan.thresholds == Thresholds(0, 250.5, 0)


def test_a_single_step_of_100_is_a_plain_switch_after_one_analysis():
    plan, errors = strategy({"upgrade_canary_steps": [100]})
    assert (plan.steps, errors) == ([100], [])


@pytest.mark.parametrize("steps, error", [
    ([50, 40, 100], "upgrade_canary_steps[1]=40 must be greater than the step before it (50)"),
    ([10, 10, 100], "upgrade_canary_steps[1]=10 must be greater than the step before it (10)"),
    ([10, 50], "upgrade_canary_steps[1]=50: the last step must be 100 (it promotes the canary)"),
    ([0, 100], "upgrade_canary_steps[0]=0 must be a whole percent between 1 and 100"),
    ([10, 150], "upgrade_canary_steps[1]=150 must be a whole percent between 1 and 100"),
    ([10.5, 100], "upgrade_canary_steps[0]=10.5 must be a whole percent between 1 and 100"),
    ([True, 100], "upgrade_canary_steps[0]=True must be a whole percent between 1 and 100"),
    (["10", 100], "upgrade_canary_steps[0]=10 must be a whole percent between 1 and 100"),
    ([], "upgrade_canary_steps must be a non-empty list of weights"),
    ("10,50,100", "upgrade_canary_steps must be a non-empty list of weights"),
])
def test_bad_steps_are_refused_naming_the_step(steps, error):
    plan, errors = strategy({"upgrade_canary_steps": steps})
    assert plan is None
    assert len(errors) == 1 and errors[0].startswith(error), errors


@pytest.mark.parametrize("name, value, error", [
    ("upgrade_canary_pause_seconds", -1, "upgrade_canary_pause_seconds=-1 must be a whole number of seconds >= 0"),
    ("upgrade_canary_pause_seconds", "60", "upgrade_canary_pause_seconds=60 must be a whole number"),
    ("upgrade_canary_max_error_rate", 1.5, "upgrade_canary_max_error_rate=1.5 must be a fraction between 0 and 1"),
    ("upgrade_canary_max_error_rate", -0.1, "upgrade_canary_max_error_rate=-0.1 must be a fraction between 0 and 1"),
    ("upgrade_canary_max_p99_ms", 0, "upgrade_canary_max_p99_ms=0 must be a number of milliseconds > 0"),
    ("upgrade_canary_max_p99_ms", float("nan"), "upgrade_canary_max_p99_ms=nan must be a number of milliseconds > 0"),
    ("upgrade_canary_min_requests", -5, "upgrade_canary_min_requests=-5 must be a whole number >= 0"),
])
def test_bad_thresholds_are_refused_naming_the_setting(name, value, error):
    plan, errors = strategy({name: value})
    assert plan is None
    assert len(errors) == 1 and errors[0].startswith(error), errors


def test_every_wrong_setting_is_reported_at_once():
    _, errors = strategy({"upgrade_canary_steps": [50, 40], "upgrade_canary_pause_seconds": -1,
                          "upgrade_canary_max_p99_ms": -3})
    assert [e.split("=")[0] for e in errors] == [
        "upgrade_canary_steps[1]", "upgrade_canary_pause_seconds", "upgrade_canary_max_p99_ms"]


# ---------------------------------------------------------------------------------------------
# Analysis


def test_a_canary_within_both_thresholds_passes():
    verdict = analysis(Sample(requests=1000, errors=5, p99_ms=120), THRESHOLDS)
    assert verdict.status == PASS
    assert verdict.reason == "canary error rate 0.50% (max 1.00%) and p99 120 ms (max 500 ms) over 1000 requests"


def test_too_many_errors_fail_naming_the_rate_and_the_threshold():
    verdict = analysis(Sample(500, 16, 100), THRESHOLDS)
    assert verdict == Verdict(FAIL, "canary error rate 3.20% (16 of 500 requests) is above max_error_rate 1.00%")


def test_the_stable_figures_are_given_beside_the_canarys():
    verdict = analysis(Sample(500, 16, 100), THRESHOLDS, stable=Sample(4500, 5, 90))
    assert verdict.status == FAIL
    assert verdict.reason.endswith("; stable: 0.11% (5 of 4500)")
    slow = analysis(Sample(500, 0, 900), THRESHOLDS, stable=Sample(4500, 0, 95))
    assert slow == Verdict(FAIL, "canary p99 latency 900 ms is above max_p99_ms 500 ms; stable: 95 ms")


def test_an_error_rate_at_the_threshold_passes():
    assert analysis(Sample(1000, 10, 100), THRESHOLDS).status == PASS


def test_a_slow_canary_fails_naming_the_latency_and_the_threshold():
    assert analysis(Sample(1000, 0, 501), THRESHOLDS) == Verdict(
        FAIL, "canary p99 latency 501 ms is above max_p99_ms 500 ms")


def test_too_few_requests_are_inconclusive_however_slow():
    verdict = analysis(Sample(49, 0, 9000), THRESHOLDS)
    assert verdict == Verdict(INCONCLUSIVE, "the canary served 49 requests, fewer than min_requests (50): nothing to judge yet")


def test_errors_that_min_requests_can_no_longer_absorb_fail_before_min_requests():
    # 1% of 50 is 0.5: with one error, the rate at the 50th request is 2% at best.
    verdict = analysis(Sample(7, 1, None), THRESHOLDS)
    assert verdict == Verdict(FAIL, "canary answered 1 errors in its first 7 requests, more than max_error_rate 1.00% "
                                    "allows over min_requests (50)")
    assert analysis(Sample(7, 2, None), THRESHOLDS._replace(max_error_rate=0.05)).status == INCONCLUSIVE
    assert analysis(Sample(7, 3, None), THRESHOLDS._replace(max_error_rate=0.05)).status == FAIL


def test_no_request_at_all_is_inconclusive_even_without_a_minimum():
    verdict = analysis(Sample(0, 0, None), THRESHOLDS._replace(min_requests=0))
    assert verdict == Verdict(INCONCLUSIVE, "the canary served no request: nothing to judge yet")


def test_errors_fail_even_without_a_latency_figure_but_a_pass_needs_one():
    assert analysis(Sample(100, 50, None), THRESHOLDS).status == FAIL
    assert analysis(Sample(100, 0, None), THRESHOLDS).status == INCONCLUSIVE


# ---------------------------------------------------------------------------------------------
# Prometheus text format and histogram quantiles


def test_the_text_format_is_read_with_labels_escapes_and_special_values():
    samples = parse_text('\n'.join([
        "# HELP traefik_service_requests_total How many HTTP requests processed on a service.",
        "# TYPE traefik_service_requests_total counter",
        'traefik_service_requests_total{code="200",method="GET",protocol="http",service="a@x"} 1027',
        'weird{path="C:\\\\dir\\"q\\"",empty=""} +Inf 1700000000000',
        "no_labels 3.5e2",
        "garbage line",
        "",
    ]))
    assert samples == [
        ("traefik_service_requests_total", {"code": "200", "method": "GET", "protocol": "http", "service": "a@x"}, 1027.0),
        ("weird", {"path": 'C:\\dir"q"', "empty": ""}, INF),
        ("no_labels", {}, 350.0),
    ]


@pytest.mark.parametrize("buckets, expected", [
    # 100 observations, 90 up to 0.1 s, 9 more up to 0.3 s, 1 up to 1.2 s: rank 99 is the last of the 0.3 bucket.
    ([(0.1, 90), (0.3, 99), (1.2, 100), (5.0, 100), (INF, 100)], 0.3),
    # rank 198 of 200 falls in the first bucket, which starts at 0: 198/200 of its width.
    ([(0.2, 200), (INF, 200)], 0.2 * 198 / 200),
    # rank 9.9 of 10: 9.9 - 8 = 1.9 of the 2 observations between 0.3 and 1.2.
    ([(0.1, 5), (0.3, 8), (1.2, 10), (INF, 10)], 0.3 + 0.9 * 1.9 / 2),
    # beyond the highest finite bound: that bound.
    ([(0.1, 1), (0.3, 2), (INF, 100)], 0.3),
    # no observation, one bucket only, no +Inf bucket: no figure.
    ([(0.1, 0), (INF, 0)], None),
    ([(INF, 5)], None),
    ([(0.1, 5), (0.3, 6)], None),
])
def test_quantiles_interpolate_inside_the_bucket_as_prometheus_does(buckets, expected):
    got = histogram_quantile(0.99, buckets)
    assert got == pytest.approx(expected) if expected is not None else got is None


def test_a_first_bucket_halfway_is_interpolated_from_zero():
    assert histogram_quantile(0.5, [(0.2, 10), (INF, 10)]) == pytest.approx(0.1)


def test_counts_that_decrease_with_the_bound_are_made_monotonic():
    # A scrape caught between two bucket increments: 0.3 shows less than 0.1.
    assert histogram_quantile(0.99, [(0.1, 100), (0.3, 99), (INF, 100)]) == pytest.approx(0.1 * 0.99)


def scrape(requests, buckets, service="shop-web-webapp-canary-http-80@kubernetesgateway"):
    """A Traefik metrics page: requests {code: count} and duration buckets {le: count}, with
    another service's series that must not count."""
    lines = ["# TYPE traefik_service_requests_total counter"]
    for code, count in requests.items():
        lines.append('traefik_service_requests_total{code="%s",method="GET",protocol="http",service="%s"} %d'
                     % (code, service, count))
    lines.append('traefik_service_requests_total{code="500",method="GET",protocol="http",service="other@x"} 999')
    lines.append("# TYPE traefik_service_request_duration_seconds histogram")
    for le, count in buckets.items():
        lines.append('traefik_service_request_duration_seconds_bucket{code="200",method="GET",protocol="http",'
                     'service="%s",le="%s"} %d' % (service, le, count))
    lines.append('traefik_service_request_duration_seconds_bucket{code="200",method="GET",protocol="http",'
                 'service="other@x",le="0.1"} 5')
    return "\n".join(lines) + "\n"


SERVICE = "shop-web-webapp-canary-http-80@kubernetesgateway"


def test_a_traefik_sample_is_the_difference_between_two_scrapes():
    before = scrape({"200": 1000, "503": 2}, {"0.1": 900, "0.3": 990, "1.2": 1002, "5": 1002, "+Inf": 1002})
    after = scrape({"200": 1490, "503": 12, "404": 5},
                   {"0.1": 1300, "0.3": 1485, "1.2": 1507, "5": 1507, "+Inf": 1507})
    sample = traefik_sample(before, after, SERVICE)
    # 490 + 10 + 5 requests; 10 errors (5xx; a 404 is the client's); 505 durations, 400 <= 0.1 s,
    # 495 <= 0.3 s: rank 499.95 is 4.95 of the 10 between 0.3 and 1.2.
    assert (sample.requests, sample.errors) == (505, 10)
    assert sample.p99_ms == pytest.approx((0.3 + 0.9 * 4.95 / 10) * 1000)


def test_a_counter_reset_between_scrapes_counts_what_the_new_process_shows():
    before = scrape({"200": 5000}, {"0.1": 5000, "+Inf": 5000})
    after = scrape({"200": 40}, {"0.1": 40, "+Inf": 40})
    sample = traefik_sample(before, after, SERVICE)
    assert (sample.requests, sample.errors) == (40, 0)
    assert sample.p99_ms == pytest.approx(0.1 * 0.99 * 1000)


def test_a_series_that_first_appears_in_the_second_scrape_counts_whole():
    sample = traefik_sample(scrape({"200": 10}, {}), scrape({"200": 10, "502": 3}, {}), SERVICE)
    assert (sample.requests, sample.errors, sample.p99_ms) == (3, 3, None)


def test_a_service_without_traffic_is_an_empty_sample():
    assert traefik_sample("", scrape({}, {}), SERVICE) == Sample(0, 0, None)


# ---------------------------------------------------------------------------------------------
# The service labels of an HTTPRoute's backends, and several Traefik endpoints


# As read off the real cluster: route w-webapp in namespace cx, stable backend first, canary second.
ROUTE = "httproute-cx-w-webapp-gw-kubeha-ingress-public-ep-gw-web-0-321ca3c0590a07c364eb"
STABLE_LABEL = ROUTE + "-svc-cx-w-webapp-0@kubernetesgateway"
CANARY_LABEL = ROUTE + "-svc-cx-w-webapp-canary-1@kubernetesgateway"


def test_the_pattern_of_a_backend_matches_its_real_label_and_not_the_other_tracks():
    stable = route_service_pattern("cx", "w-webapp", "w-webapp")
    canary = route_service_pattern("cx", "w-webapp", "w-webapp-canary")
    assert stable.match(STABLE_LABEL) and not stable.match(CANARY_LABEL)
    assert canary.match(CANARY_LABEL) and not canary.match(STABLE_LABEL)


@pytest.mark.parametrize("label", [
    # another entry point, another rule, another Gateway, the backend at another index
    "httproute-cx-w-webapp-gw-kubeha-ingress-public-ep-gw-websecure-0-321ca3c0590a07c364eb-svc-cx-w-webapp-canary-1@kubernetesgateway",
    "httproute-cx-w-webapp-gw-kubeha-ingress-public-ep-gw-web-3-0a1b2c3d4e5f60718293-svc-cx-w-webapp-canary-1@kubernetesgateway",
    "httproute-cx-w-webapp-gw-other-internal-ep-web-0-321ca3c0590a07c364eb-svc-cx-w-webapp-canary-0@kubernetesgateway",
])
def test_the_pattern_matches_the_route_under_every_gateway_entry_point_and_rule(label):
    assert route_service_pattern("cx", "w-webapp", "w-webapp-canary").match(label)


@pytest.mark.parametrize("label", [
    # the same names in another namespace, another route's backend of the same name, another provider
    CANARY_LABEL.replace("httproute-cx-", "httproute-cy-").replace("-svc-cx-", "-svc-cy-"),
    CANARY_LABEL.replace("httproute-cx-w-webapp-", "httproute-cx-x-webapp-"),
    CANARY_LABEL.replace("@kubernetesgateway", "@kubernetescrd"),
    CANARY_LABEL + "x",
    "x" + CANARY_LABEL,
])
def test_the_pattern_matches_no_other_route_namespace_or_provider(label):
    assert not route_service_pattern("cx", "w-webapp", "w-webapp-canary").match(label)


def test_dots_in_the_names_are_taken_literally():
    label = "httproute-a.b-w.web-gw-a.b-gw-ep-web-0-321ca3c0590a07c364eb-svc-a.b-w.web-0@kubernetesgateway"
    assert route_service_pattern("a.b", "w.web", "w.web").match(label)
    assert not route_service_pattern("a.b", "w.web", "w.web").match(label.replace("w.web", "wXweb"))


def route_scrape(series, buckets=None):
    """A Traefik metrics page: series {(service label, code): count}, buckets {(service label,
    le): count}."""
    lines = ['traefik_service_requests_total{code="%s",method="GET",protocol="http",service="%s"} %d'
             % (code, service, count) for (service, code), count in sorted(series.items())]
    lines += ['traefik_service_request_duration_seconds_bucket{code="200",method="GET",protocol="http",'
              'service="%s",le="%s"} %d' % (service, le, count)
              for (service, le), count in sorted((buckets or {}).items())]
    return "\n".join(lines) + "\n"


WEBSECURE_CANARY = CANARY_LABEL.replace("-ep-gw-web-", "-ep-gw-websecure-")


def test_a_pattern_sums_every_series_it_matches_and_no_other():
    before = route_scrape({(CANARY_LABEL, "200"): 10, (WEBSECURE_CANARY, "200"): 5, (STABLE_LABEL, "500"): 100})
    after = route_scrape({(CANARY_LABEL, "200"): 40, (CANARY_LABEL, "502"): 4, (WEBSECURE_CANARY, "200"): 25,
                          (STABLE_LABEL, "500"): 900})
    canary = traefik_sample(before, after, route_service_pattern("cx", "w-webapp", "w-webapp-canary"))
    assert (canary.requests, canary.errors) == (30 + 4 + 20, 4)
    stable = traefik_sample(before, after, route_service_pattern("cx", "w-webapp", "w-webapp"))
    assert (stable.requests, stable.errors) == (800, 800)


def test_a_pattern_must_match_the_whole_label():
    page = route_scrape({(CANARY_LABEL, "200"): 7})
    assert traefik_sample("", page, re.compile(re.escape(ROUTE))).requests == 0
    assert traefik_sample("", page, re.compile(re.escape(ROUTE) + ".*")).requests == 7


def test_several_endpoints_add_their_requests_and_errors():
    befores = [route_scrape({(CANARY_LABEL, "200"): 100}), route_scrape({(CANARY_LABEL, "200"): 7})]
    afters = [route_scrape({(CANARY_LABEL, "200"): 130, (CANARY_LABEL, "500"): 3}),
              route_scrape({(CANARY_LABEL, "200"): 27, (CANARY_LABEL, "503"): 2})]
    sample = traefik_sample_all(befores, afters, CANARY_LABEL)
    assert (sample.requests, sample.errors, sample.p99_ms) == (30 + 3 + 20 + 2, 5, None)


def test_the_p99_of_several_endpoints_comes_from_their_buckets_added_together():
    def page(counts):
        return route_scrape({}, dict(((CANARY_LABEL, le), n) for le, n in counts.items()))
    # One replica served 100 fast requests, the other 2 slow ones (between 0.3 and 1.2 s).
    fast = page({"0.1": 100, "0.3": 100, "1.2": 100, "+Inf": 100})
    slow = page({"0.1": 0, "0.3": 0, "1.2": 2, "+Inf": 2})
    empty = page({"0.1": 0, "0.3": 0, "1.2": 0, "+Inf": 0})
    merged = traefik_sample_all([empty, empty], [fast, slow], CANARY_LABEL).p99_ms
    # 102 observations, rank 100.98: 0.98 of the 2 between 0.3 and 1.2 s - neither replica's own
    # p99 (99 ms and 1191 ms) nor their mean.
    assert merged == pytest.approx((0.3 + 0.9 * 0.98 / 2) * 1000)
    assert traefik_sample(empty, fast, CANARY_LABEL).p99_ms == pytest.approx(99)
    assert traefik_sample(empty, slow, CANARY_LABEL).p99_ms == pytest.approx(1191)


def test_a_counter_reset_on_one_endpoint_leaves_the_others_alone():
    befores = [route_scrape({(CANARY_LABEL, "200"): 5000}), route_scrape({(CANARY_LABEL, "200"): 5000})]
    afters = [route_scrape({(CANARY_LABEL, "200"): 40}), route_scrape({(CANARY_LABEL, "200"): 5060})]
    assert traefik_sample_all(befores, afters, CANARY_LABEL).requests == 40 + 60


@pytest.mark.parametrize("befores, afters, error", [
    (["", ""], [""], "2 scrapes before but 1 after: every endpoint needs both"),
    (["", None], ["", ""], "endpoint 1 has no scrape before"),
    (["", ""], [None, ""], "endpoint 0 has no scrape after"),
])
def test_a_missing_scrape_is_refused_rather_than_counted_as_no_traffic(befores, afters, error):
    with pytest.raises(ValueError) as raised:
        traefik_sample_all(befores, afters, CANARY_LABEL)
    assert str(raised.value) == error
