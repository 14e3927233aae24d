"""pods: what a pod's status says (ready, running, done, cannot run) and the client pod spec."""
from __future__ import annotations

import pytest

from ansible_collections.kubeha.webapp.plugins.module_utils.pod_status import (
    container_running,
    pod_done,
    pod_problem,
    pod_ready,
    pod_running,
    pull_answer_is_final,
    unschedulable,
)
from ansible_collections.kubeha.webapp.plugins.module_utils.pods import restricted_client_pod


def test_a_pod_whose_ready_condition_is_true_is_ready(api_object):
    assert pod_ready(api_object("rollout_pod_ready"))


def test_a_pod_running_unready_is_not_ready(api_object):
    assert not pod_ready(api_object("rollout_pod_unready"))


def test_a_pod_on_a_lost_node_is_not_ready_though_its_containers_still_say_ready(api_object):
    pod = api_object("pod_on_lost_node")
    assert all(cs["ready"] for cs in pod["status"]["containerStatuses"])
    assert not pod_ready(pod)


def test_a_pod_waiting_for_its_readiness_gate_is_not_ready_though_its_containers_are(api_object):
    assert not pod_ready(api_object("pod_readiness_gate_pending"))


def test_a_pod_not_scheduled_yet_is_not_ready(api_object):
    assert not pod_ready(api_object("rollout_pod_unschedulable"))


def test_a_pod_with_a_running_container_runs(api_object):
    pod = api_object("rollout_pod_unready")
    assert container_running(pod) and pod_running(pod) and not pod_done(pod)


def test_a_pod_whose_container_is_being_created_does_not_run_yet(api_object):
    pod = api_object("rollout_pod_container_creating")
    assert not container_running(pod) and not pod_running(pod)


def test_a_finished_pod_has_run_though_no_container_runs_now(api_object):
    pod = api_object("pod_succeeded")
    assert pod_done(pod) and pod_running(pod) and not container_running(pod)


def test_an_image_pull_error_is_a_problem_for_a_client_pod_at_once(api_object):
    assert pod_problem(api_object("rollout_pod_err_image_pull")).startswith(
        'ErrImagePull: failed to pull and unpack image "ghcr.io/kubeha/web:v2"')


def test_an_unschedulable_client_pod_has_a_problem_naming_the_scheduler_message(api_object):
    pod = api_object("rollout_pod_unschedulable")
    assert unschedulable(pod)["reason"] == "Unschedulable"
    assert pod_problem(pod) == ("unschedulable: 0/1 nodes are available: 1 Insufficient memory. preemption: "
                                "0/1 nodes are available: 1 No preemption victims found for incoming pod.")


def test_a_starting_or_running_pod_has_no_problem(api_object):
    assert pod_problem(api_object("rollout_pod_container_creating")) is None
    assert pod_problem(api_object("rollout_pod_ready")) is None
    assert unschedulable(api_object("rollout_pod_ready")) is None


def test_the_client_pod_meets_pod_security_restricted():
    spec = restricted_client_pod("kubeha-verify-", "busybox:1.37", "IfNotPresent", "echo hi",
                                 {"app.kubernetes.io/name": "kubeha-verify"}, deadline_seconds=90.5,
                                 env={"URL": "http://web", "ATTEMPTS": 3})
    pod, container = spec["spec"], spec["spec"]["containers"][0]
    assert pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["seccompProfile"] == {
        "type": "RuntimeDefault"}
    assert container["securityContext"] == {"runAsNonRoot": True, "allowPrivilegeEscalation": False,
                                            "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
    assert pod["automountServiceAccountToken"] is False and pod["activeDeadlineSeconds"] == 90
    assert container["command"] == ["sh", "-c", "echo hi"]
    assert container["env"] == [{"name": "ATTEMPTS", "value": "3"}, {"name": "URL", "value": "http://web"}]


@pytest.mark.parametrize("message", [
    'failed to pull and unpack image "r:5000/web:v9": failed to resolve reference "r:5000/web:v9": r:5000/web:v9: not found',
    'failed to resolve reference "r:5001/web:v1": unexpected status from HEAD request to '
    'https://r:5001/v2/web/manifests/v1: 401 Unauthorized',
    'failed to resolve reference "docker.io/org/private:v1": pull access denied, repository does not exist or '
    'may require authorization: server message: insufficient_scope: authorization failed',
    'failed to resolve reference "ghcr.io/org/app:v1": failed to authorize: failed to fetch anonymous token: '
    'unexpected status from GET request to https://ghcr.io/token?scope=repository%3Aorg%2Fapp%3Apull: 403 Forbidden',
])
def test_a_pull_the_registry_refused_or_found_nothing_for_is_final(message):
    assert pull_answer_is_final(message)


@pytest.mark.parametrize("message", [
    'failed to do request: Head "https://r:5000/v2/web/manifests/v3": dial tcp 10.217.0.1:5000: connect: connection refused',
    'failed to do request: Head "https://r:5000/v2/web/manifests/v3": dial tcp: lookup r: no such host',
    'failed to copy: httpReadSeeker: failed open: failed to do request: net/http: TLS handshake timeout',
    "", None,
])
def test_a_registry_that_did_not_answer_may_answer_the_next_try(message):
    assert not pull_answer_is_final(message)
