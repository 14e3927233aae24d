"""failure_report: why the pods of a failed rollout fail, bounded, from recorded pods and events.

The pods are those of tests/unit/fixtures (rollout_*: the rollout the classifier tests use;
explain_*: a crash loop of kubeha/web:crash and a container that exits 3, recorded on the local
cluster with their events and logs).
"""
from __future__ import annotations

import copy
from pathlib import Path

import pytest

from ansible_collections.kubeha.webapp.plugins.module_utils.failure_report import (
    HEADER,
    LINE_CHARS,
    LOG_LINES,
    MAX_EVENTS,
    MAX_PODS,
    Unreadable,
    explain,
    failing_container,
    last_events,
    log_requests,
    log_tail,
    pod_line,
    pods_to_explain,
    redact,
    short_for,
    unreadable,
)
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_http import ApiError

CRASHING = "webapp-7d9c8b6f5-x2k4p"


def renamed(pod, name):
    pod = copy.deepcopy(pod)
    pod["metadata"]["name"] = name
    return pod


# --------------------------------------------------------------------------- which pods, which logs


def test_the_pod_a_verdict_names_comes_first_then_the_other_unready_ones(api_object):
    ready, unready, crash = (api_object("rollout_pod_ready"), api_object("rollout_pod_unready"),
                             api_object("rollout_pod_crash_loop_back_off"))
    picked = pods_to_explain([ready, unready, crash], first=CRASHING)
    assert [p["metadata"]["name"] for p in picked] == [CRASHING, unready["metadata"]["name"]]


def test_at_most_three_pods_are_explained(api_object):
    crash = api_object("rollout_pod_crash_loop_back_off")
    many = [renamed(crash, "webapp-7d9c8b6f5-%d" % i) for i in range(6)]
    assert len(pods_to_explain(many)) == MAX_PODS == 3


def test_pods_being_deleted_are_not_explained(api_object):
    crash = api_object("rollout_pod_crash_loop_back_off")
    crash["metadata"]["deletionTimestamp"] = "2024-05-01T10:13:00Z"
    assert pods_to_explain([crash], first=CRASHING) == []


def test_a_crash_loop_reads_the_log_of_the_instance_before_only(api_object):
    # The current instance waits in back-off: it has not run, it has no log.
    assert log_requests(api_object("rollout_pod_crash_loop_back_off")) == [("web", True)]


def test_a_running_unready_container_reads_its_current_log(api_object):
    assert log_requests(api_object("rollout_pod_unready")) == [("web", False)]


def test_a_container_that_never_started_has_no_log_to_read(api_object):
    assert log_requests(api_object("rollout_pod_err_image_pull")) == []
    assert log_requests(api_object("rollout_pod_unschedulable")) == []


def test_a_ready_pod_has_no_failing_container(api_object):
    assert failing_container(api_object("rollout_pod_ready")) is None


def test_a_failing_init_container_is_the_failing_one(api_object):
    pod = api_object("rollout_pod_ready")
    pod["status"]["initContainerStatuses"] = [{
        "name": "migrate", "ready": False, "restartCount": 2,
        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {"terminated": {"exitCode": 2, "reason": "Error"}}}]
    assert failing_container(pod)["name"] == "migrate"
    assert log_requests(pod) == [("migrate", True)]


# --------------------------------------------------------------------------- lines


def test_a_crash_loop_says_its_reason_exit_code_and_restarts(api_object):
    line = pod_line(api_object("rollout_pod_crash_loop_back_off"))
    assert line.startswith("pod %s (Running" % CRASHING)
    assert line.endswith("container web waiting CrashLoopBackOff, last terminated Error (exit code 1), 1 restart")


def test_an_image_that_cannot_be_pulled_says_what_the_kubelet_said(api_object):
    line = pod_line(api_object("rollout_pod_err_image_pull"))
    assert "container web waiting ErrImagePull: failed to pull and unpack image" in line


def test_an_unschedulable_pod_says_what_the_scheduler_said(api_object):
    line = pod_line(api_object("rollout_pod_unschedulable"))
    assert "(Pending" in line and "unschedulable: 0/1 nodes are available: 1 Insufficient memory" in line


def test_the_last_five_events_of_the_pod_oldest_first(api_object):
    base = api_object("rollout_events_unready")[0]
    events = []
    for i in range(8):
        e = copy.deepcopy(base)
        e.update(reason="Reason%d" % i, count=1, lastTimestamp="2024-05-01T10:12:%02dZ" % (10 + i))
        events.append(e)
    other = copy.deepcopy(base)
    other["involvedObject"]["name"] = "another-pod"
    lines = last_events(list(reversed(events)) + [other], base["involvedObject"]["name"])
    assert len(lines) == MAX_EVENTS == 5
    assert [line.split(":")[0] for line in lines] == ["Warning Reason%d" % i for i in range(3, 8)]


def test_a_repeated_event_says_how_often(api_object):
    lines = last_events(api_object("rollout_events_unready"), "webapp-7d9c8b6f5-k5t9m")
    assert "Warning Unhealthy (x6): Readiness probe failed: HTTP probe failed with statuscode: 503" in lines


def test_a_log_keeps_its_last_twenty_lines_each_clipped():
    text = "\n".join("line %d %s" % (i, "x" * 300) for i in range(50)) + "\n\n"
    tail = log_tail(text)
    assert len(tail) == LOG_LINES == 20
    assert tail[0].startswith("line 30 ") and tail[-1].startswith("line 49 ")
    assert all(len(line) <= LINE_CHARS for line in tail)


@pytest.mark.parametrize("line, shown", [
    ("connecting with password=hunter2 to db", "connecting with password=<redacted> to db"),
    ('{"api_key": "abc123", "user": "bob"}', '{"api_key": "<redacted>", "user": "bob"}'),
    ("DB_PASSWORD: s3cr3t", "DB_PASSWORD: <redacted>"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.x", "Authorization: Bearer <redacted>"),
    ("config missing: /etc/app.yaml", "config missing: /etc/app.yaml"),
])
def test_credential_looking_values_are_masked_in_log_lines(line, shown):
    assert redact(line) == shown


# --------------------------------------------------------------------------- the explanation


def test_a_crash_loop_is_explained_by_its_events_and_the_log_of_the_instance_before(api_object):
    pod = api_object("rollout_pod_crash_loop_back_off")
    logs = {(CRASHING, "web", True): "starting\nkubeha-test: config missing\n"}
    out = explain([pod], [], logs)
    assert out["lines"][0] == pod_line(pod)
    assert out["lines"][1:] == ["  log of container web (previous instance), last 2 lines:",
                                "    starting", "    kubeha-test: config missing"]
    assert out["short"].startswith(CRASHING + ": waiting CrashLoopBackOff")
    assert out["short"].endswith("; it logged: kubeha-test: config missing")
    assert out["logged"] == "kubeha-test: config missing"


def test_the_same_log_of_a_second_pod_is_named_not_repeated(api_object):
    one = api_object("rollout_pod_crash_loop_back_off")
    two = renamed(one, "webapp-7d9c8b6f5-zzzzz")
    logs = {(CRASHING, "web", True): "boom\n", ("webapp-7d9c8b6f5-zzzzz", "web", True): "boom\n"}
    lines = explain([one, two], [], logs)["lines"]
    assert lines.count("    boom") == 1
    assert "  log of container web (previous instance): the same 1 lines as pod %s" % CRASHING in lines


def test_a_log_the_identity_may_not_read_is_said_so(api_object):
    pod = api_object("rollout_pod_crash_loop_back_off")
    denied = unreadable(ApiError(403, "Forbidden", '{"kind":"Status","message":"pods \\"x\\" is forbidden"}'),
                        "pods/log")
    out = explain([pod], denied, {(CRASHING, "web", True): denied})
    assert "  events: not readable with this identity (403 Forbidden on pods/log)" in out["lines"]
    assert "  log of container web (previous instance): not readable with this identity " \
           "(403 Forbidden on pods/log)" in out["lines"]
    assert "it logged" not in out["short"]


def test_a_log_the_api_cannot_give_says_what_the_api_answered(api_object):
    gone = unreadable(ApiError(400, "Bad Request", '{"kind":"Status","message":"previous terminated '
                               'container \\"web\\" in pod \\"x\\" not found"}'), "pods/log")
    assert gone == Unreadable('not read: previous terminated container "web" in pod "x" not found')


def test_an_empty_log_is_said_empty(api_object):
    out = explain([api_object("rollout_pod_crash_loop_back_off")], [], {(CRASHING, "web", True): "\n"})
    assert out["lines"][-1] == "  log of container web (previous instance): empty"


def test_no_pods_explain_nothing():
    assert explain([], [], {}) == dict(lines=[], short="", logged="")


def test_the_whole_explanation_is_bounded(api_object):
    """3 pods, 5 events and 20 log lines each, lines of at most 200 characters: however much the
    pods log and whatever happened to them."""
    crash = api_object("rollout_pod_crash_loop_back_off")
    base = api_object("rollout_events_unready")[0]
    pods, events, logs = [], [], {}
    for i in range(5):
        pod = renamed(crash, "webapp-7d9c8b6f5-%d" % i)
        pods.append(pod)
        for j in range(9):
            e = copy.deepcopy(base)
            e["involvedObject"]["name"] = pod["metadata"]["name"]
            e["message"] = "m" * 500
            events.append(e)
        logs[(pod["metadata"]["name"], "web", True)] = "\n".join("%d %s" % (i, "y" * 999) for _ in range(100))
    out = explain(pods_to_explain(pods), events, logs)
    assert len(out["lines"]) == 3 * (1 + 5 + 1 + 20)
    assert all(len(line) <= LINE_CHARS + 4 for line in out["lines"])
    assert len(out["short"]) <= 300


def test_a_verdict_naming_the_pod_gets_only_the_line_it_logged_added(api_object):
    out = explain([api_object("rollout_pod_crash_loop_back_off")], [],
                  {(CRASHING, "web", True): "kubeha-test: config missing"})
    assert short_for(out, CRASHING) == "it logged: kubeha-test: config missing"
    assert short_for(dict(out, logged=""), CRASHING) == ""


def test_a_verdict_naming_no_pod_gets_the_pods_state_too(api_object):
    out = explain([api_object("rollout_pod_crash_loop_back_off")], [], {})
    assert short_for(out, None) == out["short"] == CRASHING + ": waiting CrashLoopBackOff, " \
        "last terminated Error (exit code 1), 1 restart"


# --------------------------------------------------------------------------- recorded on the cluster
# A Deployment of kubeha/client:v1 whose command writes three lines (one of them with a password)
# and exits 3, in a restricted namespace of the local cluster: the pod in back-off, the pod between
# two back-offs (its current instance terminated), its events, its logs, and what the API answered
# an identity that may not read logs.
FIXTURES = Path(__file__).resolve().parent / "fixtures"
RECORDED = "webapp-995798d86-smmzg"


def recorded_log(name):
    return (FIXTURES / name).read_text()


def test_a_recorded_crash_loop_is_explained_by_its_events_and_what_it_logged(api_object):
    pod = api_object("explain_pod_crash_loop_back_off")
    assert log_requests(pod) == [("webapp", True)]
    out = explain(pods_to_explain([pod], RECORDED), api_object("explain_events_crash_loop"),
                  {(RECORDED, "webapp", True): recorded_log("explain_log_crash_loop_previous.txt")})
    assert out["lines"][0] == ("pod %s (Running, node kgw-n1): container webapp waiting CrashLoopBackOff, "
                               "last terminated Error (exit code 3), 4 restarts" % RECORDED)
    events = [line for line in out["lines"] if line.startswith("  event: ")]
    assert len(events) == 5 and events[-1].startswith("  event: Warning BackOff (x")
    assert out["lines"][-4:] == ["  log of container webapp (previous instance), last 3 lines:",
                                 "    kubeha-test: config missing", "    starting webapp",
                                 "    connecting with password=<redacted>"]
    assert "hunter2" not in " ".join(out["lines"]) + out["short"]


def test_between_two_back_offs_the_terminated_instance_is_read_and_the_one_before_is_gone(api_object):
    pod = api_object("explain_pod_crash_loop_terminated")
    assert log_requests(pod) == [("webapp", False), ("webapp", True)]
    out = explain([pod], [], {(RECORDED, "webapp", False): recorded_log("explain_log_crash_loop_previous.txt"),
                              (RECORDED, "webapp", True): recorded_log("explain_log_previous_not_kept.txt")})
    assert "container webapp terminated Error (exit code 3), last terminated Error (exit code 3), 3 restarts" \
        in out["lines"][0]
    assert "  log of container webapp (previous instance): not kept by the node any more" in out["lines"]
    assert out["logged"] == "connecting with password=<redacted>"


def test_a_recorded_403_on_pods_log_says_the_identity_may_not_read_it(api_object):
    status = (FIXTURES / "explain_status_403_pods_log.json").read_text()
    got = unreadable(ApiError(403, "Forbidden", status), "pods/log")
    assert got == Unreadable("not readable with this identity (403 Forbidden on pods/log)")


def test_a_failed_watch_says_its_verdict_and_short_form_first_then_the_explanation_after_its_header():
    from ansible_collections.kubeha.webapp.plugins.modules.rollout_status import failure_message
    result = dict(message="pod p, container web: CrashLoopBackOff", explanation_short="it logged: boom",
                  explanation=["pod p (Running): ...", "    boom"])
    assert failure_message(result).split("\n") == [
        "pod p, container web: CrashLoopBackOff [it logged: boom]", HEADER, "pod p (Running): ...", "    boom"]
    assert failure_message(dict(message="rollout of webapp not complete after 5s", explanation=[])) == \
        "rollout of webapp not complete after 5s"


def test_a_failure_message_splits_into_its_reason_and_its_explanation_and_back():
    from ansible_collections.kubeha.webapp.plugins.module_utils.failure_report import (
        HEADER, split_message, with_explanation)
    message = with_explanation("upgrade failed: pod web-1 CrashLoopBackOff ", ["pod web-1 (Running)", "  log: boom"])
    assert message == "upgrade failed: pod web-1 CrashLoopBackOff \n" + HEADER + "\npod web-1 (Running)\n  log: boom"
    assert split_message(message) == ("upgrade failed: pod web-1 CrashLoopBackOff",
                                      "\n" + HEADER + "\npod web-1 (Running)\n  log: boom")
    assert split_message("no pods to blame") == ("no pods to blame", "")
    assert with_explanation("reason", []) == "reason"
    assert with_explanation("", ["line"]) == "\n" + HEADER + "\nline"
