"""canary_analysis, the module: its loop run for real against local HTTP servers that answer as
Traefik replicas' metrics endpoints do, each scrape showing the counters after some more traffic.
No cluster; each test takes well under 3 s."""
from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.kubeha.webapp.plugins.modules import canary_analysis
from ansible_collections.kubeha.webapp.plugins.plugin_utils.in_process import InProcessModule, ModuleExit

ROUTE = "httproute-cx-w-webapp-gw-kubeha-ingress-public-ep-gw-web-0-321ca3c0590a07c364eb"
CANARY = ROUTE + "-svc-cx-w-webapp-canary-1@kubernetesgateway"
STABLE = ROUTE + "-svc-cx-w-webapp-0@kubernetesgateway"
# The same route's canary under the websecure entry point: it counts too.
CANARY_WEBSECURE = CANARY.replace("-ep-gw-web-", "-ep-gw-websecure-")
OTHER = "httproute-cx-other-gw-kubeha-ingress-public-ep-gw-web-0-aaaaaaaaaaaaaaaaaaaa-svc-cx-w-webapp-canary-0@kubernetesgateway"
BOUNDS = ["0.1", "0.3", "1.2", "5", "+Inf"]


class Replica:
    """One Traefik replica: every scrape first adds ``per_scrape`` - {service label: (requests
    answered 200, requests answered 500, seconds each took)} - to its counters. A broken one
    answers 500."""

    def __init__(self, per_scrape):
        self.per_scrape = per_scrape
        self.broken = False
        self.requests = {}
        self.buckets = {}
        self.scrapes = 0
        self.lock = threading.Lock()

    def page(self):
        with self.lock:
            self.scrapes += 1
            for service, (ok, errors, seconds) in self.per_scrape.items():
                for code, count in (("200", ok), ("500", errors)):
                    self.requests[(service, code)] = self.requests.get((service, code), 0) + count
                for le in BOUNDS:
                    if float(le) >= seconds:
                        self.buckets[(service, le)] = self.buckets.get((service, le), 0) + ok + errors
                    else:
                        self.buckets.setdefault((service, le), 0)
            lines = ["# HELP traefik_service_requests_total How many HTTP requests processed on a service.",
                     "# TYPE traefik_service_requests_total counter"]
            lines += ['traefik_service_requests_total{code="%s",method="GET",protocol="http",service="%s"} %d'
                      % (code, service, count) for (service, code), count in sorted(self.requests.items())]
            lines.append("# TYPE traefik_service_request_duration_seconds histogram")
            lines += ['traefik_service_request_duration_seconds_bucket{code="200",method="GET",protocol="http",'
                      'service="%s",le="%s"} %d' % (service, le, count)
                      for (service, le), count in sorted(self.buckets.items())]
            return "\n".join(lines) + "\n"


@pytest.fixture
def serve():
    """serve(replica) -> the URL of its /metrics; any other path answers 404."""
    servers = []

    def start(replica):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                if self.path != "/metrics":
                    status, body = 404, b"404 page not found\n"
                elif replica.broken:
                    status, body = 500, b"internal error\n"
                else:
                    status, body = 200, replica.page().encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs=dict(poll_interval=0.05), daemon=True).start()
        servers.append(server)
        return "http://127.0.0.1:%d/metrics" % server.server_address[1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def params(urls, **options):
    p = dict(metrics_urls=urls, namespace="cx", route="w-webapp", canary_service="w-webapp-canary",
             stable_service="w-webapp", max_error_rate=0.01, max_p99_ms=500, min_requests=50,
             pause_seconds=0, interval=0.05, timeout=1.0, metric_prefix="traefik")
    p.update(options)
    return p


def closed_port_url():
    """A URL on 127.0.0.1 where nothing listens."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return "http://127.0.0.1:%d/metrics" % port


def test_errors_fail_fast_well_before_the_pause_is_over(serve):
    replica = Replica({CANARY: (20, 20, 0.05), STABLE: (100, 0, 0.05)})
    result = canary_analysis.run(params([serve(replica)], pause_seconds=20, min_requests=10))
    assert result["status"] == "fail"
    assert result["seconds"] < 1.5
    # the first round after the baseline already shows half the canary's requests failing
    assert result["scrapes"] == 2
    assert result["canary"] == dict(requests=40, errors=20, p99_ms=pytest.approx(99))
    assert result["stable"] == dict(requests=100, errors=0, p99_ms=pytest.approx(99))
    assert result["reason"] == ("canary error rate 50.00% (20 of 40 requests) is above max_error_rate 1.00%; "
                                "stable: 0.00% (0 of 100)")
    assert result["changed"] is False and "failed" not in result


def test_a_slow_canary_fails_fast_too(serve):
    replica = Replica({CANARY: (60, 0, 2.0), STABLE: (100, 0, 0.05)})
    result = canary_analysis.run(params([serve(replica)], pause_seconds=20))
    assert result["status"] == "fail" and result["seconds"] < 1.5
    assert result["reason"].startswith("canary p99 latency 4962 ms is above max_p99_ms 500 ms")


def test_a_healthy_canary_passes_once_the_pause_is_over(serve):
    replica = Replica({CANARY: (30, 0, 0.05), STABLE: (300, 3, 0.05)})
    result = canary_analysis.run(params([serve(replica)], pause_seconds=0.5, interval=0.1))
    assert result["status"] == "pass"
    assert 0.5 <= result["seconds"] < 1.5
    assert result["scrapes"] == replica.scrapes >= 4
    # every round after the baseline counts: all the canary's requests since the baseline
    assert result["canary"]["requests"] == 30 * (result["scrapes"] - 1)
    assert result["stable"]["errors"] == 3 * (result["scrapes"] - 1)
    assert result["reason"].startswith("canary error rate 0.00% (max 1.00%) and p99 99 ms (max 500 ms)")


def test_too_few_requests_hold_the_whole_pause_and_are_inconclusive(serve):
    replica = Replica({CANARY: (1, 0, 0.05)})
    result = canary_analysis.run(params([serve(replica)], pause_seconds=0.3, interval=0.1))
    assert result["status"] == "inconclusive"
    assert result["seconds"] >= 0.3
    assert result["reason"].endswith("fewer than min_requests (50): nothing to judge yet")


def test_the_requests_of_every_endpoint_add_up(serve):
    a = Replica({CANARY: (20, 0, 0.05), CANARY_WEBSECURE: (10, 0, 0.05), OTHER: (500, 500, 9)})
    b = Replica({CANARY: (30, 0, 0.05), STABLE: (70, 7, 0.05)})
    urls = [serve(a), serve(b)]
    result = canary_analysis.run(params(urls))
    assert (result["status"], result["endpoints"], result["scrapes"]) == ("pass", 2, 2)
    assert result["canary"] == dict(requests=60, errors=0, p99_ms=pytest.approx(99))
    assert result["stable"] == dict(requests=77, errors=7, p99_ms=pytest.approx(99))
    # either endpoint alone shows too few requests
    assert canary_analysis.run(params(urls[:1]))["status"] == "inconclusive"
    assert canary_analysis.run(params(urls[1:]))["status"] == "inconclusive"


def test_the_p99_of_several_endpoints_is_that_of_their_requests_together(serve):
    # 99 fast requests on one replica, 3 of 2 s on the other: 102 durations, rank 100.98 falls
    # between 1.2 and 5 s (1.98 of its 3) - the slow replica alone would say 4.9 s.
    fast, slow = Replica({CANARY: (99, 0, 0.05)}), Replica({CANARY: (3, 0, 2.0)})
    result = canary_analysis.run(params([serve(fast), serve(slow)]))
    assert result["canary"] == dict(requests=102, errors=0, p99_ms=pytest.approx((1.2 + 3.8 * 1.98 / 3) * 1000))
    assert result["status"] == "fail"


def test_an_unreachable_endpoint_fails_the_task_naming_it(serve):
    good, dead = serve(Replica({CANARY: (60, 0, 0.05)})), closed_port_url()
    result = canary_analysis.run(params([good, dead]))
    assert result["failed"] is True and "status" not in result
    assert result["msg"].startswith("cannot scrape Traefik's metrics: %s: connection error: " % dead)
    assert good not in result["msg"]


def test_an_endpoint_that_does_not_answer_200_fails_the_task_naming_it(serve):
    wrong = serve(Replica({})).replace("/metrics", "/nope")
    result = canary_analysis.run(params([wrong]))
    assert result["failed"] is True
    assert result["msg"] == "cannot scrape Traefik's metrics: %s: status 404" % wrong


def test_an_endpoint_lost_during_the_pause_fails_the_task_rather_than_counting_nothing(serve):
    replica = Replica({CANARY: (1, 0, 0.05)})
    url = serve(replica)
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 2:
            replica.broken = True  # the round after next finds the replica broken
    result = canary_analysis.run(params([url], pause_seconds=5), sleep=sleep)
    assert result["failed"] is True and result["scrapes"] == 3
    assert result["msg"] == "cannot scrape Traefik's metrics: %s: status 500" % url


def test_check_mode_scrapes_nothing(serve):
    replica = Replica({CANARY: (60, 0, 0.05)})
    result = canary_analysis.run(params([serve(replica)], pause_seconds=5), check_mode=True)
    assert (result["status"], result["reason"]) == ("inconclusive", "check mode: no analysis")
    assert (result["scrapes"], replica.scrapes, result["endpoints"]) == (0, 0, 1)


def run_main(args, check_mode=False):
    def module_class(argument_spec, **kwargs):
        return InProcessModule(argument_spec, args, "kubeha.webapp.canary_analysis", check_mode=check_mode, **kwargs)
    with pytest.raises(ModuleExit) as done:
        canary_analysis.main(module_class=module_class)
    return done.value.result


def test_the_module_takes_the_documented_defaults(serve):
    url = serve(Replica({CANARY: (60, 0, 0.05)}))
    result = run_main(dict(metrics_urls=[url], namespace="cx", route="w-webapp",
                           canary_service="w-webapp-canary", stable_service="w-webapp", pause_seconds=0))
    assert (result["status"], result["changed"]) == ("pass", False)
    args = result["invocation"]["module_args"]
    assert {k: v for k, v in args.items() if k not in canary_analysis.K8S_AUTH_OPTIONS} == dict(
        metrics_urls=[url], namespace="cx", route="w-webapp", on_fail_patch=[],
        canary_service="w-webapp-canary", stable_service="w-webapp", pause_seconds=0.0, max_error_rate=0.01,
        max_p99_ms=500.0, min_requests=50, interval=1.0, timeout=3.0, metric_prefix="traefik")
    assert result["patched"] is False


def test_a_missing_option_is_refused_naming_it():
    result = run_main(dict(metrics_urls=["http://127.0.0.1:1/metrics"], namespace="cx", route="w-webapp",
                           canary_service="w-webapp-canary", stable_service="w-webapp"))
    assert result["failed"] is True
    assert result["msg"] == "missing required arguments: pause_seconds"


@pytest.mark.parametrize("options, msg", [
    (dict(metrics_urls=[]), "metrics_urls must list the metrics endpoint of every Traefik replica (it is empty)"),
    (dict(route=""), "route must not be empty"),
    (dict(max_error_rate=2.0), "max_error_rate=2.0 must be a fraction between 0 and 1 (0.01: 1% of requests)"),
    (dict(max_p99_ms=0.0), "max_p99_ms=0.0 must be a number of milliseconds > 0"),
    (dict(min_requests=-1), "min_requests=-1 must be >= 0"),
    (dict(pause_seconds=-1.0), "pause_seconds=-1.0 must be a number of seconds >= 0"),
    (dict(pause_seconds=float("inf")), "pause_seconds=inf must be a number of seconds >= 0"),
    (dict(interval=0.0), "interval=0.0 must be a number of seconds > 0"),
    (dict(timeout=-3.0), "timeout=-3.0 must be a number of seconds > 0"),
])
def test_wrong_options_fail_the_task_naming_the_option_even_in_check_mode(options, msg):
    result = run_main(dict(params(["http://127.0.0.1:1/metrics"]), **options), check_mode=True)
    assert result["failed"] is True
    assert result["msg"] == msg


def test_a_fail_verdict_takes_the_traffic_off_the_canary_before_the_module_returns(serve):
    moves = []
    replica = Replica({CANARY: (20, 20, 0.05), STABLE: (100, 0, 0.05)})
    result = canary_analysis.run(params([serve(replica)], pause_seconds=20, min_requests=10),
                                 on_fail=lambda: moves.append("route patched"))
    assert result["status"] == "fail" and moves == ["route patched"]
    assert result["patched"] is True and result["changed"] is True


def test_a_passing_canary_keeps_its_traffic(serve):
    moves = []
    replica = Replica({CANARY: (30, 0, 0.05), STABLE: (300, 0, 0.05)})
    result = canary_analysis.run(params([serve(replica)], pause_seconds=0.2, interval=0.1),
                                 on_fail=lambda: moves.append("route patched"))
    assert result["status"] == "pass" and moves == [] and result["patched"] is False


def test_a_patch_the_api_refused_is_said_and_left_to_the_caller(serve):
    replica = Replica({CANARY: (20, 20, 0.05), STABLE: (100, 0, 0.05)})
    result = canary_analysis.run(params([serve(replica)], pause_seconds=20, min_requests=10),
                                 on_fail=lambda: "forbidden by RBAC (HTTPRoute w-webapp): cannot patch")
    assert result["status"] == "fail" and result["patched"] is False and result["changed"] is False
    assert result["patch_error"] == "forbidden by RBAC (HTTPRoute w-webapp): cannot patch"
