# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Where the chart comes from: a chart directory (the default, the collection's own chart), or an
OCI artifact ``oci://REGISTRY/PATH/CHART`` at a version (how charts are published: ``helm push``),
pulled once into a directory on the controller and deployed from there, so that every role reads
and applies the same files whatever their source."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

OCI_PREFIX = "oci://"
# oci://host[:port]/path/.../chart - the chart's name is the last segment; no tag or digest in it:
# the version is a setting of its own, as with `helm install oci://... --version`.
OCI_CHART_RE = re.compile(r"^oci://[A-Za-z0-9.-]+(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)+$")
# Helm's chart versions are SemVer 2 (a leading v is tolerated by helm; so it is here).
SEMVER_RE = re.compile(r"^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
                       r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$")


def is_oci(ref):
    return str(ref or "").startswith(OCI_PREFIX)


def errors(ref, version):
    """What is wrong with webapp_chart_ref / webapp_chart_version, each naming the setting."""
    ref, version = str(ref or ""), str(version or "")
    if not ref:
        return ["webapp_chart_ref must not be empty (a chart directory, or oci://REGISTRY/PATH/CHART)"]
    if is_oci(ref):
        found = []
        if not OCI_CHART_RE.match(ref):
            found.append("webapp_chart_ref=%s is not an OCI chart reference: oci://REGISTRY/PATH/CHART, "
                         "without a tag (its version goes in webapp_chart_version)" % ref)
        if not version:
            found.append("webapp_chart_version must name the version of the OCI chart %s" % ref)
        elif not SEMVER_RE.match(version):
            found.append("webapp_chart_version=%s is not a chart version (SemVer 2, e.g. 1.4.0)" % version)
        return found
    if "://" in ref:
        return ["webapp_chart_ref=%s: a chart is a directory or an oci:// reference" % ref]
    if version:
        return ["webapp_chart_version=%s applies to an oci:// chart only: webapp_chart_ref=%s is a directory, "
                "whose Chart.yaml gives the version" % (version, ref)]
    return []


def source(ref, version="", pull_dir=""):
    """How the roles get the chart: ``dir`` (what they read and apply), and for an OCI chart
    ``pull`` (True), ``destination`` (where helm pull --untar puts it: one directory per
    registry path and version, so versions never overwrite each other) and ``name``."""
    ref = str(ref or "")
    if not is_oci(ref):
        return dict(pull=False, dir=ref, destination="", name="")
    path = ref[len(OCI_PREFIX):]
    name = path.rsplit("/", 1)[-1]
    destination = "%s/%s/%s" % (str(pull_dir).rstrip("/"), re.sub(r"[^A-Za-z0-9._-]", "_", path), version)
    return dict(pull=True, dir="%s/%s" % (destination, name), destination=destination, name=name)
