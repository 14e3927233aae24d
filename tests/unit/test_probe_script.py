"""probe_scripts: the client pods' shell scripts and the readers of what they print.

The readers get logs as the pods print them (busybox wget's messages). The scripts themselves run
here too, against a local HTTP server, with this machine's sh and wget: the pods' busybox has the
same options (-S, -T, -q, -O, --header); its messages differ, so only what both print is checked.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from ansible_collections.kubeha.webapp.plugins.module_utils.probe_scripts import (
    HTTP_PROBE_SCRIPT,
    TRAFFIC_PROBE_SCRIPT,
    parse_probe_output,
    parse_traffic,
    traffic_summary,
)

HTTP_PROBE_LOG = """\
@@|service|1|000|1|0|wget: can't connect to remote host (10.96.14.2): Connection refused|
@@|service|2|503|1|0|wget: server returned error: HTTP/1.1 503 Service Unavailable|not ready
@@|service|3|200|0|1||kubeha-web version=v2 host=webapp
@@|ingress|1|200|0|0||<html>default backend | 404</html>
sh: line 1: /tmp/body: Read-only file system
@@|broken|x|200|0|1||
@@|short|1|200
"""

TRAFFIC_LOG = """\
@@|1|0|wget: bad address 'webapp.webapp.svc:80'
@@|2|0|wget: download timed out
@@|3|1|kubeha-web version=v1
@@|4|0|wget: server returned error: HTTP/1.1 502 Bad Gateway
@@|5|1|kubeha-web version=v2 | banner
Terminated
@@|x|1|
"""


# --------------------------------------------------------------------------- readers


def test_each_attempt_of_the_http_probe_is_read_per_target_in_order():
    out = parse_probe_output(HTTP_PROBE_LOG)
    assert [(a["attempt"], a["status"], a["rc"], a["ok"]) for a in out["service"]] == [
        (1, 0, 1, False), (2, 503, 1, False), (3, 200, 0, True)]
    assert out["service"][0]["error"] == "wget: can't connect to remote host (10.96.14.2): Connection refused"
    assert out["service"][2]["body"] == "kubeha-web version=v2 host=webapp"


def test_a_body_with_a_bar_is_read_whole():
    assert parse_probe_output(HTTP_PROBE_LOG)["ingress"][0]["body"] == "<html>default backend | 404</html>"


def test_lines_that_are_not_whole_attempts_are_left_out():
    assert set(parse_probe_output(HTTP_PROBE_LOG)) == {"service", "ingress"}


def test_each_request_of_the_traffic_probe_is_read_with_its_answer_or_error():
    assert parse_traffic(TRAFFIC_LOG) == [
        (1, False, "wget: bad address 'webapp.webapp.svc:80'"), (2, False, "wget: download timed out"),
        (3, True, "kubeha-web version=v1"), (4, False, "wget: server returned error: HTTP/1.1 502 Bad Gateway"),
        (5, True, "kubeha-web version=v2 | banner")]


def test_failed_requests_are_counted_from_the_first_answer():
    assert traffic_summary(parse_traffic(TRAFFIC_LOG)) == dict(
        requests=3, failed=1, samples=["wget: server returned error: HTTP/1.1 502 Bad Gateway"])


def test_a_probe_that_never_got_an_answer_counts_every_request_and_shows_five():
    lines = [(n, False, "wget: download timed out %d" % n) for n in range(1, 8)]
    assert traffic_summary(lines) == dict(requests=7, failed=7, samples=[ln[2] for ln in lines[:5]])


# --------------------------------------------------------------------------- the scripts, run


@pytest.fixture(scope="module")
def web():
    """An app that answers 503 on /down and to the first 2 requests of /warming, and says which
    Host it was asked for."""
    seen = {}

    def app(environ, start_response):
        path = environ["PATH_INFO"]
        seen[path] = seen.get(path, 0) + 1
        if path == "/down" or (path == "/warming" and seen[path] <= 2):
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"not ready"]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [("kubeha-web version=v1 host=%s" % environ.get("HTTP_HOST")).encode()]

    httpd = make_server("127.0.0.1", 0, app, handler_class=QuietHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % httpd.server_port
    httpd.shutdown()


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def run_script(script, env, timeout=None):
    """Output of a script run as the pod runs it (sh -c), stopped after `timeout` seconds."""
    if not shutil.which("wget"):
        pytest.skip("no wget on this machine")
    env = dict(env, PATH=os.environ["PATH"])
    try:
        return subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True,
                              timeout=timeout).stdout
    except subprocess.TimeoutExpired as exc:  # the traffic probe runs until its pod is deleted
        out = exc.stdout or ""
        return out.decode() if isinstance(out, bytes) else out


@pytest.fixture(scope="module")
def http_probe(web, tmp_path_factory):
    # The pod's writable /tmp is an emptyDir; here, a directory of this test's own.
    script = HTTP_PROBE_SCRIPT.replace("/tmp/", "%s/" % tmp_path_factory.mktemp("probe"))
    targets = ["up|%s/|" % web, "down|%s/down|" % web, "vhost|%s/|web.example" % web,
               "refused|http://127.0.0.1:9/|", "wrongbody|%s/|" % web]
    env = dict(TARGETS="\n".join(targets), ATTEMPTS="2", DELAY="0", REQ_TIMEOUT="2", EXPECT_STATUS="200",
               EXPECT_BODY="version=v1")
    out = parse_probe_output(run_script(script, env, timeout=30))
    wrong = run_script(script, dict(env, TARGETS=targets[-1], EXPECT_BODY="version=v2"), timeout=30)
    out.update(parse_probe_output(wrong))
    return out


def test_the_http_probe_stops_at_the_first_passing_attempt(http_probe):
    (attempt,) = http_probe["up"]
    assert (attempt["status"], attempt["rc"], attempt["ok"]) == (200, 0, True)
    assert attempt["body"].startswith("kubeha-web version=v1")


def test_the_http_probe_tries_a_failing_target_attempts_times_and_reports_its_status(http_probe):
    assert [(a["attempt"], a["status"], a["ok"]) for a in http_probe["down"]] == [(1, 503, False), (2, 503, False)]


def test_the_http_probe_sends_the_targets_host_header(http_probe):
    assert http_probe["vhost"][-1]["body"] == "kubeha-web version=v1 host=web.example"


def test_a_target_that_does_not_answer_has_status_0_and_wgets_error(http_probe):
    last = http_probe["refused"][-1]
    assert (len(http_probe["refused"]), last["status"], last["ok"]) == (2, 0, False)
    assert last["rc"] != 0


def test_an_answer_without_the_expected_body_does_not_pass(http_probe):
    assert [(a["status"], a["ok"]) for a in http_probe["wrongbody"]] == [(200, False), (200, False)]


@pytest.fixture(scope="module")
def traffic(web):
    env = dict(URL=web + "/warming", INTERVAL="0.1", TIMEOUT="2")
    return parse_traffic(run_script(TRAFFIC_PROBE_SCRIPT, env, timeout=1.5))


def test_the_traffic_probe_prints_one_numbered_line_a_request(traffic):
    assert len(traffic) >= 5
    assert [ln[0] for ln in traffic] == list(range(1, len(traffic) + 1))


def test_the_traffic_probe_reports_the_answers_and_counts_failures_after_the_first(traffic):
    assert [ok for _n, ok, _d in traffic[:3]] == [False, False, True]
    assert traffic[2][2].startswith("kubeha-web version=v1")
    assert traffic_summary(traffic)["failed"] == 0


def test_an_answer_without_the_expected_body_is_a_failed_request(web):
    env = dict(URL=web + "/", INTERVAL="0.1", TIMEOUT="2", EXPECT_BODY="version=v2")
    lines = parse_traffic(run_script(TRAFFIC_PROBE_SCRIPT, env, timeout=0.8))
    assert lines and not any(ok for _n, ok, _d in lines)
    assert lines[0][2].startswith("unexpected body: kubeha-web version=v1")
