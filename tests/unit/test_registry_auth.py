"""Registry credentials (plugins/module_utils/registry_auth.py): what a pull secret holds, which
entry the kubelet would use for an image, and what a registry's challenge asks for."""
from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.kubeha.webapp.plugins.module_utils import registry_auth


def b64(text):
    return base64.b64encode(text.encode()).decode()


def secret(name, auths, kind="kubernetes.io/dockerconfigjson"):
    key = ".dockerconfigjson" if kind.endswith("dockerconfigjson") else ".dockercfg"
    doc = {"auths": auths} if key == ".dockerconfigjson" else auths
    return {"metadata": {"name": name}, "type": kind, "data": {key: b64(json.dumps(doc))}}


def test_a_dockerconfigjson_and_a_dockercfg_secret_give_their_auths():
    auths = {"reg:5001": {"auth": b64("u:p")}}
    assert registry_auth.secret_auths(secret("a", auths)) == auths
    assert registry_auth.secret_auths(secret("b", auths, "kubernetes.io/dockercfg")) == auths


@pytest.mark.parametrize("obj, says", [
    ({"metadata": {"name": "s"}, "type": "Opaque", "data": {}}, "Secret s has type Opaque, not"),
    ({"metadata": {"name": "s"}, "type": "kubernetes.io/dockerconfigjson", "data": {}}, "has no .dockerconfigjson"),
    ({"metadata": {"name": "s"}, "type": "kubernetes.io/dockerconfigjson",
      "data": {".dockerconfigjson": b64("{not json")}}, "is not JSON"),
    ({"metadata": {"name": "s"}, "type": "kubernetes.io/dockerconfigjson",
      "data": {".dockerconfigjson": b64('{"auths": []}')}}, "holds no auths mapping"),
])
def test_a_secret_that_holds_no_registry_credentials_is_refused_by_name(obj, says):
    with pytest.raises(registry_auth.BadSecret, match=says):
        registry_auth.secret_auths(obj)


def test_credentials_come_from_username_and_password_or_from_auth():
    assert registry_auth.entry_credentials({"username": "u", "password": "p"}) == ("u", "p")
    assert registry_auth.entry_credentials({"auth": b64("u:p:with:colons")}) == ("u", "p:with:colons")
    assert registry_auth.entry_credentials({"auth": b64("no-colon")}) is None
    assert registry_auth.entry_credentials({}) is None


def match(image, *secrets):
    return [(c["secret"], c["username"]) for c in registry_auth.matching_credentials(image, list(secrets))]


@pytest.mark.parametrize("key", ["10.217.0.1:5001", "https://10.217.0.1:5001", "https://10.217.0.1:5001/v2/",
                                 "http://10.217.0.1:5001/v1/", "10.217.0.1:5001/kubeha"])
def test_a_key_matches_by_host_port_and_path_prefix_whatever_its_scheme_or_api_path(key):
    assert match("10.217.0.1:5001/kubeha/web", ("s", {key: {"username": "u", "password": "p"}})) == [("s", "u")]


@pytest.mark.parametrize("key", ["10.217.0.1", "10.217.0.1:5000", "10.217.0.1:5001/other", "217.0.1:5001"])
def test_a_key_for_another_port_path_or_host_does_not_match(key):
    assert match("10.217.0.1:5001/kubeha/web", ("s", {key: {"username": "u", "password": "p"}})) == []


def test_a_glob_matches_one_host_part():
    creds = ("s", {"*.example.com": {"username": "u", "password": "p"}})
    assert match("reg.example.com/app", creds) == [("s", "u")]
    assert match("a.reg.example.com/app", creds) == []


def test_the_most_specific_key_comes_first_then_the_secrets_in_their_order():
    first = ("first", {"quay.io": {"username": "host", "password": "p"}})
    second = ("second", {"quay.io/coreos": {"username": "path", "password": "p"}})
    third = ("third", {"quay.io": {"username": "host2", "password": "p"}})
    assert match("quay.io/coreos/etcd", first, second, third) == [("second", "path"), ("first", "host"),
                                                                  ("third", "host2")]


def test_docker_hub_images_take_the_key_docker_login_writes():
    creds = ("hub", {"https://index.docker.io/v1/": {"auth": b64("me:pw")}})
    assert match("docker.io/library/nginx", creds) == [("hub", "me")]
    assert match("docker.io/kubeha/web", ("hub", {"docker.io": {"auth": b64("me:pw")}})) == [("hub", "me")]
    assert match("ghcr.io/org/app", creds) == []


def test_a_basic_challenge_and_a_bearer_challenge_with_a_comma_in_its_scope():
    assert registry_auth.parse_challenge('Basic realm="Registry Realm"') == ("basic", {"realm": "Registry Realm"})
    scheme, params = registry_auth.parse_challenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/nginx:pull,push"')
    assert scheme == "bearer"
    assert params == {"realm": "https://auth.docker.io/token", "service": "registry.docker.io",
                      "scope": "repository:library/nginx:pull,push"}
    assert registry_auth.parse_challenge("") == ("", {})


def test_the_token_is_asked_for_the_challenges_scope_or_the_repositorys_pull_scope():
    params = {"realm": "https://ghcr.io/token", "service": "ghcr.io", "scope": "repository:org/app:pull"}
    assert registry_auth.token_url(params, "org/app") == \
        "https://ghcr.io/token?service=ghcr.io&scope=repository%3Aorg%2Fapp%3Apull"
    assert registry_auth.token_url({"realm": "https://r/t?x=1"}, "a/b") == "https://r/t?x=1&scope=repository%3Aa%2Fb%3Apull"


def test_a_token_answer_gives_token_or_access_token():
    assert registry_auth.token_of(b'{"token": "t1"}') == "t1"
    assert registry_auth.token_of(b'{"access_token": "t2"}') == "t2"
    assert registry_auth.token_of(b"<html>") == ""


def test_basic_credentials_are_base64_of_user_colon_password():
    assert registry_auth.basic_header("u", "p") == "Basic " + b64("u:p")
