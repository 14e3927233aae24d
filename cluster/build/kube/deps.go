// Package deps names the Kubernetes components the local cluster runs, so that `go mod tidy` in
// the wrapper module keeps every module they need. The binaries themselves are upstream's own
// main packages (k8s.io/kubernetes/cmd/kube-apiserver, .../kubelet, ...), built one per
// component: a single multi-call binary would run every component's package initialisation in
// each process (kube-proxy and every kubectl call paid for the API server's), about twice the
// memory of a component built alone.
package deps

import (
	_ "k8s.io/kubectl/pkg/cmd"
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	_ "k8s.io/kubernetes/cmd/kube-proxy/app"
	_ "k8s.io/kubernetes/cmd/kube-scheduler/app"
	_ "k8s.io/kubernetes/cmd/kubelet/app"
)
