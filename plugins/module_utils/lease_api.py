# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The release lock's requests: take the Lease (waiting a bounded time), renew it, give it back.

Every write is conditional on the resourceVersion just read, so when two runs race for a free or
expired Lease the API server lets one write through and answers the other 409; that one reads
again and waits. The decisions (free, mine, expired, held) are lease.judge's."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.kubeha.webapp.plugins.module_utils.kube_client import call_json, get_json
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_http import ApiError
from ansible_collections.kubeha.webapp.plugins.module_utils.lease import (
    LEASE_PATH,
    Observer,
    holder_of,
    holder_text,
    judge,
    lease_body,
    lease_name,
)


def _path(namespace, release=None):
    base = LEASE_PATH % namespace
    return base if release is None else "%s/%s" % (base, lease_name(release))


def read(client, namespace, release):
    return get_json(client, _path(namespace, release))


def write(client, namespace, release, body, live):
    """Create the Lease (none yet) or replace the one read (conditional: 409 if it changed)."""
    if live is None:
        return call_json(client, "POST", _path(namespace), body=body)
    return call_json(client, "PUT", _path(namespace, release), body=body)


def acquire(client, namespace, release, holder, details, duration, wait, poll=1.0,
            clock=time.monotonic, wall=time.time, sleep=time.sleep):
    """Take the Lease for `holder`, waiting up to `wait` seconds while another run holds it.

    Returns dict(held, lease, waited, waited_for (holder text of the run waited for, or None),
    took_over (holder text of an expired Lease taken over, or None), namespace_absent)."""
    observer, start, waited_for = Observer(), clock(), None
    while True:
        live = read(client, namespace, release)
        verdict = judge(live, holder, observer.saw(live, clock()))
        if verdict != "held":
            body = lease_body(namespace, release, holder, details, duration, wall(), previous=live)
            try:
                lease = write(client, namespace, release, body, live)
            except ApiError as exc:
                if exc.status == 404 and live is None:
                    return dict(held=False, lease=None, waited=clock() - start, waited_for=waited_for,
                                took_over=None, namespace_absent=True)
                if exc.status != 409:
                    raise
                continue  # another run wrote first: read again
            return dict(held=True, lease=lease, waited=clock() - start, waited_for=waited_for,
                        took_over=holder_text(live) if verdict == "expired" else None,
                        namespace_absent=False)
        waited_for = holder_text(live)
        if clock() - start >= wait:
            return dict(held=False, lease=live, waited=clock() - start, waited_for=waited_for,
                        took_over=None, namespace_absent=False)
        sleep(poll)


def renew(client, namespace, release, holder, details, duration, wall=time.time):
    """Renew this run's Lease. False when it is no longer this run's (given back, or lost)."""
    for _attempt in range(3):
        live = read(client, namespace, release)
        if holder_of(live) != holder:
            return False
        try:
            body = lease_body(namespace, release, holder, details, duration, wall(), previous=live)
            write(client, namespace, release, body, live)
            return True
        except ApiError as exc:
            if exc.status != 409:
                raise
    return True  # three writes raced with ours: still ours at the last read, try again next time


def release(client, namespace, release_name, holder):
    """Give the Lease back. Returns dict(released, lost, lease): lost when another holder has it
    (this run's Lease expired while it ran: something it did may have been undone). A Lease that
    is gone is not lost: nobody else took it (uninstall deleted its namespace)."""
    for _attempt in range(5):
        live = read(client, namespace, release_name)
        if live is None:
            return dict(released=False, lost=False, lease=None)
        if holder_of(live) != holder:
            return dict(released=False, lost=True, lease=live)
        meta = live["metadata"]
        options = dict(apiVersion="v1", kind="DeleteOptions",
                       preconditions=dict(uid=meta["uid"], resourceVersion=meta["resourceVersion"]))
        try:
            call_json(client, "DELETE", _path(namespace, release_name), body=options)
            return dict(released=True, lost=False, lease=live)
        except ApiError as exc:
            if exc.status == 404:
                return dict(released=False, lost=False, lease=None)
            if exc.status != 409:
                raise
    return dict(released=False, lost=False, lease=live)
