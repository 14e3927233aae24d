# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""One operation at a time per release: a ``coordination.k8s.io`` Lease in the release's
namespace, as Kubernetes' own leader election uses one.

A run holds the Lease from its first read to its last check and renews it while it runs; a second
run waits a bounded time, then refuses naming the holder. A run that was killed stops renewing,
and its Lease is free once it has gone unrenewed for its duration.

Expiry is judged the way client-go's leader election judges it: by how long *this* client has
seen the Lease unchanged, never by comparing the holder's clock (renewTime) with ours, so two
controllers with skewed clocks cannot both hold it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

LEASE_PATH = "/apis/coordination.k8s.io/v1/namespaces/%s/leases"
ANNOTATION_PREFIX = "kubeha.io/lock-"
# What a holder tells the runs that wait for it (annotations of the Lease).
DETAILS = ("play", "cluster", "operation", "controller")


def lease_name(release):
    return "kubeha-lock-%s" % release


def micro_time(now):
    """A MicroTime as the API server writes it: RFC 3339 with microseconds, UTC."""
    return datetime.datetime.fromtimestamp(now, tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def lease_body(namespace, release, holder, details, duration, now, previous=None):
    """The Lease this run writes to take or renew it. `previous` (the live Lease) carries the
    resourceVersion that makes the write conditional (a 409 when someone else wrote first) and
    the acquireTime to keep when the run renews its own Lease."""
    spec = dict(holderIdentity=holder, leaseDurationSeconds=int(duration), renewTime=micro_time(now))
    metadata = dict(name=lease_name(release), namespace=namespace,
                    labels={"app.kubernetes.io/managed-by": "kubeha", "app.kubernetes.io/instance": release},
                    annotations=dict((ANNOTATION_PREFIX + k, str(v)) for k, v in sorted(details.items())))
    mine_before = previous is not None and holder_of(previous) == holder
    spec["acquireTime"] = (previous["spec"].get("acquireTime") if mine_before else None) or micro_time(now)
    if previous is not None:
        metadata["resourceVersion"] = previous["metadata"]["resourceVersion"]
        spec["leaseTransitions"] = int((previous.get("spec") or {}).get("leaseTransitions") or 0) + (
            0 if mine_before else 1)
    return dict(apiVersion="coordination.k8s.io/v1", kind="Lease", metadata=metadata, spec=spec)


def holder_of(lease):
    return ((lease or {}).get("spec") or {}).get("holderIdentity") or ""


def duration_of(lease):
    return int(((lease or {}).get("spec") or {}).get("leaseDurationSeconds") or 0)


class Observer(object):
    """Remembers when this client first saw each version of the Lease (a monotonic clock)."""

    def __init__(self):
        self.version = None
        self.since = None

    def saw(self, lease, now):
        version = (lease or {}).get("metadata", {}).get("resourceVersion")
        if self.since is None or version != self.version:
            self.version, self.since = version, now
        return now - self.since


def judge(lease, holder, unchanged_for):
    """What this run may do with the live Lease: 'free' (none, or released: create or take it),
    'mine' (this run holds it), 'expired' (another holder stopped renewing: take it over) or
    'held' (wait)."""
    current = holder_of(lease)
    if lease is None or not current:
        return "free"
    if current == holder:
        return "mine"
    if unchanged_for >= duration_of(lease):
        return "expired"
    return "held"


def holder_text(lease):
    """The holder as a waiting run names it: who, from which play, on which cluster, since when."""
    if lease is None:
        return "nobody"
    spec = lease.get("spec") or {}
    notes = (lease.get("metadata") or {}).get("annotations") or {}
    detail = dict((k, notes.get(ANNOTATION_PREFIX + k)) for k in DETAILS)
    text = holder_of(lease) or "nobody"
    parts = []
    if detail["play"]:
        parts.append("play %r" % detail["play"])
    if detail["operation"]:
        parts.append("operation %s" % detail["operation"])
    if detail["cluster"]:
        parts.append("cluster %s" % detail["cluster"])
    if parts:
        text += " (%s)" % ", ".join(parts)
    if spec.get("acquireTime"):
        text += " since %s" % spec["acquireTime"]
    if spec.get("renewTime"):
        text += ", last renewed %s" % spec["renewTime"]
    return text


def refusal(release, namespace, lease, waited):
    return ("release %s in namespace %s is locked by another run: %s. Waited %d s "
            "(webapp_lock_wait). Run again once it has finished; a run that was killed leaves the "
            "lock to expire by itself %d s after its last renewal."
            % (release, namespace, holder_text(lease), int(waited), duration_of(lease)))
