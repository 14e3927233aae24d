{{/*
Checks of an enabled canary track that the values schema cannot express. Each failure names the
key; see webapp.canaryPodLabels in _helpers.tpl for the labelling they protect.
*/}}
{{- define "webapp.validateCanary" -}}
{{- $v := .Values }}
{{- $c := $v.canary }}
{{- if and (not $c.image.tag) (not $c.image.digest) }}
{{- fail "canary.enabled is on but canary.image.tag and canary.image.digest are both empty: the canary needs the image it tries" }}
{{- end }}
{{- with $c.image.tag }}
{{- $version := . | trunc 63 | trimSuffix "-" }}
{{- if not (include "webapp.isLabelValue" $version) }}
{{- fail (printf "canary.image.tag (%s) becomes the canary's app.kubernetes.io/version label %q: a label value must start and end with a letter or digit" . $version) }}
{{- end }}
{{- end }}
{{- /* On a stable pod it would make the canary Deployment and Service select that pod. */}}
{{- range $key := list "commonLabels" "podLabels" }}
{{- if hasKey (index $v $key | default dict) "kubeha.io/canary-of" }}
{{- fail (printf "%s.kubeha.io/canary-of is the chart's own label (it tells canary pods from stable ones): it cannot be set while canary.enabled is on" $key) }}
{{- end }}
{{- end }}
{{- if not $v.httpRoute.enabled }}
{{- if ne (int $c.weight) 0 }}
{{- fail (printf "canary.weight (%d) needs httpRoute.enabled: without a route the one Service splits traffic by pod count (canary.replicas against replicas), so leave canary.weight at 0" (int $c.weight)) }}
{{- end }}
{{- if $v.autoscaling.enabled }}
{{- fail "canary.enabled with autoscaling.enabled needs httpRoute.enabled: without a route the canary pods carry the stable selector labels, so the autoscaler would average their metrics into the stable Deployment's, and scaling would move the traffic split" }}
{{- end }}
{{- if $c.preview.hostnames }}
{{- fail "canary.preview.hostnames is set but httpRoute.enabled is off: the preview route is an HTTPRoute beside the main one, on the Gateways of httpRoute.parentRefs" }}
{{- end }}
{{- else }}
{{- /* The schema checked each name's form (as for httpRoute.hostnames). */}}
{{- range $i, $h := $c.preview.hostnames }}
{{- if regexMatch "^[0-9.]+$" $h }}
{{- fail (printf "canary.preview.hostnames[%d] %q is an IP address: a route's hostnames are DNS names" $i $h) }}
{{- end }}
{{- if has $h ($v.httpRoute.hostnames | default list) }}
{{- fail (printf "canary.preview.hostnames[%d] %q is also in httpRoute.hostnames: the main route and the preview route would split that host name between them (list it in one of the two)" $i $h) }}
{{- end }}
{{- end }}
{{- range $r, $rule := $v.httpRoute.rules }}
{{- if $rule.backendRefs }}
{{- fail (printf "httpRoute.rules[%d].backendRefs is set while canary.enabled is on: the canary's weight splits only the rules that go to the chart's own Service (leave backendRefs empty)" $r) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
