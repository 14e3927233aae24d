"""rollout_classifier.classify(): what one look at a rollout shows, from recorded API objects.

The Deployment of these fixtures rolls out revision 2 (pod-template-hash 7d9c8b6f5) over
revision 1; its container's readiness probe lets it stay unready 1 + 2 * 3 = 7 s.
"""
from __future__ import annotations

import pytest

from ansible_collections.kubeha.webapp.plugins.module_utils.rollout_classifier import (
    Timers,
    classify,
    deployment_state,
    latest_warning,
    needs_pods,
    new_pods,
    probe_budget,
)

T0 = 1714558330.0  # a time.time() value: the first look
NEW = "webapp-7d9c8b6f5-"


@pytest.fixture
def look(api_object):
    """One look: the named pods (fixtures) of the progressing Deployment at time `now`."""
    def run(*pods, now=T0, timers=None, deployment="rollout_deployment_progressing", **kw):
        items = []
        for name in pods:
            obj = api_object(name)
            items += obj if isinstance(obj, list) else [obj]
        return classify(api_object(deployment), api_object("rollout_replicasets"), items, now, timers, **kw)
    return run


def looks(look, pod, times, **kw):
    """Looks at a pod at these times, each with the timers of the one before; the last verdict.
    pod: a fixture name, or one a look (the same pod recorded in different states)."""
    timers = None
    for i, now in enumerate(times):
        verdict, timers = look(pod if isinstance(pod, str) else pod[i], now=now, timers=timers, **kw)
    return verdict


# --------------------------------------------------------------------------- done


def test_a_rollout_with_every_replica_updated_and_available_and_no_old_one_is_complete(api_object):
    verdict, _ = classify(api_object("rollout_deployment_complete"), None, None, T0, None)
    assert verdict == ("complete", "Complete", "deployment webapp successfully rolled out (3/3 ready)", None)


def test_until_ready_is_ready_when_every_new_replica_is_ready_while_an_old_pod_still_stops(look):
    verdict, _ = look("rollout_pods_new_all_ready", deployment="rollout_deployment_new_ready", until="ready")
    assert verdict.status == "ready" and verdict.reason == "Ready"
    assert verdict.message == "deployment webapp: every new replica ready (3/3 available, 1 old pods left)"


def test_until_complete_waits_for_the_old_pod_to_go(look):
    verdict, _ = look("rollout_pods_new_all_ready", deployment="rollout_deployment_new_ready")
    assert verdict == ("progressing", "Progressing", "1 old replicas pending termination", None)


def test_until_ready_waits_while_a_new_replica_is_not_ready(look):
    verdict, _ = look("rollout_pods_new_one_unready", deployment="rollout_deployment_new_ready", until="ready")
    assert verdict.status == "progressing"


def test_a_rollout_with_replicas_left_to_update_is_progressing(look):
    verdict, _ = look("rollout_pod_ready", "rollout_pod_container_creating")
    assert verdict == ("progressing", "Progressing", "1 of 3 new replicas updated", None)


def test_a_spec_update_the_controller_has_not_observed_yet_is_waited_for(api_object):
    verdict, _ = classify(api_object("rollout_deployment_unobserved"), None, None, T0, None)
    assert verdict == ("progressing", "Waiting", "waiting for the deployment spec update to be observed", None)


# --------------------------------------------------------------------------- the Deployment fails


def test_progress_deadline_exceeded_fails_the_rollout(api_object):
    verdict, _ = classify(api_object("rollout_deployment_deadline_exceeded"), None, None, T0, None)
    assert verdict.status == "failed" and verdict.reason == "ProgressDeadlineExceeded"
    assert verdict.message == ('deployment webapp exceeded its progress deadline: '
                               'ReplicaSet "webapp-7d9c8b6f5" has timed out progressing.')


def test_replica_failure_fails_the_rollout_with_the_admission_message_cut_to_400_characters(api_object):
    verdict, _ = classify(api_object("rollout_deployment_replica_failure"), None, None, T0, None)
    assert verdict.status == "failed" and verdict.reason == "ReplicaFailure"
    assert verdict.message.startswith('deployment webapp cannot create pods: pods "webapp-7d9c8b6f5-h7qzv" '
                                      'is forbidden: violates PodSecurity "restricted:latest"')
    assert verdict.message.endswith("...")
    assert len(verdict.message) == len("deployment webapp cannot create pods: ") + 400


# --------------------------------------------------------------------------- a new pod fails


def test_crash_loop_back_off_fails_naming_the_pod_and_its_last_exit(look):
    verdict, _ = look("rollout_pod_crash_loop_back_off")
    assert verdict.status == "failed" and verdict.reason == "CrashLoopBackOff"
    assert verdict.pod == NEW + "x2k4p"
    assert verdict.message == (
        "pod webapp-7d9c8b6f5-x2k4p, container web: CrashLoopBackOff: back-off 10s restarting failed "
        "container=web pod=webapp-7d9c8b6f5-x2k4p_webapp(pod-x2k4p) (last exit code 1, Error)")


@pytest.mark.parametrize("fixture, reason, detail", [
    ("rollout_pod_image_pull_back_off", "ImagePullBackOff", 'Back-off pulling image "ghcr.io/kubeha/web:v2"'),
    ("rollout_pod_err_image_never_pull", "ErrImageNeverPull", "is not present with pull policy of Never"),
    ("rollout_pod_invalid_image_name", "InvalidImageName", "invalid reference format"),
])
def test_an_image_that_cannot_be_pulled_fails_the_rollout_at_once(look, fixture, reason, detail):
    verdict, _ = look(fixture)
    assert verdict.status == "failed" and verdict.reason == reason
    assert verdict.message.startswith("pod %s" % NEW) and (", container web: %s: " % reason) in verdict.message
    assert detail in verdict.message


def test_a_pull_the_registry_answered_not_found_fails_at_once_with_its_answer(look):
    verdict, _ = look("rollout_pod_err_image_pull")
    assert verdict.status == "failed" and verdict.reason == "ErrImagePull"
    assert verdict.message.endswith('failed to resolve reference "ghcr.io/kubeha/web:v2": ghcr.io/kubeha/web:v2: not found')


def test_a_registry_that_cannot_be_reached_is_not_yet_a_failure_the_kubelet_retries_then_backs_off(look):
    assert looks(look, "rollout_pod_err_image_pull_unreachable", [T0, T0 + 120]).status == "progressing"


def test_a_missing_configmap_create_container_config_error_fails_at_once(look):
    verdict, _ = look("rollout_pod_create_container_config_error")
    assert verdict.reason == "CreateContainerConfigError"
    assert verdict.message == ('pod webapp-7d9c8b6f5-c1f5g, container web: CreateContainerConfigError: '
                               'configmap "webapp-config" not found')


@pytest.mark.parametrize("fixture", ["rollout_pod_create_container_error", "rollout_pod_run_container_error"])
def test_a_start_error_within_30_s_is_not_a_failure(look, fixture):
    assert looks(look, fixture, [T0, T0 + 10, T0 + 29.9]).status == "progressing"


@pytest.mark.parametrize("fixture, reason", [
    ("rollout_pod_create_container_error", "CreateContainerError"),
    ("rollout_pod_run_container_error", "RunContainerError"),
])
def test_a_start_error_that_lasts_30_s_fails_the_rollout(look, fixture, reason):
    verdict = looks(look, fixture, [T0, T0 + 10, T0 + 30])
    assert verdict.status == "failed" and verdict.reason == reason
    assert verdict.message.startswith("pod %s" % NEW) and (", container web: %s: " % reason) in verdict.message


def test_a_start_error_that_cleared_in_between_starts_its_30_s_again(look):
    # the same pod (e7h3j): an error, then created again, then the error once more
    pod = ["rollout_pod_create_container_error", "rollout_pod_container_creating", "rollout_pod_create_container_error"]
    assert looks(look, pod, [T0, T0 + 20, T0 + 35]).status == "progressing"


def test_a_pod_running_unready_within_its_readiness_budget_is_not_a_failure(look):
    # 7 s of the probe's own failure budget + 5 s unready_grace
    assert looks(look, "rollout_pod_unready", [T0, T0 + 12]).status == "progressing"


def test_a_pod_running_unready_beyond_its_readiness_budget_fails_with_its_latest_warning(look, api_object):
    timers = look("rollout_pod_unready", now=T0)[1]
    verdict, _ = look("rollout_pod_unready", now=T0 + 12.5, timers=timers, events=api_object("rollout_events_unready"))
    assert verdict.status == "failed" and verdict.reason == "ReadinessFailing"
    assert verdict.message == (
        "pod webapp-7d9c8b6f5-k5t9m, container web: running but not ready after 12s (readiness budget "
        "12s): Readiness probe failed: HTTP probe failed with statuscode: 503")


def test_a_pod_that_became_ready_in_between_starts_its_readiness_budget_again(look):
    pod = ["rollout_pod_unready", "rollout_pod_unready_became_ready", "rollout_pod_unready"]
    assert looks(look, pod, [T0, T0 + 10, T0 + 20]).status == "progressing"


def test_readiness_failing_names_the_pod_so_that_its_events_can_be_read(look):
    verdict = looks(look, "rollout_pod_unready", [T0, T0 + 13], unready_grace=0)
    assert verdict.reason == "ReadinessFailing" and verdict.pod == NEW + "k5t9m"
    assert verdict.message.endswith("running but not ready after 13s (readiness budget 7s)")


def test_restarts_below_max_restarts_are_not_a_failure(look):
    assert look("rollout_pod_restarted", max_restarts=3)[0].status == "progressing"


def test_restarts_reaching_max_restarts_fail_the_rollout(look):
    verdict, _ = look("rollout_pod_restarted")
    assert verdict.status == "failed" and verdict.reason == "Restarts"
    assert verdict.message == ("pod webapp-7d9c8b6f5-z0a4s, container web restarted 2 times "
                               "(last exit code 137, OOMKilled)")


def test_a_pod_unschedulable_within_its_grace_is_not_a_failure(look):
    assert looks(look, "rollout_pod_unschedulable", [T0, T0 + 60]).status == "progressing"


def test_a_pod_unschedulable_beyond_its_grace_fails_the_rollout(look):
    verdict = looks(look, "rollout_pod_unschedulable", [T0, T0 + 61])
    assert verdict.status == "failed" and verdict.reason == "Unschedulable"
    assert verdict.message == ("pod webapp-7d9c8b6f5-u8m2q cannot be scheduled: 0/1 nodes are available: 1 "
                               "Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption "
                               "victims found for incoming pod.")


def test_a_crashing_pod_of_the_old_revision_does_not_fail_the_new_one(look):
    assert look("rollout_pod_old_revision_crash_loop")[0].status == "progressing"


def test_a_crashing_new_pod_being_deleted_does_not_fail_the_rollout(look):
    assert look("rollout_pod_terminating_crash_loop")[0].status == "progressing"


def test_the_new_pods_are_those_of_the_replica_set_the_deployment_owns_at_its_revision(api_object):
    pods = [api_object("rollout_pod_ready"), api_object("rollout_pod_old_revision_crash_loop"),
            api_object("rollout_pod_terminating_crash_loop")]
    names = [p["metadata"]["name"] for p in new_pods(api_object("rollout_deployment_progressing"),
                                                     api_object("rollout_replicasets"), pods)]
    assert names == [NEW + "q8n2x"]


# --------------------------------------------------------------------------- state between looks


def test_classify_returns_new_timers_and_leaves_the_given_ones_alone(look):
    before = Timers()
    _, after = look("rollout_pod_unready", timers=before)
    assert before.unready == {} and after.unready == {NEW + "k5t9m/web": T0}


def test_after_an_api_outage_readiness_and_scheduling_budgets_start_again_start_errors_do_not(look):
    timers = Timers(unready={"p/web": T0}, start_error={"p/web": T0}, unschedulable={"p": T0})
    again = timers.after_outage()
    assert (again.unready, again.start_error, again.unschedulable) == ({}, {"p/web": T0}, {})


def test_a_deployment_is_read_with_its_pods_only_while_its_rollout_is_under_way(api_object):
    assert needs_pods(api_object("rollout_deployment_progressing"))
    assert not needs_pods(api_object("rollout_deployment_complete"))
    assert not needs_pods(api_object("rollout_deployment_deadline_exceeded"))
    assert not needs_pods(api_object("rollout_deployment_unobserved"))


def test_deployment_state_reports_revision_images_and_replica_counts(api_object):
    assert deployment_state(api_object("rollout_deployment_progressing")) == dict(
        revision="2", images=["ghcr.io/kubeha/web:v2"],
        replicas=dict(desired=3, updated=1, ready=3, available=3, total=4))


def test_the_readiness_budget_is_the_probes_initial_delay_plus_period_times_failure_threshold():
    assert probe_budget({"readinessProbe": {"initialDelaySeconds": 1, "periodSeconds": 2, "failureThreshold": 3}}) == 7
    assert probe_budget({"readinessProbe": {"httpGet": {"path": "/"}}}) == 30  # the API's defaults 10 * 3
    assert probe_budget({"name": "web"}) == 0


def test_the_latest_warning_event_of_the_pod_is_the_one_reported(api_object):
    events = api_object("rollout_events_unready")
    assert latest_warning(events, NEW + "k5t9m") == "Readiness probe failed: HTTP probe failed with statuscode: 503"
    assert latest_warning(events, NEW + "none") == ""
