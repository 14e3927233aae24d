"""A failed upgrade under load (250 requests per second through the LoadBalancer address):
upgrade.yml to an image that starts but never gets ready is rolled back by the collection
itself (a tag the registry lacks is refused before any change: test_registry_image, and without
load, as nothing changes). With the image pulled from
the cluster's registry at every pod start and the pre-change image check switched off, an
upgrade to a tag that is in no registry, to the private registry's image without its pull
secret, and while the registry is stopped, is rolled back as soon as the pull fails, the
registry's own answer in the play's message. Not one request fails, and the old version serves
alone afterwards. The durations are printed by bench/failed_upgrade.py; this test asserts the
behaviour."""
from __future__ import annotations


import pytest

import failed_upgrade as fu  # bench/, on the path through conftest.py

pytestmark = [pytest.mark.cluster, pytest.mark.disruptive]

RATE = 250


def test_an_image_that_never_gets_ready_is_rolled_back_without_a_failed_request(deployed_by_collection):
    rel, url = deployed_by_collection
    before = rel.revision()
    out = fu.failed_upgrade(rel, url, "broken", RATE)
    print(out.line())
    assert out.play_rc != 0, "upgrade.yml must fail the play after rolling back"
    assert out.load.requests >= RATE * 5 and out.load.failed == 0, out.line()
    # One revision for the failed upgrade, one for the rollback to the old image.
    assert out.revision_after == before + 2 and out.image_after == out.image_before, out.line()
    assert out.bad_pods.first_seen is not None and out.bad_pods.restored is not None, out.line()


# What the play's failure says of each pull: the kubelet's reason and the registry's own answer.
PULL_FAILURES = {
    "absent": ("ErrImagePull", "not found"),
    "private": ("ErrImagePull", "no basic auth credentials"),
    "registry-down": ("ImagePullBackOff", "connection refused"),
}


@pytest.mark.parametrize("scenario", list(PULL_FAILURES))
def test_an_image_that_cannot_be_pulled_is_rolled_back_without_a_failed_request(deployed_pulling_always, scenario):
    rel, url = deployed_pulling_always
    before = rel.revision()
    out = fu.failed_upgrade(rel, url, scenario, RATE)
    print(out.line())
    reason, answer = PULL_FAILURES[scenario]
    assert out.play_rc != 0, "upgrade.yml must fail the play after rolling back"
    assert reason in out.play_output and answer in out.play_output, out.play_output[-3000:]
    assert out.load.failed == 0, out.line()
    assert out.revision_after == before + 2, out.line()
    assert out.image_after == f"{fu.registry()['public']}/kubeha/web:v1", out.line()
    assert out.bad_pods.first_seen is not None and out.bad_pods.restored is not None, out.line()
