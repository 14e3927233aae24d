"""The filters' logic, as the roles call them: image names on the nodes, the verify plan and
results, the summary table (plugins/filter/, their rules in plugins/module_utils/)."""
from __future__ import annotations

from ansible_collections.kubeha.webapp.plugins.filter import images, summary, verify


def test_image_normalize_matches_how_nodes_list_images():
    assert images.image_normalize("kubeha/web:v1") == "docker.io/kubeha/web:v1"
    assert images.image_normalize("busybox") == "docker.io/library/busybox:latest"
    assert images.image_normalize("registry.example.com:5000/a/b:1") == "registry.example.com:5000/a/b:1"
    assert images.image_normalize("localhost/kubeha/web:v1") == "localhost/kubeha/web:v1"
    nodes = [{"status": {"images": [{"names": ["docker.io/kubeha/web:v1", "localhost/kubeha/web:v1"]},
                                    {"names": None}]}}]
    assert images.image_on_nodes(nodes, "kubeha/web:v1")
    assert not images.image_on_nodes(nodes, "kubeha/web:v9")
    assert images.images_like(nodes, "kubeha/web:v9") == ["docker.io/kubeha/web:v1"]
    names = ["docker.io/kubeha/web:v2", "registry.k8s.io/pause:3.10"]  # as release_info returns them
    assert images.image_on_nodes(names, "kubeha/web:v2") and not images.image_on_nodes(names, "web:v2")


def live(svc_type="NodePort", node_port=30080, ingresses=()):
    return {"live": {
        "service": {"name": "webapp", "type": svc_type, "cluster_ip": "10.0.0.1",
                    "ports": [{"port": 80, "node_port": node_port}], "load_balancer": []},
        "ingresses": list(ingresses),
        "pods": [{"host_ip": "10.1.0.1"}, {"host_ip": "10.1.0.2"}, {"host_ip": "10.1.0.1"}],
    }}


def test_verify_plan_picks_checks_from_the_service_type():
    base = {"namespace": "shop", "path": "/", "checks": []}
    plan = verify.verify_plan(live("ClusterIP", None), base)
    assert plan["run"] == ["replicas", "clusterip"]
    assert plan["incluster"] == [{"name": "clusterip", "url": "http://webapp.shop.svc:80/"}]
    plan = verify.verify_plan(live("NodePort"), {**base, "node_addresses": ["10.9.0.1"],
                                                 "nodeport_localhost": True})
    assert [e["url"] for e in plan["controller"]] == ["http://10.9.0.1:30080/", "http://127.0.0.1:30080/"]
    # Nodes not readable: the nodes running the app's pods, said so.
    plan = verify.verify_plan(live("NodePort"), {**base, "nodes": ["10.5.0.1", "10.5.0.2"]})
    assert [e["url"] for e in plan["controller"]] == ["http://10.5.0.1:30080/", "http://10.5.0.2:30080/"]
    plan = verify.verify_plan(live("NodePort"), {**base, "nodes": None})
    assert [e["url"] for e in plan["controller"]] == ["http://10.1.0.1:30080/", "http://10.1.0.2:30080/"]
    assert plan["notes"]
    plan = verify.verify_plan(live("LoadBalancer"), {**base, "node_addresses": ["n"]})
    assert plan["run"] == ["replicas", "clusterip", "nodeport", "loadbalancer"]
    assert "no load balancer address" in plan["errors"]["loadbalancer"]
    ing = {"name": "webapp", "class_name": "nginx", "rules": [{"host": "shop.example.com", "paths": ["/"]}],
           "addresses": ["203.0.113.7"]}
    plan = verify.verify_plan(live("ClusterIP", None, [ing]), base)
    assert plan["controller"] == [{"check": "ingress", "name": "ingress shop.example.com",
                                   "url": "http://203.0.113.7/", "host": "shop.example.com"}]


def test_verify_results_name_the_failing_endpoint():
    plan = {"run": ["nodeport"], "controller": [
        {"check": "nodeport", "name": "nodeport 10.0.0.1:30080", "url": "http://10.0.0.1:30080/"},
        {"check": "nodeport", "name": "nodeport 10.0.0.2:30080", "url": "http://10.0.0.2:30080/"}],
        "incluster": [], "errors": {}}
    controller = {"results": [
        {"name": "nodeport 10.0.0.1:30080", "url": "http://10.0.0.1:30080/", "ok": True, "status": 200},
        {"name": "nodeport 10.0.0.2:30080", "url": "http://10.0.0.2:30080/", "ok": False, "status": 503,
         "body": "not ready", "attempts": 10}]}
    res = verify.verify_results(plan, None, None, controller, None)
    assert res["nodeport"]["result"] == "FAILED 1/2"
    assert "http://10.0.0.2:30080/: status 503, body 'not ready' after 10 attempts" in res["nodeport"]["detail"]


def test_summary_table_aligns_columns():
    lines = summary.summary_table([{"cluster": "a", "revision": "3 deployed"}, {"cluster": "prod-eu"}],
                                  ["cluster", "revision"])
    assert lines[0].split() == ["CLUSTER", "REVISION"]
    assert lines[2].startswith("a        3 deployed")
    assert lines[3] == "prod-eu"


def test_summary_text_is_one_text_whose_rows_stay_whole_however_wide():
    long_image = "registry.example.com/team/" + "web" * 30 + ":v1"
    rows = [{"cluster": "prod-eu", "image": long_image, "result": "FAILED"}]
    text = summary.summary_text(rows, ["cluster", "image", "result"], done=["prod-eu: upgrade: v1 -> v2"],
                                notes=["prod-eu: rollout failed"])
    lines = text.split("\n")
    assert lines[0].split() == ["CLUSTER", "IMAGE", "RESULT"]
    assert lines[2].startswith("prod-eu  registry.example.com/team/webweb") and lines[2].endswith("FAILED")
    assert lines[3:] == ["", "Done:", "prod-eu: upgrade: v1 -> v2", "", "Problems:", "prod-eu: rollout failed"]
    assert "Done:" not in summary.summary_text(rows, ["cluster"])


def test_summary_document_keeps_every_column_unabbreviated_and_says_whether_all_went_well():
    long_image = "registry.example.com/team/" + "web" * 40 + ":v1"
    rows = [{"cluster": "stage", "image": long_image, "result": "changed"}]
    doc = summary.summary_document(rows, ["stage: upgrade: v1 -> v2"], [], "Upgrade the web app", False)
    assert doc == {"play": "Upgrade the web app", "check_mode": False, "ok": True, "clusters": rows,
                   "done": ["stage: upgrade: v1 -> v2"], "problems": []}
    assert not summary.summary_document([{"cluster": "prod", "result": "ROLLED BACK"}])["ok"]
    assert not summary.summary_document(rows, [], ["stage: check nodeport: FAILED"])["ok"]


def test_summary_rows_show_each_clusters_kubernetes_version():
    hostvars = {
        "stage": {"webapp_state": {"namespace": "web", "release": "web"},
                  "webapp_final": {"exists": False, "server_version": "v1.37.2"}},
        "prod": {"webapp_state": {"namespace": "web", "release": "web"}, "webapp_final": {}},
    }
    rows = summary.summary_rows(["stage", "prod"], hostvars)
    assert [r["kubernetes"] for r in rows] == ["v1.37.2", "?"]


def test_the_digest_checked_before_a_change_is_in_the_summary_row_and_a_done_line():
    digest = "sha256:" + "f" * 64
    ref = "10.217.0.1:5000/kubeha/web:v2"
    state = {"namespace": "web", "release": "web", "image_checked": {"ref": ref, "digest": digest},
             "operations": [{"name": "upgrade", "result": "changed", "message": "changed"}]}
    final = {"exists": True, "release": {"revision": 2, "status": "deployed", "image": {"ref": ref}}, "live": {}}
    hostvars = {"stage": {"webapp_state": state, "webapp_final": final}}
    assert summary.summary_rows(["stage"], hostvars)[0]["image_digest"] == digest
    assert summary.summary_done(["stage"], hostvars)[0] == (
        "stage: image %s is %s in its registry (checked before the change)" % (ref, digest))
    # Rolled back to another image: the row does not claim the checked digest for it.
    rolled_back = dict(final, release=dict(final["release"], image={"ref": "10.217.0.1:5000/kubeha/web:v1"}))
    rows = summary.summary_rows(["stage"], {"stage": {"webapp_state": state, "webapp_final": rolled_back}})
    assert "image_digest" not in rows[0]
