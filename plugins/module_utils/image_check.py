# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The pre-change image check against the registry, as the roles use it: the pull secrets it
asks with, why it refuses an image (naming the setting that chose it), and the digest it
checked, recorded in the release's change cause.

``result`` is what kubeha.webapp.registry_image returned (registered with failed_when false).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.kubeha.webapp.plugins.module_utils.images import image_of

# How the checked digest is written after the change cause (kubectl rollout history shows it).
DIGEST_NOTE = "(image digest %s)"
_NOTE_RE = re.compile(r"\s*\(image digest sha256:[a-f0-9]{64}\)$")


def pull_secret_names(values, setting=None):
    """The pull secrets the check asks with: the setting when given (a list, [] for none), else
    the names in the values' imagePullSecrets (entries {name: ...}, as the chart takes them)."""
    if setting is not None:
        return [str(name) for name in setting]
    names = []
    for entry in (values or {}).get("imagePullSecrets") or []:
        name = entry.get("name") if isinstance(entry, dict) else entry
        if name:
            names.append(str(name))
    return names


def refusal(result, setting, pull_secrets=None):
    """'' when the registry holds the image (or the check did not run); else why the change is
    refused, starting with the setting that named the image (e.g. upgrade_image_tag=v9)."""
    result = result or {}
    if result.get("skipped") or result.get("exists"):
        return ""
    pull_secrets = list(pull_secrets or [])
    if result.get("failed") or "outcome" not in result:
        # A pull secret that cannot be read (the only failure left once the settings are valid).
        return "webapp_image_pull_secrets=%s: %s" % (json.dumps(pull_secrets), result.get("msg") or "the image check failed")
    image, registry, reason = result.get("image"), result.get("registry"), result.get("reason") or ""
    outcome = result.get("outcome")
    if outcome == "missing":
        return "%s: image %s does not exist in registry %s (%s)" % (setting, image, registry, reason)
    if outcome == "unauthorized":
        asked = ("with the pull secrets %s" % ", ".join(pull_secrets) if pull_secrets else
                 "without credentials (no pull secret: webapp_image_pull_secrets and the release's "
                 "imagePullSecrets name none)")
        return ("%s: registry %s refused image %s %s (%s), so the pods could not pull it either"
                % (setting, registry, image, asked, reason))
    hint = "set webapp_image_check=false to change the release anyway"
    if "CERTIFICATE_VERIFY_FAILED" in reason:
        # The controller lacks the registry's CA; the nodes may well have it.
        hint = "webapp_registry_ca_file names the CA of a registry with a CA of its own"
    return ("%s: registry %s of image %s cannot be reached (%s), so the pods could not pull it either (%s)"
            % (setting, registry, image, reason, hint))


def _without_note(cause):
    return _NOTE_RE.sub("", str(cause or ""))


def with_checked_digest(values, live, digest=""):
    """The values with the checked digest noted after their changeCause. With no digest checked
    (the release already runs this image), a note the live values carry for the same image is
    kept, so that running the same settings again changes nothing."""
    values = dict(values or {})
    cause = _without_note(values.get("changeCause"))
    if digest:
        note = DIGEST_NOTE % digest
        values["changeCause"] = "%s %s" % (cause, note) if cause else note
        return values
    live = live or {}
    release = live.get("release") or {}
    live_cause = str((release.get("values") or {}).get("changeCause") or "")
    same_image = (release.get("image") or {}).get("ref") == image_of(values)["ref"]
    if live.get("exists") and same_image and live_cause != cause and _without_note(live_cause) == cause:
        values["changeCause"] = live_cause
    return values
