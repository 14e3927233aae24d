# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The values of the next revision and whether a release may change: install, scale, upgrade.

``live`` is what ``kubeha.webapp.release_info`` read (``exists``, ``release`` with ``values``,
``image``, ``status``, ``pending``; ``chart.matches_deployed``; ``live.deployment``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
from collections.abc import Mapping

from ansible_collections.kubeha.webapp.plugins.module_utils.images import image_ref

CHART_NAME = "webapp"


def _trunc(name):
    return name[:63].rstrip("-")


def chart_fullname(release, values=None, chart_name=CHART_NAME):
    """The chart's ``webapp.fullname`` (templates/_helpers.tpl): fullnameOverride, else the release
    name when it contains the chart name (or nameOverride), else ``<release>-<name>``; 63 at most."""
    values = values or {}
    if values.get("fullnameOverride"):
        return _trunc(str(values["fullnameOverride"]))
    name = str(values.get("nameOverride") or chart_name)
    release = str(release)
    return _trunc(release if name in release else "%s-%s" % (release, name))


def deployment_name(live, release, values=None, override=""):
    """The Deployment a rollout watch follows: the setting when given; else the one the chart
    renders for the values about to be applied; else the one the release runs."""
    if override:
        return override
    if values is not None:
        return chart_fullname(release, values)
    dep = ((live or {}).get("live") or {}).get("deployment") or {}
    if dep.get("name"):
        return dep["name"]
    return chart_fullname(release, _live_values(live))


def _copy(value):
    """A deep copy of nested mappings and sequences as plain dicts, lists and tuples. Not
    copy.deepcopy: the values of a filter's arguments can be ansible-core's lazy template
    containers, whose deep copy also copies the templar and its plugin loaders (deprecated in
    ansible-core 2.21: "Instantiating filter PluginLoader with aliases")."""
    if isinstance(value, Mapping):
        return dict((key, _copy(item)) for key, item in value.items())
    if isinstance(value, tuple):
        return tuple(_copy(item) for item in value)
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return copy.deepcopy(value)


def _merge(base, override):
    out = _copy(base or {})
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = _copy(value)
    return out


def _live_values(live):
    return (live["release"].get("values") or {}) if (live or {}).get("exists") else {}


def change_blocker(live, operation, chart_ref, allow_chart_change=False):
    """Why ``operation`` (scale or upgrade) cannot change this release, or '' when it can."""
    if not (live or {}).get("exists"):
        return "it is not installed (run deploy.yml first)"
    release = live["release"]
    if release.get("pending"):
        return "it is %s (an operation was interrupted; roll back with rollback.yml first)" % release.get("status")
    if operation == "scale" and ((release.get("values") or {}).get("autoscaling") or {}).get("enabled"):
        return "autoscaling.enabled is on: the HorizontalPodAutoscaler owns the replica count"
    chart = live.get("chart") or {}
    if not chart.get("matches_deployed") and not allow_chart_change:
        return ("the local chart %s differs from the chart the release runs (%s); deploy it with deploy.yml "
                "first, or set webapp_allow_chart_change=true" % (chart_ref, ", ".join(chart.get("changed_files") or [])))
    return ""


def pinned_digest(live, image, checked="", pin=False):
    """The digest to pin an image to (webapp_image_pin_digest), so that its revision - and a
    rollback to it - runs exactly what was checked even when the tag moves later. ``image`` is
    what the settings name (repository, tag, digest). No digest without pin or when the settings name a
    digest; the digest the registry named for the tag; with no check run, the digest the release
    already runs for the same repository and tag (a second run changes nothing)."""
    if not pin or image.get("digest"):
        return ""
    if checked:
        return checked
    running = ((live or {}).get("release") or {}).get("image") or {} if (live or {}).get("exists") else {}
    if running.get("repository") == image.get("repository") and running.get("tag") == image.get("tag"):
        return running.get("digest") or ""
    return ""


def install_plan(live, s, checked=""):
    """Values of an install (or reconfiguration): install_values with the image, replicas and
    change cause the inventory names, except on an installed release without
    install_override_live, which keeps the image and replicas it runs (set by scale, upgrade or
    rollback). ``checked``: the digest the image check named, pinned with webapp_image_pin_digest.
    Returns values, kept_live (the inventory's were not applied), image_ref (what the values run)
    and check_ref (what the pre-change image check asks for: the settings' image, by tag when
    they name one)."""
    live_values = _live_values(live)
    keep = bool((live or {}).get("exists")) and not s.get("install_override_live")
    repo = s.get("install_image_repository") or ""
    named = dict(repository=repo, tag=s.get("install_image_tag") or "", digest=s.get("install_image_digest") or "")
    wanted_ref = image_ref(repo, named["tag"], named["digest"])
    pinned = pinned_digest(live, named, checked, s.get("webapp_image_pin_digest"))
    wanted = dict(image=dict(named, digest=named["digest"] or pinned), replicas=int(s.get("install_replicas")))
    if keep:
        live_image = live_values.get("image") or {}
        owned = dict(image=dict(repository=live_image.get("repository") or repo, tag=live_image.get("tag") or "",
                                digest=live_image.get("digest") or ""),
                     replicas=int(live_values.get("replicas", wanted["replicas"])),
                     changeCause=live_values.get("changeCause") or "")
    else:
        owned = dict(wanted, changeCause=s.get("install_change_cause") or "kubeha.webapp install of " + wanted_ref)
    values = _merge(s.get("install_values") or {}, owned)
    kept_live = keep and dict(image=owned["image"], replicas=owned["replicas"]) != wanted
    image = values["image"]
    ref = image_ref(image["repository"], image["tag"], image["digest"])
    kept_message = ""
    if kept_live:
        kept_message = ("runs %s with %s replicas (set by scale, upgrade or rollback); the inventory says %s "
                        "with %s. install keeps the live ones: use upgrade.yml or scale.yml to change them, or set "
                        "install_override_live=true." % (ref, owned["replicas"], wanted_ref, wanted["replicas"]))
    return dict(values=values, kept_live=kept_live, kept_message=kept_message, wanted_ref=wanted_ref,
                image_ref=ref, check_ref=ref if keep else wanted_ref, image_setting=_image_setting("install_image_", s))


def _image_setting(prefix, s):
    """The setting that names the new image, for messages: the digest when set, else the tag."""
    digest = s.get(prefix + "digest")
    return "%sdigest=%s" % (prefix, digest) if digest else "%stag=%s" % (prefix, s.get(prefix + "tag") or "")


def upgrade_plan(live, s, checked=""):
    """Values of an upgrade: the live values, upgrade_values over them, and the new image. A
    tag-only upgrade clears an earlier digest (which would win) unless webapp_image_pin_digest
    pins it to ``checked`` (the digest the image check named; see pinned_digest); a digest-only
    upgrade keeps the tag as a label. Returns values, from_ref, to_ref (the settings' image, what
    the image check asks for)."""
    release = live["release"]
    current = release.get("image") or {}
    repo = s.get("upgrade_image_repository") or current.get("repository") or ""
    tag, digest = s.get("upgrade_image_tag") or "", s.get("upgrade_image_digest") or ""
    to_ref = image_ref(repo, tag, digest)
    digest = digest or pinned_digest(live, dict(repository=repo, tag=tag, digest=digest), checked,
                                     s.get("webapp_image_pin_digest"))
    same = image_ref(repo, tag, digest) == current.get("ref")
    cause = s.get("upgrade_change_cause") or ""
    if same and not cause:
        cause = (release.get("values") or {}).get("changeCause") or ""
    elif not cause:
        cause = "kubeha.webapp upgrade %s -> %s" % (current.get("ref"), to_ref)
    image = dict(repository=repo, tag=tag or current.get("tag") or "", digest=digest)
    # An upgrade ends with every request on one track: a canary left in progress is not carried.
    base = dict((k, v) for k, v in (release.get("values") or {}).items() if k != "canary")
    values = _merge(_merge(base, s.get("upgrade_values") or {}), dict(image=image, changeCause=cause))
    # A canary needs a new version to try: with the running image the values go out as a rolling
    # upgrade would apply them (nothing, when they are the release's).
    strategy = s.get("upgrade_strategy") or "rolling"
    if same:
        strategy = "rolling"
    return dict(values=values, from_ref=current.get("ref"), to_ref=to_ref, image_setting=_image_setting("upgrade_image_", s),
                strategy=strategy)


def scale_values(live, replicas):
    return dict(_live_values(live), replicas=int(replicas))


def image_check_policy(live, values, ref):
    """The pull policy a pre-change image check must honour, or 'skip' when the release already
    runs this image (nothing new to pull)."""
    if (live or {}).get("exists") and (live["release"].get("image") or {}).get("ref") == ref:
        return "skip"
    return ((values or {}).get("image") or {}).get("pullPolicy") or "Always"  # the chart's default


def watch_plan(live, next_verify=None):
    """How the rollout watch after a helm change runs, given the verify that follows it (verify's
    ``next``: checks, path, client image; empty when none follows):

    - ``was_ready``: every replica of the Deployment read before the change was available and up
      to date; with no change from helm there is then nothing to watch;
    - ``until``: ``ready`` (every new replica ready) when that verify checks the replicas - it then
      checks the access paths while the last minReadySeconds pass and waits for the rest - else
      ``complete``;
    - ``probe``: start the traffic probe that verify's ClusterIP check takes over.
    """
    dep = (((live or {}).get("live") or {}).get("deployment") or {}) if (live or {}).get("exists") else {}
    was_ready = bool(dep) and dep.get("available") == dep.get("replicas") == dep.get("updated") == dep.get("current")
    next_verify = next_verify or {}
    checks = next_verify.get("checks") or []  # none named: verify runs every check
    follows = bool(next_verify)
    return dict(was_ready=was_ready,
                until="ready" if follows and (not checks or "replicas" in checks) else "complete",
                probe=follows and (not checks or "clusterip" in checks))
