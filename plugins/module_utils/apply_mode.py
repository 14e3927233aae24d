# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""How helm 4 applies a change: server-side or client-side, and whether conflicts are forced.

helm 4's own default is kept, on purpose (`--server-side=auto`): a new release is applied
server-side, a release helm 3 installed stays client-side (its three-way merge, as before) until
told otherwise. A first helm 4 upgrade under load then changes the image and nothing about who
owns which field. When a change is applied server-side, conflicts are forced: the release's
values win over the fields a hand `kubectl scale` or `kubectl set image` took over (deploy's
check mode reports such hand changes before). helm 3 has neither flag."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

SERVER_SIDE_CHOICES = ("auto", "true", "false")


def helm_major(version):
    """3 from 'v3.18.6+g...', 4 from 'v4.3.1'; 0 when unknown."""
    m = re.match(r"^v?(\d+)\.", str(version or "").strip())
    return int(m.group(1)) if m else 0


def server_side_in_effect(server_side, applied_with):
    """Whether helm applies server-side: 'true'/'false' as asked; 'auto' follows the method the
    revision it builds on was applied with ('ssa' or 'csa'; None: a new release, server-side)."""
    if server_side == "auto":
        return applied_with is None or applied_with == "ssa"
    return server_side == "true"


def helm_flags(helm_version, server_side, applied_with):
    """{server_side, force_conflicts} for kubernetes.core.helm and `helm rollback`; both None with
    helm 3, which knows neither flag."""
    if helm_major(helm_version) < 4:
        return dict(server_side=None, force_conflicts=None)
    return dict(server_side=server_side, force_conflicts=server_side_in_effect(server_side, applied_with))


def release_flags(live, server_side="auto"):
    """helm_flags for the next upgrade of the release preflight read (webapp_live): helm builds
    on the newest revision of a release that exists; an uninstalled one starts anew."""
    live = live or {}
    applied_with = (live.get("release") or {}).get("apply_method") if live.get("exists") else None
    return helm_flags((live.get("helm") or {}).get("version"), server_side, applied_with)
