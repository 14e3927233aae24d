{{/*
The container's resources, as core validation checks them (validateContainerResourceName,
ValidateContainerResourceRequirements): standard names, request <= limit, and extended resources
(domain-prefixed, e.g. nvidia.com/gpu), which cannot be overcommitted: whole numbers, with a limit,
and a request equal to it.
*/}}
{{- define "webapp.validateResources" -}}
{{- $res := .Values.resources | default dict }}
{{- $requests := $res.requests | default dict }}
{{- $limits := $res.limits | default dict }}
{{- range $kind, $map := dict "requests" $requests "limits" $limits }}
{{- range $name, $q := $map }}
{{- if kindIs "invalid" $q }}{{ continue }}{{ end }}
{{- $key := printf "resources.%s.%s" $kind $name }}
{{- $extended := and (contains "/" $name) (not (contains "kubernetes.io/" $name)) }}
{{- if and (not (contains "/" $name)) (not (has $name (list "cpu" "memory" "ephemeral-storage"))) (not (hasPrefix "hugepages-" $name)) }}
{{- fail (printf "%s: %q is not a container resource (cpu, memory, ephemeral-storage, hugepages-<size>); other resources need a domain prefix (e.g. nvidia.com/gpu)" $key $name) }}
{{- end }}
{{- if $extended }}
{{- $n := include "webapp.quantityNumber" $q | float64 }}
{{- if gt (subf $n (floor (addf $n 0.000001))) 0.000001 }}
{{- fail (printf "%s (%v) must be a whole number: an extended resource is counted in units" $key $q) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- range $name, $q := $requests }}
{{- if kindIs "invalid" $q }}{{ continue }}{{ end }}
{{- $key := printf "resources.requests.%s" $name }}
{{- $overcommit := and (not (hasPrefix "hugepages-" $name)) (or (not (contains "/" $name)) (contains "kubernetes.io/" $name)) }}
{{- $limit := index $limits $name }}
{{- if kindIs "invalid" $limit }}
{{- if not $overcommit }}
{{- fail (printf "%s is set without resources.limits.%s: %s cannot be overcommitted, its limit must be set (and equal to the request)" $key $name $name) }}
{{- end }}
{{- continue }}
{{- end }}
{{- $req := include "webapp.quantityNumber" $q | float64 }}
{{- $lim := include "webapp.quantityNumber" $limit | float64 }}
{{- /* Quantities are floats here: differences below a billionth are rounding, not values. */}}
{{- $slack := mulf $lim 0.000000001 }}
{{- if and (not $overcommit) (or (gt $req (addf $lim $slack)) (lt $req (subf $lim $slack))) }}
{{- fail (printf "%s (%v) must equal resources.limits.%s (%v): %s cannot be overcommitted" $key $q $name $limit $name) }}
{{- else if gt $req (addf $lim $slack) }}
{{- fail (printf "%s (%v) is above resources.limits.%s (%v): a request must not exceed its limit" $key $q $name $limit) }}
{{- end }}
{{- end }}
{{- /* apps validation; and a pod that must stay ready longer than the deadline dooms every rollout. */}}
{{- if le (int .Values.progressDeadlineSeconds) (int .Values.minReadySeconds) }}
{{- fail (printf "progressDeadlineSeconds (%d) must be greater than minReadySeconds (%d): no new pod could count as available before the rollout is declared failed" (int .Values.progressDeadlineSeconds) (int .Values.minReadySeconds)) }}
{{- end }}
{{- end }}

{{/*
env and envFrom (ValidateEnv, validateEnvVarValueFrom, ValidateEnvFrom).
*/}}
{{- define "webapp.validateEnv" -}}
{{- $seen := dict }}
{{- range $i, $e := .Values.env }}
{{- $key := printf "env[%d]" $i }}
{{- /* Relaxed validation (1.32+); the older rule is stricter, so these are refused everywhere. */}}
{{- if not (regexMatch "^[ -<>-~]+$" $e.name) }}
{{- fail (printf "%s.name (%q) may hold only printable ASCII characters and no '=': the API server refuses other environment variable names" $key $e.name) }}
{{- end }}
{{- if hasKey $seen $e.name }}
{{- fail (printf "%s.name (%s) repeats env[%v].name: the second silently hides the first, and a server-side apply refuses the duplicate key" $key $e.name (get $seen $e.name)) }}
{{- end }}
{{- $_ := set $seen $e.name $i }}
{{- if hasKey $e "valueFrom" }}
{{- $from := $e.valueFrom | default dict }}
{{- if $e.value }}
{{- fail (printf "%s.valueFrom is set together with %s.value: a variable takes its value from one or the other" $key $key) }}
{{- end }}
{{- if ne (len $from) 1 }}
{{- fail (printf "%s.valueFrom has %d sources (%s): it needs exactly one of configMapKeyRef, secretKeyRef, fieldRef, resourceFieldRef" $key (len $from) (keys $from | sortAlpha | join ", ")) }}
{{- end }}
{{- range $ref := list "configMapKeyRef" "secretKeyRef" }}
{{- with index $from $ref }}
{{- if not (include "webapp.isDNSSubdomain" (.name | default "" | toString)) }}
{{- fail (printf "%s.valueFrom.%s.name (%q) must name a %s: a DNS subdomain (lower case letters, digits, '-', '.')" $key $ref (.name | default "") (ternary "ConfigMap" "Secret" (eq $ref "configMapKeyRef"))) }}
{{- end }}
{{- $k := .key | default "" | toString }}
{{- if or (not (regexMatch "^[-._a-zA-Z0-9]{1,253}$" $k)) (hasPrefix ".." $k) (eq $k ".") }}
{{- fail (printf "%s.valueFrom.%s.key (%q) must be a key of it: letters, digits, '-', '_', '.', not starting with '..'" $key $ref $k) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- range $i, $e := .Values.envFrom }}
{{- $key := printf "envFrom[%d]" $i }}
{{- $refs := pick $e "configMapRef" "secretRef" }}
{{- if ne (len $refs) 1 }}
{{- fail (printf "%s needs exactly one of configMapRef or secretRef (it has %d)" $key (len $refs)) }}
{{- end }}
{{- range $ref, $src := $refs }}
{{- if not (include "webapp.isDNSSubdomain" $src.name) }}
{{- fail (printf "%s.%s.name (%q) must be a DNS subdomain (lower case letters, digits, '-', '.'): the name of a %s" $key $ref $src.name (ternary "ConfigMap" "Secret" (eq $ref "configMapRef"))) }}
{{- end }}
{{- end }}
{{- if and $e.prefix (not (regexMatch "^[ -<>-~]+$" $e.prefix)) }}
{{- fail (printf "%s.prefix (%q) may hold only printable ASCII characters and no '=': it starts environment variable names" $key $e.prefix) }}
{{- end }}
{{- end }}
{{- /* ConfigMap keys (IsConfigMapKey): '..' starts the names the kubelet uses in a mounted ConfigMap. */}}
{{- range $field := list "env" "files" }}
{{- range $k, $_ := index $.Values.config $field | default dict }}
{{- if or (hasPrefix ".." $k) (eq $k ".") (gt (len $k) 253) }}
{{- fail (printf "config.%s key %q is not a ConfigMap key: it must not be '.', start with '..', or be longer than 253 characters" $field (trunc 80 $k)) }}
{{- end }}
{{- end }}
{{- end }}
{{- range $field, $name := dict "env" (include "webapp.configEnvName" .) "files" (include "webapp.configFilesName" .) }}
{{- $size := 0 }}
{{- range $_, $val := index $.Values.config $field | default dict }}{{ $size = add $size (len (toString $val)) }}{{ end }}
{{- if gt $size 1048576 }}
{{- fail (printf "config.%s holds %d bytes of values: a ConfigMap (%s) holds at most 1 MiB (1048576 bytes)" $field $size $name) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Security contexts: what the API server refuses (ValidateSecurityContext, seccomp profiles,
sysctls) and what the kubelet refuses at container start (runAsNonRoot with uid 0:
CreateContainerConfigError, the pod never starts).
*/}}
{{- define "webapp.validateSecurity" -}}
{{- $pod := .Values.podSecurityContext | default dict }}
{{- $ctr := .Values.securityContext | default dict }}
{{- $nonRoot := ternary $ctr.runAsNonRoot $pod.runAsNonRoot (hasKey $ctr "runAsNonRoot") }}
{{- $uidKey := ternary "securityContext.runAsUser" "podSecurityContext.runAsUser" (hasKey $ctr "runAsUser") }}
{{- $uid := ternary $ctr.runAsUser $pod.runAsUser (hasKey $ctr "runAsUser") }}
{{- if and $nonRoot (not (kindIs "invalid" $uid)) (eq (int $uid) 0) }}
{{- fail (printf "%s is 0 (root) but runAsNonRoot is true: the kubelet refuses to start the container (CreateContainerConfigError)" $uidKey) }}
{{- end }}
{{- range $key, $sc := dict "podSecurityContext" $pod "securityContext" $ctr }}
{{- with $sc.seccompProfile }}
{{- $type := .type | default "" }}
{{- if and (eq $type "Localhost") (not .localhostProfile) }}
{{- fail (printf "%s.seccompProfile.localhostProfile must be set when %s.seccompProfile.type is Localhost" $key $key) }}
{{- else if and (ne $type "Localhost") .localhostProfile }}
{{- fail (printf "%s.seccompProfile.localhostProfile is set but %s.seccompProfile.type is %s: it can only be set for Localhost" $key $key $type) }}
{{- end }}
{{- end }}
{{- end }}
{{- if and (hasKey $ctr "allowPrivilegeEscalation") (not $ctr.allowPrivilegeEscalation) }}
{{- if $ctr.privileged }}
{{- fail "securityContext.privileged is true while securityContext.allowPrivilegeEscalation is false: a privileged container always can escalate" }}
{{- end }}
{{- if has "CAP_SYS_ADMIN" (($ctr.capabilities | default dict).add | default list) }}
{{- fail "securityContext.capabilities.add holds CAP_SYS_ADMIN while securityContext.allowPrivilegeEscalation is false: CAP_SYS_ADMIN allows escalation" }}
{{- end }}
{{- end }}
{{- $sysctls := dict }}
{{- range $i, $s := $pod.sysctls }}
{{- $key := printf "podSecurityContext.sysctls[%d].name" $i }}
{{- if or (gt (len $s.name) 253) (not (regexMatch "^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$" $s.name)) }}
{{- fail (printf "%s (%q) is not a sysctl name (lower case segments separated by '.' or '/')" $key $s.name) }}
{{- end }}
{{- if hasKey $sysctls $s.name }}
{{- fail (printf "%s (%s) is set twice" $key $s.name) }}
{{- end }}
{{- $_ := set $sysctls $s.name true }}
{{- end }}
{{- end }}
