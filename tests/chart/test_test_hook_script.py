"""The `helm test` pod's script, run here with busybox's sh and wget against a local server.

The script is taken from the rendered chart, so this is the very command the test pod runs.
busybox is what the default test image (busybox) and the local cluster's kubeha/client run.
"""
from __future__ import annotations

import shutil
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

BUSYBOX = shutil.which("busybox")
pytestmark = pytest.mark.skipif(BUSYBOX is None, reason="busybox is not installed on this machine")


class App:
    """A local HTTP server answering GET with scripted (status, body) replies, the last one repeating."""

    def __init__(self):
        self.replies: list[tuple[int, str]] = [(200, "")]
        self.delay = 0.0
        self.requests: list[str] = []
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                app.requests.append(self.path)
                status, body = app.replies.pop(0) if len(app.replies) > 1 else app.replies[0]
                if app.delay:
                    time.sleep(app.delay)
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def app():
    server = App()
    yield server
    server.close()


@pytest.fixture(scope="module")
def busybox_path(tmp_path_factory) -> Path:
    """A PATH directory where sh, wget, timeout and sleep are busybox's applets, as in the test image."""
    bindir = tmp_path_factory.mktemp("busybox-bin")
    for applet in ("sh", "wget", "timeout", "sleep"):
        (bindir / applet).symlink_to(BUSYBOX)
    return bindir


@pytest.fixture(scope="module")
def script(render) -> str:
    (container,) = render().test_pod["spec"]["containers"]
    assert container["command"][:2] == ["sh", "-c"]
    return container["command"][2]


def run_script(script, busybox_path, url, expected, attempts=2, timeout=5):
    env = {"PATH": str(busybox_path), "URL": url, "EXPECTED": expected, "ATTEMPTS": str(attempts),
           "TIMEOUT": str(timeout)}
    return subprocess.run([str(busybox_path / "sh"), "-c", script], env=env, text=True,
                          capture_output=True, timeout=60)


def test_passes_when_the_body_holds_the_expected_version(script, busybox_path, app):
    app.replies = [(200, '{"hostname":"web-1","version":"6.14.1","revision":"x"}')]
    proc = run_script(script, busybox_path, app.url + "/", '"version":"6.14.1"')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PASS" in proc.stdout
    assert app.requests == ["/"]


def test_fails_when_another_version_answers(script, busybox_path, app):
    app.replies = [(200, "kubeha-web version=v1 host=web-1\n")]
    proc = run_script(script, busybox_path, app.url + "/", "version=v2", attempts=1)
    assert proc.returncode == 1
    assert 'FAIL: GET' in proc.stdout and 'never answered with "version=v2"' in proc.stdout


def test_fails_when_the_app_answers_an_error(script, busybox_path, app):
    app.replies = [(503, "version=v1 but not ready")]
    proc = run_script(script, busybox_path, app.url + "/", "version=v1", attempts=1)
    assert proc.returncode == 1
    assert "failed" in proc.stdout


def test_retries_until_the_app_answers(script, busybox_path, app):
    app.replies = [(503, "starting"), (200, "kubeha-web version=v1 host=web-1\n")]
    proc = run_script(script, busybox_path, app.url + "/", "version=v1", attempts=3)
    assert proc.returncode == 0, proc.stdout
    assert len(app.requests) == 2


def test_a_request_that_hangs_is_cut_off_and_counts_as_a_failed_attempt(script, busybox_path, app):
    app.replies = [(200, "version=v1")]
    app.delay = 8
    started = time.monotonic()
    proc = run_script(script, busybox_path, app.url + "/", "version=v1", attempts=1, timeout=1)
    assert proc.returncode == 1
    assert time.monotonic() - started < 7  # 1 s cut-off + 2 s pause, not the 8 s answer
