{{/*
Where the pods may run: nodeSelector, tolerations (ValidateTolerations), topology spread
(validateTopologySpreadConstraints) and affinity (validateAffinity), as core validation checks them.
The API server only wants a spread's topologyKey non-empty; one that cannot be a node label key is
refused too, since no node carries it: the spread would never happen, or never schedule a pod.
*/}}
{{- define "webapp.validateScheduling" -}}
{{- $v := .Values }}
{{- range $k, $val := $v.nodeSelector }}
{{- if not (include "webapp.isLabelValue" $val) }}
{{- fail (printf "nodeSelector.%s (%q) is not a label value: at most 63 letters, digits, '-', '_', '.', starting and ending with a letter or digit" $k $val) }}
{{- end }}
{{- end }}
{{- range $i, $t := $v.tolerations }}
{{- $key := printf "tolerations[%d]" $i }}
{{- $op := $t.operator | default "Equal" }}
{{- if and $t.key (not (include "webapp.isQualifiedName" $t.key)) }}
{{- fail (printf "%s.key (%q) is not a label key (an optional DNS prefix, '/', and a name of at most 63 characters)" $key $t.key) }}
{{- end }}
{{- if and (not $t.key) (ne $op "Exists") }}
{{- fail (printf "%s.key is empty: then %s.operator must be Exists (match every taint); Equal needs a key" $key $key) }}
{{- end }}
{{- if and (eq $op "Exists") $t.value }}
{{- fail (printf "%s.value (%s) is set but %s.operator is Exists: the value must then be empty" $key $t.value $key) }}
{{- end }}
{{- if and (eq $op "Equal") (not (include "webapp.isLabelValue" ($t.value | default ""))) }}
{{- fail (printf "%s.value (%q) is not a label value: at most 63 letters, digits, '-', '_', '.', starting and ending with a letter or digit" $key $t.value) }}
{{- end }}
{{- if and (hasKey $t "tolerationSeconds") (ne ($t.effect | default "") "NoExecute") }}
{{- fail (printf "%s.tolerationSeconds is set but %s.effect is not NoExecute: only a NoExecute taint evicts after a delay" $key $key) }}
{{- end }}
{{- end }}
{{- if $v.topologySpreadConstraints }}
{{- $pairs := dict }}
{{- range $i, $c := $v.topologySpreadConstraints }}
{{- $key := printf "topologySpreadConstraints[%d]" $i }}
{{- if not (include "webapp.isQualifiedName" $c.topologyKey) }}
{{- fail (printf "%s.topologyKey (%q) is not a node label key (an optional DNS prefix, '/', and a name of at most 63 characters): no node can carry it, so the pods are never spread (with DoNotSchedule, never scheduled)" $key $c.topologyKey) }}
{{- end }}
{{- $pair := printf "%s, %s" $c.topologyKey $c.whenUnsatisfiable }}
{{- if hasKey $pairs $pair }}
{{- fail (printf "%s repeats the topologyKey and whenUnsatisfiable of %s ({%s}): each pair may appear once" $key (get $pairs $pair) $pair) }}
{{- end }}
{{- $_ := set $pairs $pair $key }}
{{- if and (hasKey $c "minDomains") (ne $c.whenUnsatisfiable "DoNotSchedule") }}
{{- fail (printf "%s.minDomains is set but %s.whenUnsatisfiable is %s: minDomains works only with DoNotSchedule" $key $key $c.whenUnsatisfiable) }}
{{- end }}
{{- /* An empty labelSelector ({}) is still a selector; only a missing one is refused. */}}
{{- if and $c.matchLabelKeys (kindIs "invalid" $c.labelSelector) }}
{{- fail (printf "%s.matchLabelKeys is set without %s.labelSelector: the keys narrow a selector, so one must be set" $key $key) }}
{{- end }}
{{- range $j, $k := $c.matchLabelKeys }}
{{- if not (include "webapp.isQualifiedName" $k) }}
{{- fail (printf "%s.matchLabelKeys[%d] (%q) is not a label key" $key $j $k) }}
{{- end }}
{{- end }}
{{- with $c.labelSelector }}
{{- include "webapp.validateSelectorExpressions" (list (printf "%s.labelSelector" $key) .matchExpressions) }}
{{- end }}
{{- end }}
{{- else if $v.topologySpread.enabled }}
{{- if not (include "webapp.isQualifiedName" $v.topologySpread.topologyKey) }}
{{- fail (printf "topologySpread.topologyKey (%q) is not a node label key (an optional DNS prefix, '/', and a name of at most 63 characters): no node can carry it, so the pods are never spread (with DoNotSchedule, never scheduled)" $v.topologySpread.topologyKey) }}
{{- end }}
{{- end }}
{{- include "webapp.validateAffinity" . }}
{{- end }}

{{/*
matchExpressions of a label selector: (list "<key>" expressions). In / NotIn need values,
Exists / DoesNotExist take none (ValidateLabelSelectorRequirement).
*/}}
{{- define "webapp.validateSelectorExpressions" -}}
{{- $base := index . 0 }}
{{- range $i, $e := index . 1 }}
{{- $key := printf "%s.matchExpressions[%d]" $base $i }}
{{- if not (include "webapp.isQualifiedName" ($e.key | default "")) }}
{{- fail (printf "%s.key (%q) is not a label key" $key ($e.key | default "")) }}
{{- end }}
{{- $op := $e.operator | default "" }}
{{- if and (has $op (list "In" "NotIn")) (not $e.values) }}
{{- fail (printf "%s.values is empty: operator %s needs at least one value" $key $op) }}
{{- else if and (has $op (list "Exists" "DoesNotExist")) $e.values }}
{{- fail (printf "%s.values is set: operator %s takes no values" $key $op) }}
{{- else if not (has $op (list "In" "NotIn" "Exists" "DoesNotExist")) }}
{{- fail (printf "%s.operator (%q) must be In, NotIn, Exists or DoesNotExist" $key $op) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
affinity: weights of preferred terms (1-100), a topologyKey on every pod (anti-)affinity term,
at least one node selector term when node affinity is required.
*/}}
{{- define "webapp.validateAffinity" -}}
{{- $affinity := .Values.affinity | default dict }}
{{- with $affinity.nodeAffinity }}
{{- with .requiredDuringSchedulingIgnoredDuringExecution }}
{{- if not .nodeSelectorTerms }}
{{- fail "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms is empty: a required node affinity needs at least one term" }}
{{- end }}
{{- end }}
{{- range $i, $p := .preferredDuringSchedulingIgnoredDuringExecution }}
{{- if or (lt (int $p.weight) 1) (gt (int $p.weight) 100) }}
{{- fail (printf "affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[%d].weight (%v) must be in the range 1-100" $i $p.weight) }}
{{- end }}
{{- end }}
{{- end }}
{{- range $kind := list "podAffinity" "podAntiAffinity" }}
{{- with index $affinity $kind }}
{{- range $i, $term := .requiredDuringSchedulingIgnoredDuringExecution }}
{{- $key := printf "affinity.%s.requiredDuringSchedulingIgnoredDuringExecution[%d].topologyKey" $kind $i }}
{{- if not (include "webapp.isQualifiedName" ($term.topologyKey | default "")) }}
{{- fail (printf "%s (%q) must be a node label key (e.g. kubernetes.io/hostname): it says what \"together\" means" $key ($term.topologyKey | default "")) }}
{{- end }}
{{- end }}
{{- range $i, $p := .preferredDuringSchedulingIgnoredDuringExecution }}
{{- $key := printf "affinity.%s.preferredDuringSchedulingIgnoredDuringExecution[%d]" $kind $i }}
{{- if or (lt (int $p.weight) 1) (gt (int $p.weight) 100) }}
{{- fail (printf "%s.weight (%v) must be in the range 1-100" $key $p.weight) }}
{{- end }}
{{- $term := $p.podAffinityTerm | default dict }}
{{- if not (include "webapp.isQualifiedName" ($term.topologyKey | default "")) }}
{{- fail (printf "%s.podAffinityTerm.topologyKey (%q) must be a node label key (e.g. kubernetes.io/hostname)" $key ($term.topologyKey | default "")) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
