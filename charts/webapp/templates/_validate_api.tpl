{{/*
Refusals at render time of what the Kubernetes API server (or the kubelet, at container start)
would refuse later, or what would doom the rollout: the rules of k8s.io/kubernetes
pkg/apis/{core,apps,networking}/validation that values can break and values.schema.json cannot
express (relations between keys, references, collisions, formats the schema leaves open). Each
failure names the values key and says why; nothing is rendered. Without these checks helm applies
the objects it can and the release fails half-way, with the API server's message about a field
of the rendered object, not about the value that produced it.
*/}}
{{- define "webapp.validateAPI" -}}
{{- include "webapp.validateNames" . }}
{{- include "webapp.validateResources" . }}
{{- include "webapp.validateEnv" . }}
{{- include "webapp.validateSecurity" . }}
{{- include "webapp.validateVolumes" . }}
{{- include "webapp.validateScheduling" . }}
{{- include "webapp.validateService" . }}
{{- if .Values.ingress.enabled }}
{{- include "webapp.validateIngress" . }}
{{- end }}
{{- if .Values.networkPolicy.enabled }}
{{- include "webapp.validateNetworkPolicy" . }}
{{- end }}
{{- end }}

{{/*
Names the chart derives from values, and what the chart itself puts next to the user's own keys.
*/}}
{{- define "webapp.validateNames" -}}
{{- $v := .Values }}
{{- /* The Service is named like the Deployment, and a Service name is a DNS-1035 label. */}}
{{- $fullname := include "webapp.fullname" . }}
{{- if not (regexMatch "^[a-z]([-a-z0-9]*[a-z0-9])?$" $fullname) }}
{{- $source := ternary "fullnameOverride" "the release name" (not (empty $v.fullnameOverride)) }}
{{- fail (printf "%s gives the resource name %q: the Service name must be a DNS-1035 label (lower case letters, digits and '-', starting with a letter, no dots)" $source $fullname) }}
{{- end }}
{{- /* The tag is also the app.kubernetes.io/version label (trimmed to 63 characters). */}}
{{- $version := include "webapp.imageTag" . | trunc 63 | trimSuffix "-" }}
{{- if not (include "webapp.isLabelValue" $version) }}
{{- fail (printf "image.tag (%s) becomes the app.kubernetes.io/version label %q: a label value must start and end with a letter or digit" (include "webapp.imageTag" .) $version) }}
{{- end }}
{{- /* The image reference grammar caps the name (registry and path) at 255 characters. */}}
{{- if gt (len $v.image.repository) 255 }}
{{- fail (printf "image.repository is %d characters long: an image name is at most 255 characters (the kubelet refuses it: InvalidImageName)" (len $v.image.repository)) }}
{{- end }}
{{- if gt (len $v.tests.image.repository) 255 }}
{{- fail (printf "tests.image.repository is %d characters long: an image name is at most 255 characters (the kubelet refuses it: InvalidImageName)" (len $v.tests.image.repository)) }}
{{- end }}
{{- /* ValidateAnnotationsSize: keys and values of one object's annotations, 256 KiB at most. */}}
{{- $annotations := dict "deploymentAnnotations" $v.deploymentAnnotations "podAnnotations" $v.podAnnotations "service.annotations" $v.service.annotations }}
{{- if $v.ingress.enabled }}{{ $_ := set $annotations "ingress.annotations" $v.ingress.annotations }}{{ end }}
{{- if $v.httpRoute.enabled }}{{ $_ := set $annotations "httpRoute.annotations" $v.httpRoute.annotations }}{{ end }}
{{- if $v.serviceAccount.create }}{{ $_ := set $annotations "serviceAccount.annotations" $v.serviceAccount.annotations }}{{ end }}
{{- range $key, $map := $annotations }}
{{- $size := 0 }}
{{- range $k, $val := $map | default dict }}{{ $size = add $size (len $k) (len (toString $val)) }}{{ end }}
{{- if gt $size 262144 }}
{{- fail (printf "%s hold %d bytes: an object's annotations (keys and values) hold at most 256 KiB (262144 bytes)" $key $size) }}
{{- end }}
{{- end }}
{{- /* Keys the chart sets itself: a user's copy would be rendered twice, one silently lost. */}}
{{- if and (or $v.config.env $v.config.files) (hasKey ($v.podAnnotations | default dict) "checksum/config") }}
{{- fail "podAnnotations.checksum/config is the chart's own annotation (the config checksum that rolls the pods when config changes): it would be rendered twice" }}
{{- end }}
{{- if and $v.changeCause (hasKey ($v.deploymentAnnotations | default dict) "kubernetes.io/change-cause") }}
{{- fail "deploymentAnnotations.kubernetes.io/change-cause is set while changeCause is too: the chart renders changeCause as that annotation, so it would be rendered twice (set changeCause only)" }}
{{- end }}
{{- end }}

{{/*
Format checks, each printing "true" or nothing, for `if include ...`.
*/}}
{{- define "webapp.isLabelValue" -}}
{{- if and (le (len .) 63) (regexMatch "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$" .) }}true{{ end }}
{{- end }}

{{- /* A qualified name (label key, topology key...): an optional DNS subdomain prefix and a name. */}}
{{- define "webapp.isQualifiedName" -}}
{{- $parts := splitList "/" . }}
{{- $name := last $parts }}
{{- $ok := and (le (len $parts) 2) (le (len $name) 63) (regexMatch "^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$" $name) }}
{{- if and $ok (eq (len $parts) 2) }}
{{- $ok = include "webapp.isDNSSubdomain" (first $parts) }}
{{- end }}
{{- if $ok }}true{{ end }}
{{- end }}

{{- define "webapp.isDNSSubdomain" -}}
{{- if and (le (len .) 253) (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$" .) }}true{{ end }}
{{- end }}

{{- /* IANA_SVC_NAME, the format of port names: at most 15 characters, a letter, no "--". */}}
{{- define "webapp.portNameError" -}}
{{- if gt (len .) 15 -}} is longer than 15 characters
{{- else if not (regexMatch "^[-a-z0-9]+$" .) -}} may hold only lower case letters, digits and '-'
{{- else if not (regexMatch "[a-z]" .) -}} must contain at least one letter
{{- else if contains "--" . -}} must not contain '--'
{{- else if or (hasPrefix "-" .) (hasSuffix "-" .) -}} must not start or end with '-'
{{- end }}
{{- end }}

{{- /* A CIDR as the API server parses it: IPv4 octets up to 255, prefix up to 32 (128 for IPv6). */}}
{{- define "webapp.cidrError" -}}
{{- $parts := splitList "/" . }}
{{- if ne (len $parts) 2 -}} needs a prefix length (address/length)
{{- else if regexMatch "^[0-9]{1,3}(\\.[0-9]{1,3}){3}$" (first $parts) }}
{{- $bad := false }}
{{- range splitList "." (first $parts) }}{{ if gt (atoi .) 255 }}{{ $bad = true }}{{ end }}{{ end }}
{{- if $bad -}} has an IPv4 octet above 255
{{- else if or (not (regexMatch "^[0-9]{1,2}$" (last $parts))) (gt (atoi (last $parts)) 32) -}} has an IPv4 prefix length above 32
{{- end }}
{{- else if contains ":" (first $parts) }}
{{- $ip := first $parts }}
{{- $groups := splitList ":" (replace "::" ":" $ip) }}
{{- if or (gt (len (regexFindAll "::" $ip -1)) 1) (not (regexMatch "^[0-9A-Fa-f:]+$" $ip)) (gt (len $groups) 8) -}} is not an IPv6 address
{{- else if or (not (regexMatch "^[0-9]{1,3}$" (last $parts))) (gt (atoi (last $parts)) 128) -}} has an IPv6 prefix length above 128
{{- else }}
{{- range $groups }}{{ if gt (len .) 4 }} is not an IPv6 address{{ break }}{{ end }}{{ end }}
{{- end }}
{{- else -}} is not an IP address with a prefix length
{{- end }}
{{- end }}

{{- /* The 32-bit number of an IPv4 address, for "is this CIDR inside that one". */}}
{{- define "webapp.ipv4Number" -}}
{{- $n := 0 }}
{{- range splitList "." . }}{{ $n = add (mul $n 256) (atoi .) }}{{ end }}
{{- $n }}
{{- end }}

{{/*
A resource quantity ("64Mi", "500m", "1.5", "1e3") as a plain number, printed shortest, so that
two quantities compare (values.schema.json has checked the format). A float: comparisons allow
for rounding (see webapp.validateResources).
*/}}
{{- define "webapp.quantityNumber" -}}
{{- $q := toString . }}
{{- $factors := dict "k" "1e3" "M" "1e6" "G" "1e9" "T" "1e12" "P" "1e15" "E" "1e18"
  "Ki" "1024" "Mi" "1048576" "Gi" "1073741824" "Ti" "1099511627776" "Pi" "1125899906842624" "Ei" "1152921504606846976" }}
{{- $suffix := regexFind "(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)$" $q }}
{{- $number := float64 (trimSuffix $suffix $q) }}
{{- /* Divide for milli: 1100/1000 is the very float that "1.1" parses to; 1100*0.001 is not. */}}
{{- if eq $suffix "m" }}{{ $number = divf $number 1000 }}
{{- else if $suffix }}{{ $number = mulf $number (float64 (get $factors $suffix)) }}{{ end }}
{{- printf "%v" $number }}
{{- end }}
