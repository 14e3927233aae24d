"""kubeha.webapp.http_check retries a path that needs a moment (first pauses short) without
giving up sooner than its retries x delay budget; run as a module on a loopback server."""
from __future__ import annotations

import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from playlib import ROOT, VENV_BIN, ansible_env


@pytest.fixture
def server():
    """Answers 503 to the first `fail_first` requests, then 200 "version=v1"."""
    state = {"fail_first": 0, "seen": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            state["seen"] += 1
            ok = state["seen"] > state["fail_first"]
            body = b"kubeha-web version=v1" if ok else b"not ready"
            self.send_response(200 if ok else 503)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield state, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


def http_check(url: str, retries: int, delay: float) -> dict:
    args = json.dumps(dict(endpoints=[dict(name="nodeport", url=url)], expected_body="version=v1",
                           retries=retries, delay=delay, timeout=2, fail_on_error=False))
    p = subprocess.run([str(VENV_BIN / "ansible"), "localhost", "-m", "kubeha.webapp.http_check",
                        "-a", args, "-o"], cwd=ROOT / "playbooks", env=ansible_env(),
                       capture_output=True, text=True, timeout=120)
    assert "=>" in p.stdout, p.stdout + p.stderr
    return json.loads(p.stdout.split("=>", 1)[1])


def test_a_path_that_needs_a_moment_passes_before_the_retry_budget_is_spent(server):
    state, url = server
    state["fail_first"] = 3
    # Two attempts 3 s apart would fail; the short first pauses reach the fourth request.
    res = http_check(url, retries=2, delay=3)
    (ep,) = res["results"]
    assert ep["ok"], res
    assert ep["attempts"] == 4


def test_a_path_that_never_passes_fails_after_its_retries_naming_what_it_answered(server):
    state, url = server
    state["fail_first"] = 10 ** 6
    res = http_check(url, retries=3, delay=0.5)
    (ep,) = res["results"]
    assert not ep["ok"]
    assert ep["attempts"] >= 3 and ep["status"] == 503 and ep["body"] == "not ready"
