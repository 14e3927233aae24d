"""Configuration files and command lines of every component of a cluster.

Control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) runs in the
control-plane namespace; containerd, kubelet, kube-proxy and kube-network-policies run in each node's namespace.
"""
from __future__ import annotations

import json
import platform
import re
import shutil
from pathlib import Path

import yaml

from . import registry
from .procs import Proc
from .topology import REGISTRY_PORTS, VERSIONS, Cluster, Node, containerd_bin, kube_bin, kube_network_policies_bin, metallb_bin


def _kernel_at_least(major: int, minor: int) -> bool:
    release = re.match(r"(\d+)\.(\d+)", platform.release())
    return bool(release) and (int(release.group(1)), int(release.group(2))) >= (major, minor)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def kube_minor() -> int:
    return int(VERSIONS["KUBERNETES_VERSION"].lstrip("v").split(".")[1])


def _controllers() -> list[str]:
    """Up to 1.36 the cloud-provider controllers are known names, off here (no cloud); 1.37
    removed them, and naming them there is an error ("... is not in the list of known
    controllers")."""
    if kube_minor() >= 37:
        return []
    return ["--controllers=*,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller"]


def control_plane(cluster: Cluster) -> list[Proc]:
    pki, run, logs, kube = cluster.pki, cluster.run_dir, cluster.logs, kube_bin()
    etcd_data = run / "etcd"
    ns = cluster.cp_netns
    etcd = Proc("etcd", [
        shutil.which("etcd") or "/usr/bin/etcd", "--name=kubeha", f"--data-dir={etcd_data}",
        "--listen-client-urls=http://127.0.0.1:2379", "--advertise-client-urls=http://127.0.0.1:2379",
        "--listen-peer-urls=http://127.0.0.1:2380", "--initial-advertise-peer-urls=http://127.0.0.1:2380",
        "--initial-cluster=kubeha=http://127.0.0.1:2380",
        # A throwaway single-member store: durability across a power cut buys nothing here.
        "--unsafe-no-fsync", "--snapshot-count=10000", "--quota-backend-bytes=2147483648",
        # One member, no peer to keep in step: a slow raft tick costs nothing but saves CPU.
        "--heartbeat-interval=500", "--election-timeout=2500",
    ], run, logs, netns=ns, cpu_group=cluster.cpu_group)
    apiserver = Proc("kube-apiserver", [
        str(kube / "kube-apiserver"),
        f"--advertise-address={cluster.cp_ip}", "--bind-address=0.0.0.0",
        f"--secure-port={cluster.api_port}", "--etcd-servers=http://127.0.0.1:2379",
        f"--client-ca-file={pki / 'ca.crt'}",
        f"--tls-cert-file={pki / 'apiserver.crt'}", f"--tls-private-key-file={pki / 'apiserver.key'}",
        f"--kubelet-client-certificate={pki / 'apiserver-kubelet-client.crt'}",
        f"--kubelet-client-key={pki / 'apiserver-kubelet-client.key'}",
        f"--kubelet-certificate-authority={pki / 'ca.crt'}",
        "--kubelet-preferred-address-types=InternalIP",
        "--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction",
        f"--service-account-issuer=https://kubernetes.default.svc.{cluster.dns_domain}",
        f"--service-account-key-file={pki / 'sa.pub'}",
        f"--service-account-signing-key-file={pki / 'sa.key'}",
        f"--service-cluster-ip-range={cluster.service_net}",
        "--service-node-port-range=30000-32767",
        "--allow-privileged=true", "--profiling=false", "--event-ttl=1h",
    ], run, logs, netns=ns, cpu_group=cluster.cpu_group)
    common = ["--leader-elect=false", "--bind-address=127.0.0.1", "--profiling=false"]
    cm_kc = pki / "controller-manager.kubeconfig"
    controller_manager = Proc("kube-controller-manager", [
        str(kube / "kube-controller-manager"), *common,
        f"--kubeconfig={cm_kc}", f"--authentication-kubeconfig={cm_kc}",
        f"--authorization-kubeconfig={cm_kc}",
        "--use-service-account-credentials=true",
        # Each controller starts only after its ServiceAccount's token came back; at the default
        # 20 requests/s the deployment controller started 4 s after the process (`up` waits
        # for CoreDNS's pods, which it creates).
        "--kube-api-qps=100", "--kube-api-burst=200",
        f"--service-account-private-key-file={pki / 'sa.key'}",
        f"--root-ca-file={pki / 'ca.crt'}",
        f"--cluster-signing-cert-file={pki / 'ca.crt'}", f"--cluster-signing-key-file={pki / 'ca.key'}",
        f"--service-cluster-ip-range={cluster.service_net}",
        f"--cluster-cidr={cluster.pod_net}", "--allocate-node-cidrs=false",
        *_controllers(),
        # Notice a stopped node within a minute, not the default's 50 s plus eviction: fault
        # tests remove nodes on purpose. Not shorter: on a busy 2-core machine a kubelet's status
        # update (every 5 s) can be late by tens of seconds, and a node marked NotReady for that
        # takes its pods out of every Service.
        "--node-monitor-grace-period=40s",
    ], run, logs, netns=ns, cpu_group=cluster.cpu_group)
    sch_kc = pki / "scheduler.kubeconfig"
    scheduler = Proc("kube-scheduler", [
        str(kube / "kube-scheduler"), *common,
        f"--kubeconfig={sch_kc}", f"--authentication-kubeconfig={sch_kc}",
        f"--authorization-kubeconfig={sch_kc}",
    ], run, logs, netns=ns, cpu_group=cluster.cpu_group)
    forward = Proc("api-forward", [
        shutil.which("socat") or "/usr/bin/socat",
        f"TCP-LISTEN:{cluster.host_api_port},bind=127.0.0.1,reuseaddr,fork",
        f"TCP:{cluster.cp_ip}:{cluster.api_port}",
    ], run, logs, cpu_group=cluster.cpu_group)
    # MetalLB's controller: allocates LoadBalancer addresses from the pool (no webhook: the
    # pool is written by `up` itself).
    metallb = Proc("metallb-controller", [
        str(metallb_bin() / "controller"), "--namespace=metallb-system",
        "--webhook-mode=disabled", "--disable-cert-rotation", "--port=7472",
    ], run, logs, netns=ns, env={"KUBECONFIG": str(pki / "metallb-controller.kubeconfig")},
       cpu_group=cluster.cpu_group)
    return [etcd, apiserver, controller_manager, scheduler, forward, metallb]


def containerd_root(node: Node) -> Path:
    """Where a node's containerd keeps images and snapshots (made from the image store by `up`)."""
    return node.run / "containerd" / "root"


def write_containerd_config(node: Node) -> Path:
    """The node's containerd.toml and its registries' certs.d."""
    write_registry_hosts(node)
    return _write(node.dir / "containerd.toml", containerd_config_text(node))


def containerd_config_current(node: Node) -> bool:
    """Whether the node's containerd runs with the configuration this checkout writes (a node
    started by an earlier checkout may lack a part of it, the registries' certs.d for one)."""
    path = node.dir / "containerd.toml"
    return path.exists() and path.read_text() == containerd_config_text(node)


def write_registry_hosts(node: Node) -> None:
    """certs.d/<host:port>/hosts.toml for each of the cluster's registries: containerd pulls from
    them over TLS trusting the cluster's registry CA. Read at each pull, so rewriting them needs
    no restart."""
    c = node.cluster
    for name in REGISTRY_PORTS:
        host = c.registry(name)
        _write(node.dir / "certs.d" / host / "hosts.toml", registry.hosts_toml(host, c.registry_pki / "ca.crt"))


def containerd_config_text(node: Node) -> str:
    root = node.run / "containerd"
    # containerd 2 also reads the host's /etc/containerd/conf.d/*.toml whatever `imports` says
    # (a list given here is added to that default, checked with `containerd config dump`): keep
    # that directory empty on a host that runs these clusters.
    # containerd 2's configuration version 3 (2.3+ migrates it to 4 at start, with a warning): the CRI plugin is split into its image service
    # (io.containerd.cri.v1.images: snapshotter, sandbox image) and its runtime service
    # (io.containerd.cri.v1.runtime: runtimes, CNI, security options).
    cfg = f"""version = 3
root = "{containerd_root(node)}"
state = "{root / 'state'}"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.erofs",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing",
  "io.containerd.nri.v1.nri"]

[grpc]
  address = "{node.containerd_sock}"

[ttrpc]
  address = "{node.run / 'containerd-ttrpc.sock'}"

[plugins."io.containerd.internal.v1.opt"]
  path = "{root / 'opt'}"

[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = "{VERSIONS['PAUSE_IMAGE']}"
  # One directory per registry host (HOST:PORT) with its hosts.toml: the cluster's registries and
  # the CA they are trusted with (write_registry_hosts).
  [plugins."io.containerd.cri.v1.images".registry]
    config_path = "{node.dir / 'certs.d'}"

[plugins."io.containerd.cri.v1.runtime"]
  netns_mounts_under_state_dir = true
  enable_unprivileged_ports = true
  enable_unprivileged_icmp = true
  # Without CAP_SYS_RESOURCE (as in many sandboxes and VMs) no process may lower its OOM score;
  # critical and Guaranteed pods ask for negative scores, which clamp to containerd's own here.
  restrict_oom_score_adj = true
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      # This containerd's own shim: found through PATH first, Debian's containerd 1.6 package
      # (if installed) answers with the old start protocol ("type with url <id>: not found").
      runtime_path = "{containerd_bin() / 'containerd-shim-runc-v2'}"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "{node.run / 'runc'}"
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = "{node.dir / 'cni'}"
"""
    return cfg


def _cni_config(node: Node) -> None:
    conf = {
        "cniVersion": "1.0.0", "name": "kubeha",
        "plugins": [
            # No masquerading: every node routes every pod range (net.py), so a pod keeps its
            # own address towards pods on other nodes, which NetworkPolicy relies on.
            {"type": "bridge", "bridge": "cni0", "isGateway": True, "ipMasq": False,
             "hairpinMode": True,
             "ipam": {"type": "host-local", "ranges": [[{"subnet": node.pod_cidr}]],
                      "routes": [{"dst": "0.0.0.0/0"}],
                      "dataDir": str(node.run / "cni-ipam")}},
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }
    _write(node.dir / "cni" / "10-kubeha.conflist", json.dumps(conf, indent=2))


def _kubelet_config(node: Node) -> Path:
    c, pki = node.cluster, node.cluster.pki
    cfg = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration",
        "address": node.ip, "port": 10250, "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1", "healthzPort": 10248,
        "authentication": {"anonymous": {"enabled": False}, "webhook": {"enabled": True},
                           "x509": {"clientCAFile": str(pki / "ca.crt")}},
        "authorization": {"mode": "Webhook"},
        "tlsCertFile": str(pki / f"kubelet-serving-{node.name}.crt"),
        "tlsPrivateKeyFile": str(pki / f"kubelet-serving-{node.name}.key"),
        "cgroupDriver": "cgroupfs",
        # This host mounts cgroup v1 (hybrid); kubelet >= 1.35 refuses v1 unless told not to
        # (a documented, temporary override; the field exists since 1.31).
        "failCgroupV1": False,
        "cgroupRoot": node.cgroup_parent,
        "containerRuntimeEndpoint": f"unix://{node.containerd_sock}",
        "clusterDNS": [c.dns_ip], "clusterDomain": c.dns_domain,
        # Pods get only the cluster's DNS: nothing is forwarded to resolvers outside.
        "resolvConf": "",
        "failSwapOn": False,
        # Images are imported locally and cannot be pulled again: never collect them.
        "imageGCHighThresholdPercent": 100, "imageGCLowThresholdPercent": 99,
        # The image store's images (kubeha/..., imported by `up`) are preloaded: no pod needs
        # credentials for them. The registries hold the same images (same image IDs); once the
        # kubelet has pulled one of them (with a pull secret, say) it keeps a record per image
        # ID and, by default, would then ask every pod of that ID for credentials, so a pod of
        # kubeha/web:v1 with imagePullPolicy Never would get ErrImageNeverPull. Registry images
        # (the registries' addresses) stay verified as by default.
        "imagePullCredentialsVerificationPolicy": "NeverVerifyAllowlistedImages",
        "preloadedImagesVerificationAllowlist": ["kubeha/*", "docker.io/kubeha/*"],
        "evictionHard": {"memory.available": "100Mi", "nodefs.available": "1%",
                         "imagefs.available": "1%", "nodefs.inodesFree": "1%"},
        # Each node keeps its pods' logs apart: kubelet removes the log directories of pods it
        # does not know, so a shared /var/log/pods loses the other nodes' (and clusters') logs.
        "podLogsDir": str(node.run / "pod-logs"),
        "registerNode": True, "serializeImagePulls": False,
        # Kubelet's defaults for its periodic work (pod resync 1 m, node status 10 s, volume
        # usage 1 m) are kept or lengthened: every period costs CPU on each node of every
        # cluster on this machine, and on 2 small cores that starves the pods under test.
        "syncFrequency": "1m", "nodeStatusUpdateFrequency": "10s", "volumeStatsAggPeriod": "5m",
        "shutdownGracePeriod": "0s", "localStorageCapacityIsolation": True,
        "protectKernelDefaults": False, "makeIPTablesUtilChains": True,
        "oomScoreAdj": 0,  # a negative score needs CAP_SYS_RESOURCE, which a sandbox may lack
    }
    return _write(node.dir / "kubelet.yaml", yaml.safe_dump(cfg, sort_keys=False))


def _kube_proxy_config(node: Node) -> Path:
    c = node.cluster
    cfg = {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration",
        "clientConnection": {"kubeconfig": str(c.pki / "kube-proxy.kubeconfig")},
        "hostnameOverride": node.name, "mode": "iptables",
        "clusterCIDR": str(c.pod_net),
        "healthzBindAddress": "127.0.0.1:10256", "metricsBindAddress": "127.0.0.1:10249",
        # Leave the host's conntrack table size alone; it is shared with the host.
        "conntrack": {"maxPerCore": 0, "min": 0},
        "iptables": {"localhostNodePorts": True, "masqueradeAll": False},
        "oomScoreAdj": 0,
    }
    return _write(node.dir / "kube-proxy.yaml", yaml.safe_dump(cfg, sort_keys=False))


def node_processes(node: Node, write_configs: bool = False) -> list[Proc]:
    """The node's processes; with write_configs, (re)write their configuration files first."""
    c, kube = node.cluster, kube_bin()
    run = node.run
    if write_configs:
        _cni_config(node)
        write_containerd_config(node)
        _kubelet_config(node)
        _kube_proxy_config(node)
    containerd = Proc(f"{node.name}-containerd", [
        str(containerd_bin() / "containerd"), f"--config={node.dir / 'containerd.toml'}",
    ], c.run_dir, c.logs, netns=node.netns, cpu_group=c.cpu_group)
    kubelet = Proc(f"{node.name}-kubelet", [
        str(kube / "kubelet"), f"--config={node.dir / 'kubelet.yaml'}",
        f"--kubeconfig={c.pki / f'kubelet-{node.name}.kubeconfig'}",
        f"--root-dir={run / 'kubelet'}", f"--cert-dir={run / 'kubelet-pki'}",
        f"--hostname-override={node.name}", f"--node-ip={node.ip}",
        f"--node-labels=kubeha.io/cluster={c.name}",
        # cAdvisor's per-container stats every minute, not every 10 s: each kubelet's cAdvisor
        # walks every cgroup of the machine (all nodes share one kernel), and nothing here reads
        # stats more often (no metrics-server; eviction thresholds are far away).
        "--housekeeping-interval=60s",
    ], c.run_dir, c.logs, netns=node.netns, cpu_group=c.cpu_group)
    proxy = Proc(f"{node.name}-kube-proxy", [
        str(kube / "kube-proxy"), f"--config={node.dir / 'kube-proxy.yaml'}",
    ], c.run_dir, c.logs, netns=node.netns, cpu_group=c.cpu_group)
    # kube-network-policies enforces NetworkPolicy for this node's pods: an nftables table in
    # the node's namespace sends the first packet of each new connection from or to a pod that
    # a policy selects to its queue, and it answers accept or drop. Fail closed (no
    # --fail-open): while it is not running, such connections are dropped, not let through.
    netpol = Proc(f"{node.name}-kube-network-policies", [
        str(kube_network_policies_bin()),
        f"--kubeconfig={c.pki / 'kube-network-policies.kubeconfig'}",
        f"--hostname-override={node.name}",
        # Its queue number in this node's namespace (upstream's install.yaml uses 98).
        "--nfqueue-id=98",
        # NRI would tell it a new pod's address from the runtime before the API has it. Off:
        # every node's containerd runs with its NRI plugin disabled, and the plugin's socket
        # is one host-wide path (/var/run/nri/nri.sock) that would reach another node's runtime.
        # Without it a new pod's address is known once the kubelet has published it; until
        # then the pod's packets pass unjudged (the race NRI closes, kubernetes issue 85966).
        "--disable-nri",
        # Its workaround for a conntrack race of UDP DNS (netfilter bug 1766) is for kernels
        # before 6.12; on newer ones DNS is judged in the same chain as the rest.
        f"--netfilter-bug-1766-fix={'false' if _kernel_at_least(6, 12) else 'true'}",
        # Metrics only on the node's loopback: nothing scrapes them, and no pod should.
        "--metrics-bind-address=127.0.0.1:9080",
    ], c.run_dir, c.logs, netns=node.netns, cpu_group=c.cpu_group)
    return [containerd, kubelet, proxy, netpol]
