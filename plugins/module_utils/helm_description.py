# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""A helm revision's description as helm accepts it (standard library only: filters use it)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# helm refuses a --description longer than this (helm upgrade, helm rollback).
DESCRIPTION_MAX = 256


def description(text):
    """``text`` as a helm revision's description: on one line, and cut to what helm accepts, with
    an ellipsis where it was cut (hand changes and image references make long reasons)."""
    flat = " ".join((text or "").split())
    if len(flat) <= DESCRIPTION_MAX:
        return flat
    return flat[:DESCRIPTION_MAX - 3].rstrip() + "..."
