{{/*
The Service (ValidateService), the Ingress (ValidateIngress) and the NetworkPolicy
(ValidateNetworkPolicy): the formats the values schema leaves open and the relations it cannot see.
*/}}
{{- define "webapp.validateService" -}}
{{- $svc := .Values.service }}
{{- /* The Ingress backend names the same port, so the Ingress would be refused too. */}}
{{- with include "webapp.portNameError" $svc.portName | trim }}
{{- fail (printf "service.portName (%s) %s: a Service port name must be an IANA service name (at most 15 lower case letters, digits and '-', with a letter, no '--')" $svc.portName .) }}
{{- end }}
{{- if eq $svc.type "LoadBalancer" }}
{{- range $i, $cidr := $svc.loadBalancerSourceRanges }}
{{- with include "webapp.cidrError" $cidr | trim }}
{{- fail (printf "service.loadBalancerSourceRanges[%d] (%s) %s" $i $cidr .) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{- define "webapp.validateIngress" -}}
{{- $ing := .Values.ingress }}
{{- range $i, $h := $ing.hosts }}
{{- $key := printf "ingress.hosts[%d]" $i }}
{{- if $h.host }}
{{- /* As the API server parses IPs: four decimal octets up to 255 (leading zeros allowed). */}}
{{- $octets := splitList "." $h.host }}
{{- $isIP := regexMatch "^[0-9]{1,3}(\\.[0-9]{1,3}){3}$" $h.host }}
{{- range $octets }}{{ if and $isIP (gt (atoi .) 255) }}{{ $isIP = false }}{{ end }}{{ end }}
{{- if $isIP }}
{{- fail (printf "%s.host (%s) is an IP address: an Ingress host must be a DNS name (leave it empty to match every host)" $key $h.host) }}
{{- end }}
{{- if gt (len $h.host) 253 }}
{{- fail (printf "%s.host is %d characters long: a DNS name has at most 253" $key (len $h.host)) }}
{{- end }}
{{- end }}
{{- range $j, $p := $h.paths }}
{{- $path := printf "%s.paths[%d].path" $key $j }}
{{- $type := $p.pathType | default "Prefix" }}
{{- if ne $type "ImplementationSpecific" }}
{{- range list "//" "/./" "/../" "%2f" "%2F" }}
{{- if contains . $p.path }}
{{- fail (printf "%s (%s) must not contain %q (pathType %s)" $path $p.path . $type) }}
{{- end }}
{{- end }}
{{- range list "/.." "/." }}
{{- if hasSuffix . $p.path }}
{{- fail (printf "%s (%s) must not end with %q (pathType %s)" $path $p.path . $type) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- range $i, $t := $ing.tls }}
{{- range $j, $host := $t.hosts }}
{{- $name := $host }}
{{- if hasPrefix "*." $host }}{{ $name = trimPrefix "*." $host }}{{ end }}
{{- if not (include "webapp.isDNSSubdomain" $name) }}
{{- fail (printf "ingress.tls[%d].hosts[%d] (%s) is not a DNS name (lower case, a '*.' wildcard allowed as the first label)" $i $j $host) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{- define "webapp.validateNetworkPolicy" -}}
{{- $np := .Values.networkPolicy }}
{{- range $i, $cidr := $np.allowCIDRs }}
{{- with include "webapp.cidrError" $cidr | trim }}
{{- fail (printf "networkPolicy.allowCIDRs[%d] (%s) %s" $i $cidr .) }}
{{- end }}
{{- end }}
{{- if $np.egress.restrict }}
{{- range $r, $rule := $np.egress.extraRules }}
{{- $base := printf "networkPolicy.egress.extraRules[%d]" $r }}
{{- range $i, $p := $rule.ports }}
{{- $key := printf "%s.ports[%d]" $base $i }}
{{- if not (has ($p.protocol | default "TCP") (list "TCP" "UDP" "SCTP")) }}
{{- fail (printf "%s.protocol (%s) must be TCP, UDP or SCTP" $key $p.protocol) }}
{{- end }}
{{- if kindIs "string" $p.port }}
{{- with include "webapp.portNameError" $p.port | trim }}
{{- fail (printf "%s.port (%s) %s: a named port must be an IANA service name" $key $p.port .) }}
{{- end }}
{{- if hasKey $p "endPort" }}
{{- fail (printf "%s.endPort is set but %s.port (%s) is a name: a port range needs a numeric port" $key $key $p.port) }}
{{- end }}
{{- else if hasKey $p "port" }}
{{- if or (lt (int $p.port) 1) (gt (int $p.port) 65535) }}
{{- fail (printf "%s.port (%v) must be between 1 and 65535" $key $p.port) }}
{{- end }}
{{- if and (hasKey $p "endPort") (or (lt (int $p.endPort) (int $p.port)) (gt (int $p.endPort) 65535)) }}
{{- fail (printf "%s.endPort (%v) must be between %s.port (%v) and 65535" $key $p.endPort $key $p.port) }}
{{- end }}
{{- else if hasKey $p "endPort" }}
{{- fail (printf "%s.endPort is set without %s.port: a port range needs its first port" $key $key) }}
{{- end }}
{{- end }}
{{- range $i, $peer := $rule.to }}
{{- $key := printf "%s.to[%d]" $base $i }}
{{- $kinds := pick $peer "podSelector" "namespaceSelector" "ipBlock" }}
{{- if not $kinds }}
{{- fail (printf "%s must specify a peer: podSelector, namespaceSelector or ipBlock" $key) }}
{{- else if and (hasKey $kinds "ipBlock") (gt (len $kinds) 1) }}
{{- fail (printf "%s sets ipBlock together with %s: an ipBlock peer stands alone" $key (without (keys $kinds | sortAlpha) "ipBlock" | join " and ")) }}
{{- end }}
{{- with $peer.ipBlock }}
{{- $cidr := .cidr | default "" }}
{{- with include "webapp.cidrError" $cidr | trim }}
{{- fail (printf "%s.ipBlock.cidr (%s) %s" $key $cidr .) }}
{{- end }}
{{- range $j, $except := .except }}
{{- with include "webapp.cidrError" $except | trim }}
{{- fail (printf "%s.ipBlock.except[%d] (%s) %s" $key $j $except .) }}
{{- end }}
{{- include "webapp.validateExceptInside" (list (printf "%s.ipBlock.except[%d]" $key $j) $except $cidr) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
(list "<key>" except cidr): an IPv4 except must be a strict subset of its cidr (IPv6 left to the
API server).
*/}}
{{- define "webapp.validateExceptInside" -}}
{{- $key := index . 0 }}
{{- $except := splitList "/" (index . 1) }}
{{- $cidr := splitList "/" (index . 2) }}
{{- if and (not (contains ":" (first $cidr))) (not (contains ":" (first $except))) }}
{{- $bits := atoi (last $cidr) }}
{{- $block := 1 }}
{{- range until (sub 32 $bits | int) }}{{ $block = mul $block 2 }}{{ end }}
{{- $inside := eq (div (include "webapp.ipv4Number" (first $except) | atoi) $block) (div (include "webapp.ipv4Number" (first $cidr) | atoi) $block) }}
{{- if or (not $inside) (le (atoi (last $except)) $bits) }}
{{- fail (printf "%s (%s) must be a strict subset of the ipBlock's cidr (%s)" $key (index . 1) (index . 2)) }}
{{- end }}
{{- end }}
{{- end }}
