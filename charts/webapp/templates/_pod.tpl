{{/*
The pod template of a Deployment, shared by the stable and the canary one so that the two cannot
drift: the canary runs the stable pod spec with another image. Takes a dict: "root" (the chart's
context), "image" (the reference to run), "labels" (the pods' labels, YAML) and "selector" (the
labels the default topology spread counts pods by, YAML: the Deployment's own selector). Its
lines are indented for a Deployment's spec.template.
*/}}
{{- define "webapp.podTemplate" -}}
{{- $root := .root }}
{{- $image := .image }}
{{- $labels := .labels }}
{{- $selector := .selector }}
{{- /* Whatever the replica count: a scale must never change the pod template (and so roll every pod). */}}
{{- $spread := $root.Values.topologySpread.enabled }}
    metadata:
      labels:
        {{- $labels | nindent 8 }}
      {{- if or $root.Values.podAnnotations $root.Values.config.env $root.Values.config.files }}
      annotations:
        {{- with $root.Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        {{- if or $root.Values.config.env $root.Values.config.files }}
        checksum/config: {{ $root.Values.config | toJson | sha256sum }}
        {{- end }}
      {{- end }}
    spec:
      serviceAccountName: {{ include "webapp.serviceAccountName" $root }}
      automountServiceAccountToken: {{ $root.Values.serviceAccount.automount }}
      terminationGracePeriodSeconds: {{ $root.Values.terminationGracePeriodSeconds }}
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $root.Values.priorityClassName }}
      priorityClassName: {{ . | quote }}
      {{- end }}
      {{- with $root.Values.podSecurityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ include "webapp.name" $root }}
          image: {{ $image | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          {{- with $root.Values.command }}
          command:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $root.Values.args }}
          args:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          ports:
            - name: http
              containerPort: {{ $root.Values.containerPort }}
              protocol: TCP
          {{- with $root.Values.env }}
          env:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- if or $root.Values.envFrom $root.Values.config.env }}
          envFrom:
            {{- with $root.Values.config.env }}
            - configMapRef:
                name: {{ include "webapp.configEnvName" $root }}
            {{- end }}
            {{- with $root.Values.envFrom }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- end }}
          {{- with $root.Values.probes.startup }}
          {{- if .enabled }}
          startupProbe:
            httpGet:
              path: {{ .path }}
              port: http
            periodSeconds: {{ .periodSeconds }}
            timeoutSeconds: {{ .timeoutSeconds }}
            failureThreshold: {{ .failureThreshold }}
          {{- end }}
          {{- end }}
          {{- with $root.Values.probes.readiness }}
          {{- if .enabled }}
          readinessProbe:
            httpGet:
              path: {{ .path }}
              port: http
            initialDelaySeconds: {{ .initialDelaySeconds }}
            periodSeconds: {{ .periodSeconds }}
            timeoutSeconds: {{ .timeoutSeconds }}
            successThreshold: {{ .successThreshold }}
            failureThreshold: {{ .failureThreshold }}
          {{- end }}
          {{- end }}
          {{- with $root.Values.probes.liveness }}
          {{- if .enabled }}
          livenessProbe:
            httpGet:
              path: {{ .path }}
              port: http
            initialDelaySeconds: {{ .initialDelaySeconds }}
            periodSeconds: {{ .periodSeconds }}
            timeoutSeconds: {{ .timeoutSeconds }}
            failureThreshold: {{ .failureThreshold }}
          {{- end }}
          {{- end }}
          {{- if gt (int $root.Values.preStopSleepSeconds) 0 }}
          lifecycle:
            preStop:
              sleep:
                seconds: {{ $root.Values.preStopSleepSeconds }}
          {{- end }}
          {{- with $root.Values.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $root.Values.securityContext }}
          securityContext:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- if or $root.Values.writableDirs $root.Values.config.files $root.Values.extraVolumeMounts }}
          volumeMounts:
            {{- range $root.Values.writableDirs }}
            - name: {{ .name }}
              mountPath: {{ .mountPath }}
            {{- end }}
            {{- if $root.Values.config.files }}
            - name: config-files
              mountPath: {{ $root.Values.config.mountPath }}
              readOnly: true
            {{- end }}
            {{- with $root.Values.extraVolumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- end }}
      {{- if or $root.Values.writableDirs $root.Values.config.files $root.Values.extraVolumes }}
      volumes:
        {{- range $root.Values.writableDirs }}
        - name: {{ .name }}
          emptyDir:
            {{- with .medium }}
            medium: {{ . }}
            {{- end }}
            {{- with .sizeLimit }}
            sizeLimit: {{ . }}
            {{- end }}
        {{- end }}
        {{- if $root.Values.config.files }}
        - name: config-files
          configMap:
            name: {{ include "webapp.configFilesName" $root }}
        {{- end }}
        {{- with $root.Values.extraVolumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
      {{- with $root.Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $root.Values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $root.Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if $root.Values.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml $root.Values.topologySpreadConstraints | nindent 8 }}
      {{- else if $spread }}
      topologySpreadConstraints:
        - maxSkew: {{ $root.Values.topologySpread.maxSkew }}
          topologyKey: {{ $root.Values.topologySpread.topologyKey }}
          whenUnsatisfiable: {{ $root.Values.topologySpread.whenUnsatisfiable }}
          labelSelector:
            matchLabels:
              {{- $selector | nindent 14 }}
          matchLabelKeys:
            - pod-template-hash
      {{- end }}
{{- end }}

{{/*
What both Deployments share outside the pod template: their annotations (YAML, possibly empty)
and how they roll out.
*/}}
{{- define "webapp.deploymentAnnotations" -}}
{{- with .Values.deploymentAnnotations }}
{{ toYaml . }}
{{- end }}
{{- with .Values.changeCause }}
kubernetes.io/change-cause: {{ . | quote }}
{{- end }}
{{- end }}

{{- define "webapp.rolloutSettings" -}}
revisionHistoryLimit: {{ .Values.revisionHistoryLimit }}
minReadySeconds: {{ .Values.minReadySeconds }}
progressDeadlineSeconds: {{ .Values.progressDeadlineSeconds }}
strategy:
  type: RollingUpdate
  rollingUpdate:
    maxSurge: {{ .Values.strategy.maxSurge }}
    maxUnavailable: {{ .Values.strategy.maxUnavailable }}
{{- end }}
