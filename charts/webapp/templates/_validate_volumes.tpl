{{/*
The pod's volumes and the container's mounts, which come from three keys (writableDirs,
config.files, extraVolumes / extraVolumeMounts) and must fit together (validateVolumes,
ValidateVolumeMounts): unique volume names, one source per volume, mounts of existing volumes
at unique paths, relative subPaths.
*/}}
{{- define "webapp.validateVolumes" -}}
{{- $v := .Values }}
{{- /* Volume names, in the order the pod lists them; the chart's own config-files first. */}}
{{- $volumes := dict }}
{{- if $v.config.files }}{{ $_ := set $volumes "config-files" "config.files (the chart's volume config-files)" }}{{ end }}
{{- range $i, $d := $v.writableDirs }}
{{- if and (hasKey $volumes $d.name) (eq $d.name "config-files") }}
{{- fail (printf "writableDirs[%d].name (config-files) is the name of the chart's volume for config.files: pod volume names must be unique" $i) }}
{{- end }}
{{- $_ := set $volumes $d.name (printf "writableDirs[%d]" $i) }}
{{- end }}
{{- range $i, $vol := $v.extraVolumes }}
{{- $key := printf "extraVolumes[%d]" $i }}
{{- if hasKey $volumes $vol.name }}
{{- fail (printf "%s.name (%s) is already the name of %s: pod volume names must be unique" $key $vol.name (get $volumes $vol.name)) }}
{{- end }}
{{- $_ := set $volumes $vol.name $key }}
{{- $sources := omit $vol "name" }}
{{- if ne (len $sources) 1 }}
{{- fail (printf "%s (%s) has %d volume sources (%s): a volume needs exactly one (emptyDir, secret, configMap, persistentVolumeClaim, ...)" $key $vol.name (len $sources) (keys $sources | sortAlpha | join ", ")) }}
{{- end }}
{{- end }}
{{- /* Mount paths, in the order the container lists them. */}}
{{- $paths := dict }}
{{- range $i, $d := $v.writableDirs }}
{{- if hasKey $paths $d.mountPath }}
{{- fail (printf "writableDirs[%d].mountPath (%s) is already the mount path of %s: mount paths must be unique" $i $d.mountPath (get $paths $d.mountPath)) }}
{{- end }}
{{- $_ := set $paths $d.mountPath (printf "writableDirs[%d]" $i) }}
{{- end }}
{{- if $v.config.files }}
{{- if hasKey $paths $v.config.mountPath }}
{{- fail (printf "config.mountPath (%s) is already the mount path of %s: mount paths must be unique (the config files would hide the writable directory, or the reverse)" $v.config.mountPath (get $paths $v.config.mountPath)) }}
{{- end }}
{{- $_ := set $paths $v.config.mountPath "config.mountPath" }}
{{- end }}
{{- $privileged := ($v.securityContext | default dict).privileged }}
{{- range $i, $m := $v.extraVolumeMounts }}
{{- $key := printf "extraVolumeMounts[%d]" $i }}
{{- if not (hasKey $volumes $m.name) }}
{{- fail (printf "%s.name (%s) is not a volume of the pod: it must name one of extraVolumes, writableDirs%s" $key $m.name (ternary ", or config-files" "" (not (empty $v.config.files)))) }}
{{- end }}
{{- if hasKey $paths $m.mountPath }}
{{- fail (printf "%s.mountPath (%s) is already the mount path of %s: mount paths must be unique" $key $m.mountPath (get $paths $m.mountPath)) }}
{{- end }}
{{- $_ := set $paths $m.mountPath $key }}
{{- if and $m.subPath $m.subPathExpr }}
{{- fail (printf "%s sets both subPath and subPathExpr: they are mutually exclusive" $key) }}
{{- end }}
{{- range $field := list "subPath" "subPathExpr" }}
{{- $sub := index $m $field | default "" }}
{{- if or (hasPrefix "/" $sub) (has ".." (splitList "/" $sub)) }}
{{- fail (printf "%s.%s (%s) must be a relative path inside the volume, without '..'" $key $field $sub) }}
{{- end }}
{{- end }}
{{- if and (has ($m.recursiveReadOnly | default "") (list "Enabled" "IfPossible")) (not $m.readOnly) }}
{{- fail (printf "%s.recursiveReadOnly (%s) needs %s.readOnly: true" $key $m.recursiveReadOnly $key) }}
{{- end }}
{{- if and (eq ($m.mountPropagation | default "") "Bidirectional") (not $privileged) }}
{{- fail (printf "%s.mountPropagation is Bidirectional: that is available only to a privileged container (securityContext.privileged)" $key) }}
{{- end }}
{{- end }}
{{- end }}
