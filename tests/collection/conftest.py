"""Fixtures of the kubeha.webapp collection tests.

The playbooks run for real (the venv's ansible-playbook, the repository's ansible.cfg and local
inventory) against the real local cluster; tests then look at the cluster itself. See playlib.py.
"""
from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from playlib import App, delete_namespace, new_namespace  # noqa: E402


@pytest.fixture(scope="module")
def registry(cluster):
    """The cluster's registries (public, private, ca_file, chart, chart_version, username, password)."""
    return cluster.registries


@pytest.fixture(scope="module")
def app(cluster, tmp_path_factory):
    """A fresh namespace for the module's release; deleted afterwards."""
    ns = new_namespace()
    application = App(cluster, ns, tmp=tmp_path_factory.mktemp("coll"))
    yield application
    delete_namespace(cluster, ns)


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
