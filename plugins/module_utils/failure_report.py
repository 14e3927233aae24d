# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Why the pods of a failed rollout fail, in a few bounded lines: per failing pod its phase and
its failing container's state (waiting/terminated reason, exit code, restarts), its last events,
and the last lines of that container's log - of the instance before, for a container that
restarted (a crash loop's current instance has not written anything yet).

No API call here: log_requests() says which logs to read, the caller reads the pods, their events
and those logs (rollout_status) and explain() turns them into lines. Nothing is read from Secrets
or from the pod spec's environment; log lines are the only text the app writes, and tokens that
look like credentials are masked in them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.kubeha.webapp.plugins.module_utils.pod_status import pod_ready, unschedulable

# The line that starts an explanation in a failure message (what comes before is the reason).
HEADER = "Why, pod by pod:"

# The bounds of one explanation: a failure message stays readable, whatever the app logs.
MAX_PODS = 3
MAX_EVENTS = 5
LOG_LINES = 20
LINE_CHARS = 200
# Bytes of log read per container: LOG_LINES lines of up to a few hundred characters.
LOG_BYTES = 16384

# What the API answers (200) for the log of an instance the node no longer keeps: the kubelet
# keeps one dead instance per container, so a container in state "terminated" has no "previous".
NOT_KEPT = "unable to retrieve container logs for "

# key=value / key: value where the key names a credential, and bearer tokens.
SECRET_RE = re.compile(
    r"(?i)\b((?:[a-z0-9_.-]*)(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|credentials?)"
    r"[\"']?\s*[:=]\s*[\"']?)[^\s\"',;&]+")
BEARER_RE = re.compile(r"(?i)\b(bearer|basic)\s+[a-z0-9._~+/=-]{8,}")


class Unreadable(object):
    """A log or a pod's events that could not be read: why, in words (e.g. the identity may not
    read logs)."""

    def __init__(self, reason):
        self.reason = reason

    def __eq__(self, other):
        return isinstance(other, Unreadable) and other.reason == self.reason

    def __repr__(self):
        return "Unreadable(%r)" % self.reason


def clip(text, limit=LINE_CHARS):
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def redact(line):
    """A log line with credential-looking values masked (key=value pairs, bearer tokens)."""
    return BEARER_RE.sub(r"\1 <redacted>", SECRET_RE.sub(r"\1<redacted>", line))


def _statuses(pod):
    status = pod.get("status") or {}
    return (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])


def _trouble(cs):
    """How bad a container status looks: 0 fine, higher worse (the failing container is the worst)."""
    state = cs.get("state") or {}
    if (state.get("waiting") or {}).get("reason") not in (None, "ContainerCreating", "PodInitializing"):
        return 4
    terminated = state.get("terminated")
    if terminated and terminated.get("exitCode", 0) != 0:
        return 3
    if cs.get("restartCount", 0) > 0:
        return 2
    if not cs.get("ready") and not terminated:
        return 1
    return 0


def failing_container(pod):
    """The status of the pod's container in the worst state (init containers too), or None."""
    ranked = [cs for cs in _statuses(pod) if _trouble(cs)]
    return max(ranked, key=_trouble) if ranked else None


def pods_to_explain(pods, first=None, limit=MAX_PODS):
    """The pods worth explaining: the one a verdict names first, then the others not ready
    (being deleted or not), at most `limit`."""
    live = [p for p in pods or [] if not p["metadata"].get("deletionTimestamp")]
    picked = [p for p in live if p["metadata"]["name"] == first]
    picked += [p for p in live if p not in picked and not pod_ready(p)]
    return picked[:limit]


def log_requests(pod):
    """(container, previous) pairs of the logs worth reading for this pod: the failing
    container's current log when it has run, and its previous instance's when it restarted."""
    cs = failing_container(pod)
    if not cs:
        return []
    state = cs.get("state") or {}
    wanted = []
    if state.get("running") or state.get("terminated"):
        wanted.append((cs["name"], False))
    if (cs.get("lastState") or {}).get("terminated") or cs.get("restartCount", 0) > 0:
        wanted.append((cs["name"], True))
    return wanted


def container_line(cs):
    """The state of a container in words, e.g. "waiting CrashLoopBackOff, last terminated Error
    (exit code 1), 3 restarts"."""
    state = cs.get("state") or {}
    parts = []
    waiting = state.get("waiting") or {}
    if waiting:
        parts.append("waiting %s" % waiting.get("reason", "?"))
    elif state.get("terminated"):
        parts.append("terminated %s" % _terminated(state["terminated"]))
    elif state.get("running"):
        parts.append("running, %s" % ("ready" if cs.get("ready") else "not ready"))
    last = (cs.get("lastState") or {}).get("terminated")
    if last:
        parts.append("last terminated %s" % _terminated(last))
    restarts = cs.get("restartCount", 0)
    if restarts:
        parts.append("%d restart%s" % (restarts, "" if restarts == 1 else "s"))
    text = ", ".join(parts) or "no state reported"
    # Last: what the kubelet says of the wait (the image it cannot pull...). A crash loop's
    # back-off message only repeats the reason.
    if waiting.get("message") and waiting.get("reason") != "CrashLoopBackOff":
        text += ": " + waiting["message"]
    return text


def _terminated(t):
    text = "%s (exit code %s)" % (t.get("reason") or "?", t.get("exitCode"))
    if t.get("message"):
        text += ": " + clip(t["message"], 160)
    return text


def pod_line(pod):
    """The pod, its phase and its failing container's state, in one line."""
    status = pod.get("status") or {}
    head = "pod %s (%s%s)" % (pod["metadata"]["name"], status.get("phase") or "?",
                              (", node %s" % pod["spec"]["nodeName"]) if (pod.get("spec") or {}).get("nodeName") else "")
    cs = failing_container(pod)
    cond = unschedulable(pod)
    if cs:
        what = "container %s %s" % (cs.get("name"), container_line(cs))
    elif cond:
        what = "unschedulable: %s" % cond.get("message")
    elif status.get("reason") or status.get("message"):
        what = "%s %s" % (status.get("reason") or "", status.get("message") or "")
    else:
        what = "not ready"
    return clip("%s: %s" % (head, what))


def _event_time(e):
    return (e.get("lastTimestamp") or e.get("eventTime") or e.get("firstTimestamp")
            or (e.get("metadata") or {}).get("creationTimestamp") or "")


def last_events(events, pod_name, limit=MAX_EVENTS):
    """The pod's last `limit` events, oldest first, as lines "Warning BackOff (x5): message"."""
    mine = sorted((e for e in events or [] if (e.get("involvedObject") or {}).get("name") == pod_name),
                  key=_event_time)
    lines = []
    for e in mine[-limit:]:
        count = e.get("count") or ((e.get("series") or {}).get("count")) or 1
        lines.append(clip("%s %s%s: %s" % (e.get("type", "?"), e.get("reason", "?"),
                                           (" (x%d)" % count) if count > 1 else "", e.get("message"))))
    return lines


def log_tail(text, limit=LOG_LINES):
    """The last `limit` non-empty lines of a log, clipped and with credentials masked."""
    lines = [redact(clip(line)) for line in (text or "").splitlines() if line.strip()]
    return lines[-limit:]


def explain(pods, events=None, logs=None):
    """pods (those pods_to_explain() picked), their events (Event items, or an Unreadable when
    they could not be read) and logs ({(pod, container, previous): text or Unreadable}) ->
    dict(lines=[...], short="...", logged="...").

    lines: the full explanation, a pod's line then its events and log lines, indented; a log
    that repeats one shown for another pod is named, not repeated. short: the first pod's state
    and the last line its failing container logged, for a summary line. logged: that last line
    alone ('' when none), for a message that says the pod's state already.
    """
    logs = logs or {}
    lines, shown, short, logged = [], {}, "", ""
    for pod in pods:
        name = pod["metadata"]["name"]
        lines.append(pod_line(pod))
        if isinstance(events, Unreadable):
            lines.append("  events: %s" % events.reason)
        else:
            lines.extend("  " + clip("event: " + e) for e in last_events(events, name))
        last_line = ""
        for container, previous in log_requests(pod):
            which = "log of container %s%s" % (container, " (previous instance)" if previous else "")
            got = logs.get((name, container, previous))
            if got is None:
                continue
            if not isinstance(got, Unreadable) and got.startswith(NOT_KEPT):
                got = Unreadable("not kept by the node any more")
            if isinstance(got, Unreadable):
                lines.append("  %s: %s" % (which, got.reason))
                continue
            tail = log_tail(got)
            if not tail:
                lines.append("  %s: empty" % which)
                continue
            if previous or not last_line:  # the instance that stopped says why it stopped
                last_line = tail[-1]
            key = tuple(tail)
            if key in shown:
                lines.append("  %s: the same %d lines as %s" % (which, len(tail), shown[key]))
                continue
            shown[key] = "pod %s" % name
            lines.append("  %s, last %d lines:" % (which, len(tail)))
            lines.extend("    " + line for line in tail)
        if not short:
            logged = clip(last_line, 120)
            cs = failing_container(pod)
            short = "%s: %s" % (name, container_line(cs) if cs else pod_line(pod).split("): ", 1)[-1])
            if last_line:
                short += "; it logged: %s" % clip(last_line, 120)
    return dict(lines=lines, short=clip(short, 300), logged=logged)


def split_message(message):
    """A failure message as (reason, why): the reason before the explanation's HEADER line, and
    the explanation from a line break before the HEADER on ('' when there is none). The summary
    and helm's history take the reason; the failure message keeps both."""
    reason, marker, rest = str(message).partition("\n" + HEADER)
    return reason.strip(), (marker + rest) if marker else ""


def with_explanation(reason, lines):
    """`reason` followed by the explanation `lines` under the HEADER line (none: `reason` alone)."""
    return "\n".join([reason, HEADER] + list(lines)) if lines else reason


def short_for(explanation, named_pod):
    """What a verdict's message lacks, for its summary line: a verdict naming the pod explained
    first says its state already - the line it logged is what it lacks; any other verdict
    (ProgressDeadlineExceeded, a timeout) lacks the state too."""
    if named_pod and explanation["short"].startswith(named_pod + ":"):
        return ("it logged: " + explanation["logged"]) if explanation["logged"] else ""
    return explanation["short"]


def unreadable(exc, what):
    """An Unreadable for an API error met reading `what` (e.g. "pods/log"): the explanation
    says the identity may not read it (401, 403) or what the API answered, and goes on."""
    status = getattr(exc, "status", None)
    if status in (401, 403):
        return Unreadable("not readable with this identity (%s %s on %s)" % (
            status, getattr(exc, "reason", "") or "Forbidden", what))
    body = getattr(exc, "body", "") or ""
    try:
        message = json.loads(body).get("message") or ""
    except (ValueError, AttributeError):
        message = ""
    return Unreadable("not read: %s" % clip(message or str(exc), 160))
