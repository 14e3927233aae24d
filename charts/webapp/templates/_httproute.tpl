{{/*
The parts of an HTTPRoute that the main route (httproute.yaml) and the canary's preview route
(tracks/canary-preview-httproute.yaml) share, so both attach and match alike. The argument is a
dict: "root", the chart's root context; "preview", true for the preview route.
*/}}

{{/*
The parentRefs list (items only, each line indented for `spec.parentRefs`): httpRoute.parentRefs.
*/}}
{{- define "webapp.httpRouteParentRefs" -}}
    {{- range .root.Values.httpRoute.parentRefs }}
    - name: {{ .name | quote }}
      {{- with .namespace }}
      namespace: {{ . | quote }}
      {{- end }}
      {{- with .sectionName }}
      sectionName: {{ . | quote }}
      {{- end }}
      {{- with .port }}
      port: {{ . }}
      {{- end }}
    {{- end }}
{{- end }}

{{/*
The rules list (items only, each line indented for `spec.rules`): httpRoute.rules with their
matches, filters and timeouts. Backends: a rule's own backendRefs, else the chart's Service, split
with the canary's by canary.weight when the canary is on; for the preview route, the canary's
Service alone (no weight). A redirect rule has no backend in either.
*/}}
{{- define "webapp.httpRouteRules" -}}
    {{- $root := .root }}
    {{- $preview := .preview }}
    {{- $fullname := include "webapp.fullname" $root }}
    {{- $servicePort := $root.Values.service.port }}
    {{- /* The canary's weight (percent) splits each rule that goes to the chart's own Service. */}}
    {{- $canary := $root.Values.canary }}
    {{- $canaryName := include "webapp.canaryFullname" $root }}
    {{- range $root.Values.httpRoute.rules }}
    {{- $redirect := false }}
    {{- range .filters }}{{ if eq .type "RequestRedirect" }}{{ $redirect = true }}{{ end }}{{ end }}
    - matches:
        {{- /* No matches: the Gateway API default (every path), written out. */}}
        {{- range (.matches | default (list (dict))) }}
        {{- $path := .path | default dict }}
        - path:
            type: {{ $path.type | default "PathPrefix" }}
            value: {{ $path.value | default "/" | quote }}
          {{- with .headers }}
          headers:
            {{- range . }}
            - type: {{ .type | default "Exact" }}
              name: {{ .name | quote }}
              value: {{ .value | quote }}
            {{- end }}
          {{- end }}
          {{- with .queryParams }}
          queryParams:
            {{- range . }}
            - type: {{ .type | default "Exact" }}
              name: {{ .name | quote }}
              value: {{ .value | quote }}
            {{- end }}
          {{- end }}
          {{- with .method }}
          method: {{ . }}
          {{- end }}
        {{- end }}
      {{- with .filters }}
      filters:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .timeouts }}
      timeouts:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- /* A redirect answers by itself: its rule has no backend. */}}
      {{- if not $redirect }}
      backendRefs:
        {{- if $preview }}
        - name: {{ $canaryName }}
          port: {{ $servicePort }}
        {{- else }}
        {{- range .backendRefs }}
        - name: {{ .name | quote }}
          port: {{ .port }}
          {{- if not (kindIs "invalid" .weight) }}
          {{- /* int64: a float64 of 1000000 would print as 1e+06. */}}
          weight: {{ int64 .weight }}
          {{- end }}
        {{- else }}
        - name: {{ $fullname }}
          port: {{ $servicePort }}
          {{- if $canary.enabled }}
          weight: {{ sub 100 (int $canary.weight) }}
        - name: {{ $canaryName }}
          port: {{ $servicePort }}
          weight: {{ int $canary.weight }}
          {{- end }}
        {{- end }}
        {{- end }}
      {{- end }}
    {{- end }}
{{- end }}
