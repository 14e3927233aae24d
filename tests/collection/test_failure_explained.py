"""Every failure explained: a failed upgrade or verification says, per failing pod, what its
container did (reason, exit code), its last events and the last lines it logged - in the failure
message, and in short on the summary's Problems line - and a verification that cannot pass fails
at once with the reason instead of waiting out its retries.

One release walked through the steps, in order: deployed (v1); upgraded to an image that crashes
at start (kubeha/web:crash logs a line and exits 1: a crash loop, rolled back); upgraded to a
command that writes a message and exits 3 (kubeha/client with the chart's `command`, rolled
back); then its image changed by hand (kubectl set image) and verified; then scaled to zero by
hand and verified. Last, an identity that may not read logs or events watches a crash loop.
"""
from __future__ import annotations

import re

import pytest
import yaml

from playlib import cluster_inventory, run_module, run_playbook

pytestmark = pytest.mark.cluster

CRASH_LINE = "kubeha-web crash: crash mode, exiting"
CONFIG_LINE = "kubeha-test: config missing"


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    return cluster_inventory(tmp_path_factory.mktemp("inventory"))


@pytest.fixture(scope="module")
def release(app, inventory):
    def play(playbook, expect_ok=True, **extra):
        run = run_playbook(playbook, {**app.vars, **extra}, inventory=inventory)
        (inventory / f"{playbook}.log").write_text(run.output)  # the last run of each, to read
        assert (run.rc == 0) == expect_ok, f"{playbook}: rc {run.rc}\n{run.tail(120)}"
        return run
    play("deploy")
    assert app.pod_images() == {app.cluster.image("v1")}
    return app, play


def failure_message(run) -> str:
    """The message the failed change ended with (the apply rescue's task), folding undone."""
    flat = run.flat()
    assert "Apply | fail with the reason" in flat, run.tail(120)
    return flat.split("Apply | fail with the reason")[-1].split("Failed | note the reason")[0]


def problems(run) -> str:
    """The summary's Problems lines."""
    table = run.output.split("Summary | print the table")[-1]
    assert "Problems:" in table, table
    return " ".join(table.split("Problems:", 1)[1].split())


def test_a_crash_loop_is_rolled_back_and_explained_by_the_log_of_the_crashed_instance(release):
    app, play = release
    run = play("upgrade", expect_ok=False, upgrade_image_tag="crash")
    assert app.pod_images() == {app.cluster.image("v1")}, "the upgrade was not rolled back"
    message = failure_message(run)
    pod = re.search(r"pod (webapp-\w+-\w+) \(", message)
    assert pod, message
    # The pod's state, then the log of the instance that crashed (the current one waits in back-off).
    assert re.search(r"container webapp (waiting CrashLoopBackOff|terminated Error).*exit code 1", message), message
    assert "log of container webapp (previous instance), last " in message, message
    assert CRASH_LINE in message
    assert re.search(r"event: (Warning BackOff|Normal (Pulled|Started|Created))", message), message
    # The summary says it in short: the reason and the line the container logged.
    notes = problems(run)
    assert f"{app.cluster.image('crash')} failed: " in notes and "[it logged: " in notes and CRASH_LINE in notes, notes
    assert "rolled back to revision 1" in notes
    assert "Why, pod by pod:" not in notes and "event:" not in notes, "the summary takes the short form only"


def test_a_command_that_exits_with_a_message_is_explained_by_that_message(release):
    app, play = release
    command = ["/bin/sh", "-c", f"echo {CONFIG_LINE} >&2; exit 3"]
    run = play("upgrade", expect_ok=False, upgrade_image_repository=f"{app.cluster.registry}/kubeha/client",
               upgrade_image_tag="v1", upgrade_values={"command": command})
    assert app.pod_images() == {app.cluster.image("v1")}, "the upgrade was not rolled back"
    message = failure_message(run)
    assert "exit code 3" in message and CONFIG_LINE in message, message
    assert CONFIG_LINE in problems(run)


def test_verify_of_an_image_changed_by_hand_fails_at_once_naming_both_images(release):
    app, play = release
    app.cluster.kubectl("set", "image", f"deployment/{app.name}", f"webapp={app.cluster.image('v2')}", "-n", app.namespace)
    app.cluster.kubectl("rollout", "status", f"deployment/{app.name}", "-n", app.namespace, "--timeout=120s")
    run = play("verify", expect_ok=False)
    flat = run.flat()
    mismatch = (f"the Deployment's pod template runs {app.cluster.image('v2')}, "
                f"the release says {app.cluster.image('v1')}")
    assert f"replicas: {mismatch}" in flat, run.tail(60)
    assert "the expected body 'version={tag}' cannot be answered, not requested" in flat
    # Decided before any request: no endpoint was tried, no attempt counted, no wait for the rollout.
    assert "attempts" not in flat.split("Verify | every check passed")[-1], run.tail(60)
    for task in ("ClusterIP from a short-lived client pod", "NodePort, LoadBalancer, Ingress and Gateway",
                 "every replica ready, running the release's image"):
        assert re.search(re.escape(task) + r"[^*]*\*+\s+skipping:", flat), f"{task} ran:\n{run.tail(60)}"


def test_verify_of_a_deployment_scaled_to_zero_fails_at_once_without_a_request(release):
    app, play = release
    app.cluster.kubectl("scale", f"deployment/{app.name}", "--replicas=0", "-n", app.namespace)
    run = play("verify", expect_ok=False)
    flat = run.flat()
    reason = "the Deployment is scaled to zero: no pod serves the Service, not requested"
    for check in ("clusterip", "nodeport", "loadbalancer", "ingress", "gateway"):
        assert f"{check}: {reason}" in flat, run.tail(60)
    assert "attempts" not in flat.split("Verify | every check passed")[-1], run.tail(60)


CRASHING_DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: crashing}
spec:
  replicas: 1
  selector: {matchLabels: {app: crashing}}
  template:
    metadata: {labels: {app: crashing}}
    spec:
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: web
          image: kubeha/web:crash
          imagePullPolicy: Never
          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
          # Without a probe the container counts as ready for the instant it runs.
          readinessProbe: {httpGet: {path: /readyz, port: 8080}, periodSeconds: 2}
"""

# An identity that may watch rollouts but read neither logs nor events.
WATCH_ONLY = """
apiVersion: v1
kind: ServiceAccount
metadata: {name: watch-only}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: watch-only}
rules:
  - {apiGroups: [apps], resources: [deployments, replicasets], verbs: [get, list]}
  - {apiGroups: [""], resources: [pods], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: watch-only}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: watch-only}
subjects: [{kind: ServiceAccount, name: watch-only}]
"""


def test_an_identity_that_may_not_read_logs_or_events_gets_the_failure_said_so(release, tmp_path):
    app, _ = release
    kubectl = app.cluster.kubectl
    kubectl("apply", "-n", app.namespace, "-f", "-", input=CRASHING_DEPLOYMENT + "---" + WATCH_ONLY)
    token = kubectl("create", "token", "watch-only", "-n", app.namespace).stdout.strip()
    admin = yaml.safe_load(kubectl("config", "view", "--raw", "--minify").stdout)
    kubeconfig = tmp_path / "watch-only.yaml"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "watch-only",
        "clusters": [{"name": "c", "cluster": admin["clusters"][0]["cluster"]}],
        "users": [{"name": "watch-only", "user": {"token": token}}],
        "contexts": [{"name": "watch-only", "context": {"cluster": "c", "user": "watch-only"}}]}))
    result, out = run_module("kubeha.webapp.rollout_status", {
        "name": "crashing", "namespace": app.namespace, "timeout": 120, "max_restarts": 99,
        "fail_on_error": False, "kubeconfig": str(kubeconfig)})
    assert result["status"] == "failed" and result["reason"] == "CrashLoopBackOff", out
    lines = result["explanation"]
    assert lines[0].startswith("pod crashing-") and "exit code 1" in lines[0], lines
    assert "  events: not readable with this identity (403 Forbidden on events)" in lines
    assert "  log of container web (previous instance): not readable with this identity " \
           "(403 Forbidden on pods/log)" in lines
    assert token not in out
