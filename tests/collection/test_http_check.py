"""kubeha.webapp.http_check retries a path that needs a moment (first pauses short) without
giving up sooner than its retries x delay budget; run as a module on a loopback server."""
from __future__ import annotations

from playlib import run_module


def http_check(url: str, retries: int, delay: float) -> dict:
    return run_module("kubeha.webapp.http_check", dict(
        endpoints=[dict(name="nodeport", url=url)], expected_body="version=v1", retries=retries,
        delay=delay, timeout=2, fail_on_error=False))[0]


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
