{{/*
Chart name, possibly overridden; used in the app.kubernetes.io/name label.
*/}}
{{- define "webapp.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified name of the Deployment, Service and friends: the release name when it already
contains the chart name, else "<release>-<chart>"; 63 characters at most (DNS label).
*/}}
{{- define "webapp.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "webapp.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels: name + instance only. They are immutable in a Deployment's selector, so they
must never change across upgrades: do not add anything here.
*/}}
{{- define "webapp.selectorLabels" -}}
app.kubernetes.io/name: {{ include "webapp.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The chart's own labels: chart, version, manager, part-of and the selector labels.
*/}}
{{- define "webapp.standardLabels" -}}
{{- $std := dict
  "helm.sh/chart" (include "webapp.chart" .)
  "app.kubernetes.io/version" (include "webapp.imageTag" . | trunc 63 | trimSuffix "-")
  "app.kubernetes.io/managed-by" .Release.Service
  "app.kubernetes.io/part-of" (include "webapp.name" .) }}
{{- $selector := include "webapp.selectorLabels" . | fromYaml }}
{{- toYaml (mergeOverwrite $std $selector) }}
{{- end }}

{{/*
Standard labels for every resource; commonLabels cannot override them.
*/}}
{{- define "webapp.labels" -}}
{{- toYaml (mergeOverwrite (dict) (.Values.commonLabels | default dict) (include "webapp.standardLabels" . | fromYaml)) }}
{{- end }}

{{/*
Labels of the pods: commonLabels and podLabels, then the selector labels, which always win.
*/}}
{{- define "webapp.podLabels" -}}
{{- $selector := include "webapp.selectorLabels" . | fromYaml }}
{{- toYaml (mergeOverwrite (dict) (.Values.commonLabels | default dict) (.Values.podLabels | default dict) $selector) }}
{{- end }}

{{/*
Canary track labelling (canary.enabled). Promises: the stable Deployment's selector is name +
instance whatever the canary does; turning the canary on, changing its weight or its image never
changes a label of the stable pods (they are not rolled); each Service selects exactly the pods
it should.

- Canary pods, and the canary Deployment's selector, carry app.kubernetes.io/name and
  kubeha.io/canary-of: <release>. Stable pods never carry kubeha.io/canary-of (the chart refuses
  it in commonLabels / podLabels), so the canary Deployment and the canary Service never select a
  stable pod. A release name in the value keeps two releases' canaries apart. The selector is the
  same with or without a route: a Deployment's selector is immutable, and httpRoute.enabled may
  be switched while the canary runs.
- With a route (httpRoute.enabled), canary pods carry no app.kubernetes.io/instance: the main
  Service, the stable Deployment, the PDB, the HPA (it counts the pods of its target's selector)
  and the NetworkPolicy select none of them. The <fullname>-canary Service selects them alone and
  the route splits traffic by weight between the two Services; a second NetworkPolicy admits to
  the canary pods exactly what the first admits to the stable ones.
- Without a route, the one Service spreads traffic by replica count, so canary pods also carry
  app.kubernetes.io/instance: the stable Deployment's selector then matches them too. Deployments
  and ReplicaSets act only on what their controllerRef (the ownerReference with controller: true)
  says they own, and adopt only orphans; each ReplicaSet's selector also holds its own
  pod-template-hash. So neither Deployment scales or deletes the other's pods; a canary
  ReplicaSet or pod orphaned by hand (delete --cascade=orphan) would be adopted by the stable
  Deployment. What does not follow controllerRef: the PDB counts the canary pods in its budget
  (they serve the same Service, so that is wanted), and an HPA would average their metrics into
  the stable Deployment's (kubernetes/kubernetes#78761): canary with autoscaling needs a route.
*/}}
{{- define "webapp.canaryFullname" -}}
{{- printf "%s-canary" (include "webapp.fullname" . | trunc 56 | trimSuffix "-") }}
{{- end }}

{{/*
The canary's preview HTTPRoute (canary.preview.hostnames): "<fullname>-canary-preview", the
fullname cut so the name stays a DNS label (63 characters at most).
*/}}
{{- define "webapp.canaryPreviewName" -}}
{{- printf "%s-canary-preview" (include "webapp.fullname" . | trunc 48 | trimSuffix "-") }}
{{- end }}

{{- define "webapp.canarySelectorLabels" -}}
app.kubernetes.io/name: {{ include "webapp.name" . }}
kubeha.io/canary-of: {{ .Release.Name }}
{{- end }}

{{/*
Labels of the canary pods: commonLabels and podLabels, then (without a route) the stable
selector labels, then the canary's, which always win. With a route, app.kubernetes.io/instance
is removed (the schema keeps it out of commonLabels / podLabels already; see above).
*/}}
{{- define "webapp.canaryPodLabels" -}}
{{- $labels := mergeOverwrite (dict) (.Values.commonLabels | default dict) (.Values.podLabels | default dict) }}
{{- if .Values.httpRoute.enabled }}
{{- $_ := unset $labels "app.kubernetes.io/instance" }}
{{- else }}
{{- $labels = mergeOverwrite $labels (include "webapp.selectorLabels" . | fromYaml) }}
{{- end }}
{{- toYaml (mergeOverwrite $labels (include "webapp.canarySelectorLabels" . | fromYaml)) }}
{{- end }}

{{/*
Labels of the canary's own objects (Deployment, Service, NetworkPolicy): the release's standard
labels with kubeha.io/canary-of, and the canary's tag as app.kubernetes.io/version (no version
label when the canary is pinned by digest alone).
*/}}
{{- define "webapp.canaryLabels" -}}
{{- $labels := mergeOverwrite (include "webapp.labels" . | fromYaml) (dict "kubeha.io/canary-of" .Release.Name) }}
{{- with .Values.canary.image.tag }}
{{- $_ := set $labels "app.kubernetes.io/version" (. | trunc 63 | trimSuffix "-") }}
{{- else }}
{{- $_ := unset $labels "app.kubernetes.io/version" }}
{{- end }}
{{- toYaml $labels }}
{{- end }}

{{/*
The canary's image: canary.image.repository (default image.repository) at canary.image.digest
when set (it wins over the tag, as for the stable image), else at canary.image.tag.
*/}}
{{- define "webapp.canaryImage" -}}
{{- $image := .Values.canary.image }}
{{- $repository := $image.repository | default .Values.image.repository }}
{{- if $image.digest }}
{{- printf "%s@%s" $repository $image.digest }}
{{- else }}
{{- printf "%s:%s" $repository $image.tag }}
{{- end }}
{{- end }}

{{/*
Tag of the app image: image.tag, else the chart's appVersion.
*/}}
{{- define "webapp.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/*
Full image reference: repository@digest when a digest is set (it wins over the tag), else
repository:tag.
*/}}
{{- define "webapp.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "webapp.imageTag" .) }}
{{- end }}
{{- end }}

{{/*
ServiceAccount the pods run as.
*/}}
{{- define "webapp.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "webapp.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Smallest number of pods that can be running: replicas, or the autoscaler's minimum.
*/}}
{{- define "webapp.minPods" -}}
{{- if .Values.autoscaling.enabled }}
{{- .Values.autoscaling.minReplicas }}
{{- else }}
{{- .Values.replicas }}
{{- end }}
{{- end }}

{{/*
Name of the ConfigMap holding config.env, and of the one holding config.files.
*/}}
{{- define "webapp.configEnvName" -}}
{{- printf "%s-env" (include "webapp.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- define "webapp.configFilesName" -}}
{{- printf "%s-files" (include "webapp.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Value checks that a JSON schema cannot express (they relate two keys). Each failure names the
key(s) and the reason; nothing is rendered.
*/}}
{{- define "webapp.validate" -}}
{{- $v := .Values }}
{{- if and (gt (int $v.preStopSleepSeconds) 0) (le (int $v.terminationGracePeriodSeconds) (int $v.preStopSleepSeconds)) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be greater than preStopSleepSeconds (%d): the pod would be killed before it stops accepting connections" (int $v.terminationGracePeriodSeconds) (int $v.preStopSleepSeconds)) }}
{{- end }}
{{- if and (eq (trimSuffix "%" (toString $v.strategy.maxSurge)) "0") (eq (trimSuffix "%" (toString $v.strategy.maxUnavailable)) "0") }}
{{- fail "strategy.maxSurge and strategy.maxUnavailable cannot both be 0: the rollout could never progress" }}
{{- end }}
{{- if and (not (kindIs "invalid" $v.service.nodePort)) (eq $v.service.type "ClusterIP") }}
{{- fail (printf "service.nodePort (%v) is set but service.type is ClusterIP: a node port needs NodePort or LoadBalancer" $v.service.nodePort) }}
{{- end }}
{{- if and $v.service.externalTrafficPolicy (eq $v.service.type "ClusterIP") }}
{{- fail "service.externalTrafficPolicy is set but service.type is ClusterIP: it applies to NodePort or LoadBalancer" }}
{{- end }}
{{- if and (ne $v.service.type "LoadBalancer") (or $v.service.loadBalancerSourceRanges $v.service.loadBalancerClass) }}
{{- fail (printf "service.loadBalancerSourceRanges / service.loadBalancerClass are set but service.type is %s: they apply to LoadBalancer only" $v.service.type) }}
{{- end }}
{{- if $v.autoscaling.enabled }}
{{- if lt (int $v.autoscaling.maxReplicas) (int $v.autoscaling.minReplicas) }}
{{- fail (printf "autoscaling.maxReplicas (%d) must be at least autoscaling.minReplicas (%d)" (int $v.autoscaling.maxReplicas) (int $v.autoscaling.minReplicas)) }}
{{- end }}
{{- if and (kindIs "invalid" $v.autoscaling.targetCPUUtilizationPercentage) (kindIs "invalid" $v.autoscaling.targetMemoryUtilizationPercentage) }}
{{- fail "autoscaling.targetCPUUtilizationPercentage and autoscaling.targetMemoryUtilizationPercentage are both null: the autoscaler needs a target" }}
{{- end }}
{{- $requests := (($v.resources | default dict).requests | default dict) }}
{{- if and (not (kindIs "invalid" $v.autoscaling.targetCPUUtilizationPercentage)) (not (hasKey $requests "cpu")) }}
{{- fail "autoscaling.targetCPUUtilizationPercentage needs resources.requests.cpu (utilization is a percentage of the request)" }}
{{- end }}
{{- if and (not (kindIs "invalid" $v.autoscaling.targetMemoryUtilizationPercentage)) (not (hasKey $requests "memory")) }}
{{- fail "autoscaling.targetMemoryUtilizationPercentage needs resources.requests.memory (utilization is a percentage of the request)" }}
{{- end }}
{{- end }}
{{- if $v.podDisruptionBudget.enabled }}
{{- $pdb := $v.podDisruptionBudget }}
{{- if and (not (kindIs "invalid" $pdb.minAvailable)) (not (kindIs "invalid" $pdb.maxUnavailable)) }}
{{- fail "podDisruptionBudget.minAvailable and podDisruptionBudget.maxUnavailable are both set: set only one" }}
{{- end }}
{{- $minPods := int (include "webapp.minPods" .) }}
{{- if gt $minPods 1 }}
{{- if not (kindIs "invalid" $pdb.minAvailable) }}
{{- $m := toString $pdb.minAvailable }}
{{- if hasSuffix "%" $m }}
{{- $required := div (add (mul $minPods (int (trimSuffix "%" $m))) 99) 100 }}
{{- if ge (int $required) $minPods }}
{{- fail (printf "podDisruptionBudget.minAvailable (%s of %d pods, rounded up: %d) would block every node drain: it must leave at least one pod disruptable" $m $minPods (int $required)) }}
{{- end }}
{{- else if ge (int $m) $minPods }}
{{- fail (printf "podDisruptionBudget.minAvailable (%s) would block every node drain: it must be below the pod count (%d)" $m $minPods) }}
{{- end }}
{{- end }}
{{- if not (kindIs "invalid" $pdb.maxUnavailable) }}
{{- if eq (trimSuffix "%" (toString $pdb.maxUnavailable)) "0" }}
{{- fail "podDisruptionBudget.maxUnavailable is 0: it would block every node drain" }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- range $i, $d := $v.writableDirs }}
{{- range $j, $e := $v.writableDirs }}
{{- if and (lt $i $j) (eq $d.name $e.name) }}
{{- fail (printf "writableDirs[%d].name %q is used twice" $j $e.name) }}
{{- end }}
{{- end }}
{{- end }}
{{- $gw := $v.networkPolicy.allowGateway | default dict }}
{{- if and $gw.podLabels (not $gw.namespace) }}
{{- fail "networkPolicy.allowGateway.podLabels is set but networkPolicy.allowGateway.namespace is empty: the labels select pods of that namespace" }}
{{- end }}
{{- if $v.httpRoute.enabled }}
{{- include "webapp.validateHTTPRoute" . }}
{{- end }}
{{- include "webapp.validateAPI" . }}
{{- if $v.canary.enabled }}
{{- include "webapp.validateCanary" . }}
{{- end }}
{{- end }}

{{/*
Checks of an enabled httpRoute that the values schema cannot express: the rules (CEL) of the
Gateway API HTTPRoute CRD that values can break, and a route that attaches to nothing. Each
failure names the key; the API server would refuse the route otherwise, after the Deployment
and Service of the same release were applied.
*/}}
{{- define "webapp.validateHTTPRoute" -}}
{{- $route := .Values.httpRoute }}
{{- $ns := .Release.Namespace }}
{{- if not $route.parentRefs }}
{{- fail "httpRoute.enabled is on but httpRoute.parentRefs is empty: the route must name the Gateway it attaches to" }}
{{- end }}
{{- range $i, $p := $route.parentRefs }}
{{- range $j, $q := $route.parentRefs }}
{{- if and (lt $i $j) (eq $p.name $q.name) (eq ($p.namespace | default $ns) ($q.namespace | default $ns)) }}
{{- $parent := printf "%s/%s" ($p.namespace | default $ns) $p.name }}
{{- if ne (empty $p.sectionName) (empty $q.sectionName) }}
{{- fail (printf "httpRoute.parentRefs[%d] and httpRoute.parentRefs[%d] both name the Gateway %s: then each needs a sectionName (the listener)" $i $j $parent) }}
{{- else if eq ($p.sectionName | default "") ($q.sectionName | default "") }}
{{- fail (printf "httpRoute.parentRefs[%d] repeats httpRoute.parentRefs[%d]: Gateway %s, sectionName %q" $j $i $parent ($q.sectionName | default "")) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- range $i, $h := $route.hostnames }}
{{- if regexMatch "^[0-9.]+$" $h }}
{{- fail (printf "httpRoute.hostnames[%d] %q is an IP address: a route's hostnames are DNS names" $i $h) }}
{{- end }}
{{- end }}
{{- $total := 0 }}
{{- $configKeys := dict "RequestHeaderModifier" "requestHeaderModifier" "ResponseHeaderModifier" "responseHeaderModifier" "RequestRedirect" "requestRedirect" "URLRewrite" "urlRewrite" }}
{{- range $r, $rule := $route.rules }}
{{- $key := printf "httpRoute.rules[%d]" $r }}
{{- $matches := $rule.matches | default (list (dict)) }}
{{- $total = add $total (len $matches) }}
{{- range $m, $match := $matches }}
{{- $path := $match.path | default dict }}
{{- $type := $path.type | default "PathPrefix" }}
{{- if has $type (list "Exact" "PathPrefix") }}
{{- $value := $path.value | default "/" }}
{{- range list "//" "/./" "/../" "%2f" "%2F" "#" }}
{{- if contains . $value }}
{{- fail (printf "%s.matches[%d].path.value %q must not contain %q (type %s)" $key $m $value . $type) }}
{{- end }}
{{- end }}
{{- range list "/.." "/." }}
{{- if hasSuffix . $value }}
{{- fail (printf "%s.matches[%d].path.value %q must not end with %q (type %s)" $key $m $value . $type) }}
{{- end }}
{{- end }}
{{- end }}
{{- /* Header names are case-insensitive; query parameter names are not. */}}
{{- range $field := list "headers" "queryParams" }}
{{- $items := index $match $field | default list }}
{{- range $a, $x := $items }}
{{- range $b, $y := $items }}
{{- $same := eq $x.name $y.name }}
{{- if eq $field "headers" }}{{ $same = eq (lower $x.name) (lower $y.name) }}{{ end }}
{{- if and (lt $a $b) $same }}
{{- fail (printf "%s.matches[%d].%s[%d].name %q is used twice" $key $m $field $b $y.name) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- $types := list }}
{{- range $f, $filter := $rule.filters }}
{{- if has $filter.type $types }}
{{- fail (printf "%s.filters[%d]: a second %s filter; each filter type can be used once per rule" $key $f $filter.type) }}
{{- end }}
{{- $types = append $types $filter.type }}
{{- $configKey := get $configKeys $filter.type }}
{{- $config := index $filter $configKey | default dict }}
{{- range $field := list "set" "add" }}
{{- $items := index $config $field | default list }}
{{- range $a, $x := $items }}
{{- range $b, $y := $items }}
{{- if and (lt $a $b) (eq (lower $x.name) (lower $y.name)) }}
{{- fail (printf "%s.filters[%d].%s.%s[%d].name %q is used twice" $key $f $configKey $field $b $y.name) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- $pathMod := $config.path | default dict }}
{{- if eq ($pathMod.type | default "") "ReplacePrefixMatch" }}
{{- $firstPath := (index $matches 0).path | default dict }}
{{- if or (ne (len $matches) 1) (ne ($firstPath.type | default "PathPrefix") "PathPrefix") }}
{{- fail (printf "%s.filters[%d] replaces the prefix match (path.type ReplacePrefixMatch): %s.matches must then be exactly one match, of path type PathPrefix" $key $f $key) }}
{{- end }}
{{- end }}
{{- end }}
{{- if and (has "RequestRedirect" $types) (has "URLRewrite" $types) }}
{{- fail (printf "%s.filters: RequestRedirect and URLRewrite cannot be used together (a redirect sends the client elsewhere; a rewrite forwards the request)" $key) }}
{{- end }}
{{- if and (has "RequestRedirect" $types) $rule.backendRefs }}
{{- fail (printf "%s.backendRefs is set but the rule has a RequestRedirect filter: a redirect answers by itself and cannot go to a backend" $key) }}
{{- end }}
{{- $timeouts := $rule.timeouts | default dict }}
{{- if and $timeouts.request $timeouts.backendRequest }}
{{- $request := include "webapp.durationMillis" $timeouts.request | int64 }}
{{- $backend := include "webapp.durationMillis" $timeouts.backendRequest | int64 }}
{{- if and (gt $request 0) (gt $backend $request) }}
{{- fail (printf "%s.timeouts.backendRequest (%s) cannot be longer than %s.timeouts.request (%s)" $key $timeouts.backendRequest $key $timeouts.request) }}
{{- end }}
{{- end }}
{{- end }}
{{- if gt (int $total) 128 }}
{{- fail (printf "httpRoute.rules hold %d matches in all: a route takes at most 128 (counting a rule without matches as one)" (int $total)) }}
{{- end }}
{{- end }}

{{/*
Milliseconds of a Gateway API duration (GEP-2257: "1h30m", "500ms", "0s"; the schema checked it).
*/}}
{{- define "webapp.durationMillis" -}}
{{- $ms := 0 }}
{{- range regexFindAll "[0-9]+(ms|h|m|s)" . -1 }}
{{- $n := regexFind "^[0-9]+" . | int64 }}
{{- $unit := trimPrefix (regexFind "^[0-9]+" .) . }}
{{- $ms = add $ms (mul $n (get (dict "h" 3600000 "m" 60000 "s" 1000 "ms" 1) $unit)) }}
{{- end }}
{{- $ms }}
{{- end }}
