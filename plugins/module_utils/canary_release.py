# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The revisions of a canary upgrade, with no I/O: the release values of every phase and the
description helm history keeps for each.

A canary upgrade never changes the stable track until the canary has passed every step:

1. start: the canary's pods start with weight 0 (no request reaches a pod before it is ready);
   steps: the release's own values (stable image unchanged) plus ``canary`` (the new image, its
   pod count, the step's weight), one revision per step;
2. promote: the upgrade's values (the stable Deployment takes the new image by a rolling update)
   while the canary still takes the last step's weight (100: every request), so the stable pods
   roll with no traffic on them;
3. settle: weight 0, every request back on the stable track, which now runs the new image;
4. final: the upgrade's values alone, the canary removed: what a rolling upgrade leaves.

An abort sets the weight to 0 first (every request on the untouched stable track at once) and only
then removes the canary. A release found with ``canary.enabled`` (a run stopped mid-way) is a
canary in progress: any upgrade aborts it first (the documented rule), rollback.yml too.

Blue/green is the same track with one step: the new version (green) starts beside the running one
(blue) at full size with no user traffic, answers on its preview hostnames (a second HTTPRoute
that sends everything to it) where it is verified, then takes every request in one switch. Blue
stays scaled up for ``upgrade_blue_green_hold_seconds`` while the analysis judges green on all
the traffic: a failure switches back (the route patched: about a second). After the hold, blue's
Deployment takes the new image and green goes, as a canary's promotion. A canary upgrade has the
preview too, when its hostnames can be named: the canary is verified there before its first step.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

from ansible_collections.kubeha.webapp.plugins.module_utils import canary_plan, revisions
from ansible_collections.kubeha.webapp.plugins.module_utils.helm_description import description
from ansible_collections.kubeha.webapp.plugins.module_utils.images import image_ref
from ansible_collections.kubeha.webapp.plugins.module_utils.release_plan import chart_fullname

STRATEGIES = ("rolling", "canary", "blue_green")

# The strategies that run the new version on the canary track first.
PROGRESSIVE = ("canary", "blue_green")

# What each says in helm history and in messages.
_WORDS = dict(canary="canary", blue_green="blue/green")

PREVIEW_PREFIX = "preview-"

# RFC 1123 DNS name, as the chart's schema checks route hostnames (no wildcard for a preview).
_HOSTNAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


# Settings the analysis reads as numbers; -e key=value hands them over as text.
_NUMBERS = ("upgrade_canary_pause_seconds", "upgrade_canary_max_error_rate", "upgrade_canary_max_p99_ms",
            "upgrade_canary_min_requests", "upgrade_canary_replicas", "upgrade_blue_green_hold_seconds")


def _number(text):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def typed(s):
    """The settings with numbers given as text (-e upgrade_canary_pause_seconds=5) as numbers;
    anything else is left for the checks to name."""
    s = dict(s or {})
    for key in _NUMBERS:
        if isinstance(s.get(key), str):
            s[key] = _number(s[key].strip())
    steps = s.get("upgrade_canary_steps")
    if isinstance(steps, str):
        steps = steps.replace(",", " ").split()
    if isinstance(steps, (list, tuple)):
        s["upgrade_canary_steps"] = [_number(step.strip()) if isinstance(step, str) else step for step in steps]
    hosts = s.get("upgrade_preview_hostnames")
    if isinstance(hosts, str):
        s["upgrade_preview_hostnames"] = hosts.replace(",", " ").split()
    return s


def preview_hostnames(values, s):
    """The hostnames the new track answers on before it takes user traffic: upgrade_preview_hostnames,
    or ``preview-<host>`` for each hostname of the release's route (a wildcard one has no name to
    derive from). [] when there is none."""
    given = s.get("upgrade_preview_hostnames") or []
    if given:
        return list(given)
    route = (values or {}).get("httpRoute") or {}
    return [PREVIEW_PREFIX + h for h in route.get("hostnames") or [] if isinstance(h, str) and h and "*" not in h]


def _preview_errors(values, s, strategy):
    given = s.get("upgrade_preview_hostnames") or []
    if not isinstance(given, (list, tuple)) or not all(isinstance(h, str) for h in given):
        return ["upgrade_preview_hostnames=%s must be a list of hostnames" % (given,)]
    found = ["upgrade_preview_hostnames[%d]=%s must be a DNS name (RFC 1123, lower case, no wildcard)" % (i, h)
             for i, h in enumerate(given) if len(h) > 253 or not _HOSTNAME_RE.match(h)]
    served = set(((values or {}).get("httpRoute") or {}).get("hostnames") or [])
    found.extend("upgrade_preview_hostnames[%d]=%s is a hostname of the release's route: the preview needs its own"
                 % (i, h) for i, h in enumerate(given) if h in served)
    if strategy == "blue_green" and not found and not preview_hostnames(values, s):
        found.append("upgrade_strategy=blue_green verifies the new version on a preview hostname before the switch, and "
                     "none can be derived (the release's route names no hostname): set upgrade_preview_hostnames")
    return found


def _strategy(s):
    chosen = dict((k, v) for k, v in s.items() if k in canary_plan.DEFAULTS)
    if s.get("upgrade_strategy") == "blue_green":
        # One switch, held and judged as long as the previous version stays up; a hold that is no
        # whole number is named by errors() as the setting it is, not as a pause.
        hold = s.get("upgrade_blue_green_hold_seconds", 60)
        chosen.update(upgrade_canary_steps=[100], upgrade_canary_pause_seconds=hold if _seconds(hold) else 0)
    return canary_plan.strategy(chosen)


def _seconds(hold):
    return isinstance(hold, int) and not isinstance(hold, bool) and hold >= 1


def _values(live):
    return copy.deepcopy(((live or {}).get("release") or {}).get("values") or {}) if (live or {}).get("exists") else {}


def without_canary(values):
    """The values with no canary track (every request on the stable one)."""
    values = copy.deepcopy(values or {})
    values.pop("canary", None)
    return values


def in_progress(live):
    """The canary the release runs (its current revision has ``canary.enabled``; see
    revisions.canary_in_progress), or None: weight, image (the whole reference), revision,
    description."""
    if not (live or {}).get("exists"):
        return None
    found = revisions.canary_in_progress(live["release"])
    if found is None:
        return None
    values = live["release"].get("values") or {}
    img = values["canary"].get("image") or {}
    repo = img.get("repository") or (values.get("image") or {}).get("repository") or ""
    return dict(found, image=image_ref(repo, img.get("tag") or "", img.get("digest") or ""))


def in_progress_text(canary):
    return ("a canary is in progress: %d%% of the traffic to %s (revision %s)"
            % (canary["weight"], canary["image"], canary["revision"]))


def errors(live, plan, s):
    """Why this canary upgrade cannot start, each naming the setting or value; [] when it can."""
    s = typed(s)
    strategy = s.get("upgrade_strategy") or "rolling"
    if strategy not in STRATEGIES:
        return ["upgrade_strategy=%s must be one of %s" % (strategy, ", ".join(STRATEGIES))]
    if plan.get("strategy") not in PROGRESSIVE:
        return []
    found = _strategy(s)[1]
    values = plan["values"]
    if not (values.get("httpRoute") or {}).get("enabled"):
        found.append("upgrade_strategy=%s splits the traffic by weight on the release's HTTPRoute, and the release "
                     "has none (httpRoute.enabled is false): enable the route or use upgrade_strategy=rolling" % strategy)
    else:
        found.extend(_preview_errors(values, s, strategy))
    hold = s.get("upgrade_blue_green_hold_seconds", 60)
    if strategy == "blue_green" and not _seconds(hold):
        found.append("upgrade_blue_green_hold_seconds=%s must be a whole number of seconds >= 1 (the previous version "
                     "stays up, every request on the new one judged, that long)" % (hold,))
    urls = s.get("upgrade_canary_metrics_urls")
    if not isinstance(urls, (list, tuple)) or not urls or not all(isinstance(u, str) and u for u in urls):
        found.append("upgrade_canary_metrics_urls must list the Prometheus text endpoints of the Gateway's data plane "
                     "(every replica), e.g. [http://10.0.0.5:8082/metrics]: the analysis reads the canary's traffic there")
    replicas = s.get("upgrade_canary_replicas", 0)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        found.append("upgrade_canary_replicas=%s must be a whole number >= 0 (0: as many as the stable track)" % (replicas,))
    return found


def _canary(image, replicas, weight, preview=()):
    canary = dict(enabled=True, image=dict(repository=image.get("repository") or "", tag=image.get("tag") or "",
                                           digest=image.get("digest") or ""),
                  replicas=int(replicas), weight=int(weight))
    if preview:
        canary["preview"] = dict(hostnames=list(preview))
    return canary


def phases(live, plan, s, release):
    """Every revision of the canary or blue/green upgrade of ``live`` (release_info's result) to
    ``plan`` (release_plan.upgrade_plan's), settings ``s`` already checked by ``errors``."""
    s = typed(s)
    kind = s.get("upgrade_strategy") if s.get("upgrade_strategy") in PROGRESSIVE else "canary"
    word = _WORDS[kind]
    track = "canary" if kind == "canary" else "new track"
    stable = without_canary(_values(live))
    target = without_canary(plan["values"])
    image = target.get("image") or {}
    replicas = int(s.get("upgrade_canary_replicas") or 0) or int(stable.get("replicas") or 1)
    strategy = _strategy(s)[0]
    steps = strategy.steps
    to_ref, from_ref = plan["to_ref"], plan["from_ref"]
    fullname = chart_fullname(release, target)
    canary_name = "%s-canary" % fullname[:56].rstrip("-")
    preview = preview_hostnames(target, s)

    def with_canary(values, weight):
        return dict(values, canary=_canary(image, replicas, weight, preview))

    if kind == "blue_green":
        step_texts = ["kubeha.webapp blue/green switch: every request to %s, %s kept %ds to switch back to"
                      % (to_ref, from_ref, strategy.pause_seconds)]
        done = "changed by blue/green: switched, held %s s with every request, then promoted" % strategy.pause_seconds
    else:
        step_texts = ["kubeha.webapp canary %d/%d: %d%% of the traffic to %s" % (n + 1, len(steps), w, to_ref)
                      for n, w in enumerate(steps)]
        done = "changed by canary: %s%% passed, then promoted" % "% -> ".join(str(w) for w in steps)
    start = "kubeha.webapp %s 0/%d: %s starts beside the stable track, no traffic yet" % (word, len(steps), to_ref)
    if preview:
        start += ", preview on %s" % ", ".join(preview)
    return dict(
        start=dict(values=with_canary(stable, 0), description=description(start)),
        steps=[dict(index=n + 1, weight=w, values=with_canary(stable, w), description=description(step_texts[n]))
               for n, w in enumerate(steps)],
        promote=dict(values=with_canary(target, steps[-1]), description=description(
            "kubeha.webapp %s promote: the stable track takes %s while the %s serves" % (word, to_ref, track))),
        settle=dict(values=with_canary(target, 0), description=description(
            "kubeha.webapp %s promote: every request on the stable track, now %s" % (word, to_ref))),
        final=dict(values=target, description=description(
            "kubeha.webapp upgrade %s -> %s by %s: %s removed" % (from_ref, to_ref, word, track))),
        abort=abort(live, "the %s of %s" % (track, to_ref), image=image, replicas=replicas, stable=stable, word=word),
        strategy=kind,
        word=word,
        done=done,
        image=dict(tag=image.get("tag") or "", digest=image.get("digest") or "", ref=to_ref),
        preview=preview,
        pause_seconds=strategy.pause_seconds,
        thresholds=strategy.thresholds._asdict(),
        names=dict(stable=fullname, canary=canary_name, route=fullname, preview=preview_route_name(fullname)),
        replicas=replicas,
    )


def preview_route_name(fullname):
    """The preview HTTPRoute's name, as the chart's webapp.canaryPreviewName makes it."""
    return "%s-canary-preview" % fullname[:48].rstrip("-")


def abort(live, what, image=None, replicas=None, stable=None, word="canary"):
    """The two revisions of an abort: weight 0 (the canary still runs, no request reaches it),
    then the canary removed. ``image``/``replicas`` of the canary (default: the live one)."""
    values = _values(live)
    stable = without_canary(values) if stable is None else stable
    live_canary = values.get("canary") or {}
    image = image if image is not None else (live_canary.get("image") or {})
    replicas = replicas if replicas is not None else int(live_canary.get("replicas") or 1)
    return [dict(values=dict(stable, canary=_canary(image, replicas, 0)),
                 description=description("kubeha.webapp %s abort: %s takes no traffic" % (word, what))),
            dict(values=stable, description=description("kubeha.webapp %s abort: %s removed" % (word, what)))]


def route_patch(route, canary_service):
    """A JSON patch (RFC 6902) of the live HTTPRoute ``route`` that sends every request of each
    rule splitting to ``canary_service`` to the rule's other backend: canary weight 0, the other
    100. An abort applies it before helm writes the same state, because a patch reaches the
    Gateway in a tenth of a second and a helm upgrade takes seconds. Each changed backendRef is
    tested by name first, so a route changed since it was read is refused, not mis-patched.
    [] when no rule sends anything to the canary."""
    ops = []
    for i, rule in enumerate(((route or {}).get("spec") or {}).get("rules") or []):
        refs = rule.get("backendRefs") or []
        if not any(ref.get("name") == canary_service for ref in refs):
            continue
        for j, ref in enumerate(refs):
            path = "/spec/rules/%d/backendRefs/%d" % (i, j)
            ops.append(dict(op="test", path=path + "/name", value=ref.get("name")))
            ops.append(dict(op="add", path=path + "/weight", value=0 if ref.get("name") == canary_service else 100))
    return ops
