"""A whole cluster's life: `up` (start it, or repair and update a running one), `down`, `status`,
and restarting one control-plane component."""
from __future__ import annotations

import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from . import (addons, api, build, cgroups, cleanup, components, facts, imagestore, net, nodes, pki, preflight,
               registry)
from .health import dns_answers, healthy, node_ready, wait_for, wait_for_api
from .output import say
from .procs import Proc
from .topology import VERSIONS, Cluster, recorded_workers

CONTROL_PLANE = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")


def all_processes(cluster: Cluster, write_configs: bool = False):
    procs = components.control_plane(cluster)
    for node in cluster.nodes:
        procs += components.node_processes(node, write_configs)
    return procs + registry.processes(cluster)


def retired_processes(cluster: Cluster) -> list[Proc]:
    """Processes an earlier checkout started that this one no longer runs: kube-router, which
    kube-network-policies replaced. Known by name only so that `up` and `down` can stop them
    (its iptables rules would go on judging pods in the nodes' namespaces)."""
    return [Proc(f"{node.name}-kube-router", ["kube-router"], cluster.run_dir, cluster.logs)
            for node in cluster.nodes]


def expected_processes(cluster: Cluster):
    """Every process that should run now: all of them but those of nodes and registries stopped
    on purpose."""
    off = nodes.stopped(cluster)
    return [p for p in all_processes(cluster) if not nodes.runs_on(p, off) and not _registry_stopped(cluster, p)]


def _registry_stopped(cluster: Cluster, proc: Proc) -> bool:
    return registry.is_registry(proc.name) and proc.name.split("-", 1)[1] in registry.stopped(cluster)


def _started_alone(name: str) -> bool:
    """Processes a running cluster does without for a while: the add-ons' and the registries'.
    `up` starts them when they are missing instead of restarting the cluster."""
    return addons.is_addon(name) or registry.is_registry(name)


def up(cluster: Cluster) -> None:
    t0 = time.monotonic()
    was = recorded_workers(cluster)
    if was and int(was) != cluster.workers:
        say(f"{cluster.name} runs with {was} workers, {cluster.workers} asked: taking it down first")
        earlier = replace(cluster, workers=int(was))
        cleanup.teardown(earlier, all_processes(earlier) + retired_processes(earlier))
    ran = cluster.kubernetes_version_record.read_text().strip() \
        if cluster.kubernetes_version_record.exists() else None
    if ran and ran != VERSIONS["KUBERNETES_VERSION"]:
        # Processes are recognised by their binary's name, so the old ones would pass for the
        # cluster asked for: take them down before starting the other version.
        say(f"{cluster.name} runs Kubernetes {ran}, {VERSIONS['KUBERNETES_VERSION']} asked: "
            "taking it down first")
        cleanup.teardown(cluster, all_processes(cluster) + retired_processes(cluster))
        cluster.kubernetes_version_record.unlink()
    if any(p.running() for p in retired_processes(cluster)):
        # Started by an earlier checkout: a fresh start leaves none of its rules behind.
        say(f"{cluster.name} runs kube-router, which kube-network-policies replaced: "
            "taking it down first")
        cleanup.teardown(cluster, all_processes(cluster) + retired_processes(cluster))
    procs = all_processes(cluster)
    preflight.check(cluster, forward_is_ours=any(p.name == "api-forward" and p.running() for p in procs))
    images = build.missing()
    stopped = nodes.stopped(cluster)
    if stopped and healthy(cluster, expected_processes(cluster)):
        for node in stopped:
            say(f"starting node {node.name}, stopped with node-stop")
            nodes.start(cluster, node)
    core = [p for p in procs if not _started_alone(p.name)]
    if healthy(cluster, core) and node_ready(cluster) and dns_answers(cluster):
        _update_running(cluster, procs, images)
        facts.write(cluster)
        say(f"already up ({cluster.name}); kubeconfig: {cluster.admin_kubeconfig}")
        return
    if any(p.running() for p in procs) or cluster.run_dir.exists() or \
            Path(f"/run/netns/{cluster.cp_netns}").exists():
        say("found state of an earlier run that is not healthy: cleaning it up first")
        cleanup.teardown(cluster, procs)
    t_build = time.monotonic()
    _start(cluster, images)
    facts.write(cluster)
    t1 = time.monotonic()
    say(f"up in {t1 - t0:.1f}s (start {t1 - t_build:.1f}s); "
        f"kubeconfig: {cluster.admin_kubeconfig}")


def _update_running(cluster: Cluster, procs, images: build.Images) -> None:
    """Bring a healthy cluster up to date with this checkout without restarting what runs: images
    rebuilt since it started, add-ons added or changed (a newer checkout), add-on processes that
    are not running, a containerd configuration changed since, the registries (stopped with
    registry-stop, or their storage pushed anew by the build)."""
    by_name = {p.name: p for p in procs}
    off = nodes.stopped(cluster)
    pki.ensure(cluster)
    for node in cluster.nodes:
        components.write_registry_hosts(node)  # read at each pull: no restart
        if node not in off and not components.containerd_config_current(node):
            _restart_containerd(node, by_name[f"{node.name}-containerd"])
        nodes.import_images(node, images.archives, by_name[f"{node.name}-containerd"])
    addons.apply(cluster, only_if_changed=True)
    for p in procs:
        if addons.is_addon(p.name) and not p.running() and not nodes.runs_on(p, off):
            say(f"starting add-on {p.name}")
            p.start()
    if registry.stopped(cluster):
        say(f"starting registry {', '.join(registry.stopped(cluster))}, stopped with registry-stop")
    registry.start(cluster, images.registries)


def _restart_containerd(node, containerd: Proc) -> None:
    """A node started by an earlier checkout runs containerd with an older configuration (no
    certs.d for the registries, say): written anew and containerd restarted. Its containers run
    on (their shims outlive containerd) and the kubelet reconnects."""
    say(f"{node.name}: containerd's configuration changed; restarting containerd")
    # containerd's file alone: kube-proxy exits when its configuration file is written, even unchanged
    components.write_containerd_config(node)
    containerd.stop()
    containerd.start()
    wait_for(f"containerd on {node.name}", node.containerd_sock.exists, 60, [containerd])


def _start(cluster: Cluster, images: build.Images) -> None:
    """Start a cluster from nothing but its PKI, in dependency order, until cluster DNS answers."""
    cluster.workers_record.parent.mkdir(parents=True, exist_ok=True)
    cluster.workers_record.write_text(f"{cluster.workers}\n")
    cluster.kubernetes_version_record.write_text(f"{VERSIONS['KUBERNETES_VERSION']}\n")
    pki.ensure(cluster)
    net.setup(cluster)
    procs = all_processes(cluster, write_configs=True)
    by_name = {p.name: p for p in procs}
    cp = [by_name[n] for n in ("etcd", "kube-apiserver", "api-forward")]
    for p in cp:
        p.start()
    registry.start(cluster, images.registries, wait=False)  # on the bridge net.setup made
    for node in cluster.nodes:  # before its containerd starts, which reads the store once
        imagestore.give_to_node(images.store, components.containerd_root(node),
                                node.run / "imported-images")
        by_name[f"{node.name}-containerd"].start()
    wait_for_api(cluster, cp)
    by_name["kube-controller-manager"].start()
    by_name["kube-scheduler"].start()
    for node in cluster.nodes:
        wait_for(f"containerd on {node.name}", node.containerd_sock.exists, 60,
                 [by_name[f"{node.name}-containerd"]])
    for node in cluster.nodes:
        cgroups.create(node.cgroup_parent)
        by_name[f"{node.name}-kube-proxy"].start()
    for node in cluster.nodes:
        nodes.start_kubelet(by_name[f"{node.name}-kubelet"])
    # CoreDNS first (`up` ends when it answers), the other add-ons while the nodes get ready.
    addons.apply_coredns(cluster)
    started = [p for p in procs if not addons.is_addon(p.name)]
    with ThreadPoolExecutor(1) as pool:
        others = pool.submit(addons.apply, cluster, coredns_applied=True)
        wait_for("every node Ready", lambda: node_ready(cluster), 180, started)
        others.result()
    by_name["metallb-controller"].start()
    for node in cluster.nodes:  # once its RBAC is applied (addons.apply, above)
        by_name[f"{node.name}-kube-network-policies"].start()
    wait_for("cluster DNS answering", lambda: dns_answers(cluster), 180, procs)
    registry.wait_serving(cluster)


def down(cluster: Cluster, purge: bool) -> None:
    cleanup.teardown(cluster, all_processes(cluster) + retired_processes(cluster))
    cluster.workers_record.unlink(missing_ok=True)
    cluster.kubernetes_version_record.unlink(missing_ok=True)
    cluster.facts_file.unlink(missing_ok=True)
    if purge:
        shutil.rmtree(cluster.state, ignore_errors=True)
    say(f"down ({cluster.name})" + (", state purged" if purge else ""))


def status(cluster: Cluster) -> int:
    """Print what runs and whether the API answers; 0 when the cluster is up, 3 when not."""
    procs = all_processes(cluster)
    off = nodes.stopped(cluster)
    # Wide enough for "<cluster>-n<i>-kube-network-policies" of a cluster named like kubeha-b.
    width = 36
    for p in procs:
        pid = p.pid()
        state = 'running pid ' + str(pid) if pid else 'stopped'
        if not pid and nodes.runs_on(p, off):
            state += " (node-stop)"
        if not pid and _registry_stopped(cluster, p):
            state += " (registry-stop)"
        elif pid and registry.is_registry(p.name):
            state += f" on {cluster.registry(p.name.split('-', 1)[1])}"
        print(f"{p.name:{width}} {state}")
    code, body = api.get(cluster, "/readyz") if (cluster.pki / "ca.crt").exists() else (0, "no pki")
    print(f"{'api /readyz':{width}} {'ok' if code == 200 else f'not ready ({code} {body[:80]})'}")
    if code == 200:
        print(api.kubectl(cluster, "get", "nodes", "-o", "wide", check=False).stdout.rstrip())
    ok = code == 200 and all(p.running() for p in expected_processes(cluster))
    word = 'up' if ok else 'down' if not any(p.running() for p in procs) else 'degraded'
    names = ', '.join(n.name for n in off)
    regs = ', '.join(f"registry-{n}" for n in registry.stopped(cluster))
    print(f"cluster {cluster.name}: {word}" + (f" (stopped with node-stop: {names})" if off else "")
          + (f" (stopped with registry-stop: {regs})" if regs else ""))
    return 0 if ok else 3


def restart(cluster: Cluster, name: str) -> None:
    """Restart one control-plane process, as an upgrade of it or a crash followed by the
    supervisor bringing it back would: SIGTERM, then the same command line again."""
    if name not in CONTROL_PLANE:
        raise SystemExit(f"kubeha-cluster: restart takes one of {', '.join(CONTROL_PLANE)}, not {name!r}")
    proc = {p.name: p for p in components.control_plane(cluster)}[name]
    if not proc.running():
        raise SystemExit(f"kubeha-cluster: {name} of cluster {cluster.name} is not running (run up)")
    t0 = time.monotonic()
    proc.stop()
    proc.start()
    wait_for_api(cluster, [proc])
    say(f"{name} restarted; API ready again after {time.monotonic() - t0:.1f}s")
