{{/* Names, labels and checks shared by the templates. */}}

{{/* The chart's name, or nameOverride. */}}
{{- define "hub.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* RELEASE-hub (or just RELEASE when it already holds the name), at most 63 characters. */}}
{{- define "hub.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := include "hub.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Resource names per component; the gateway keeps the plain full name. */}}
{{- define "hub.gateway.fullname" -}}
{{- include "hub.fullname" . }}
{{- end }}

{{- define "hub.admin.fullname" -}}
{{- printf "%s-admin" (include "hub.fullname" . | trunc 57 | trimSuffix "-") }}
{{- end }}

{{- define "hub.migrate.fullname" -}}
{{- printf "%s-migrate" (include "hub.fullname" . | trunc 55 | trimSuffix "-") }}
{{- end }}

{{- define "hub.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels every resource carries. */}}
{{- define "hub.labels" -}}
helm.sh/chart: {{ include "hub.chart" . }}
app.kubernetes.io/name: {{ include "hub.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector labels of one component: call with (dict "root" $ "component" "gateway"). */}}
{{- define "hub.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hub.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "hub.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "hub.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "hub.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The chart's own ConfigMap of config.yaml, made when YAML mode names no config of yours. */}}
{{- define "hub.config.inline" -}}
{{- if not (or .Values.management.enabled .Values.config.existingConfigMap .Values.config.existingSecret) }}true{{ end }}
{{- end }}

{{/* Refuses values that cannot make a working install, saying which value to set. */}}
{{- define "hub.validate" -}}
{{- if .Values.management.enabled }}
{{- if not .Values.database.existingSecret }}
{{- fail "database mode (management.enabled) needs database.existingSecret: a Secret holding the PostgreSQL URL under database.urlKey" }}
{{- end }}
{{- if not .Values.management.existingSecret }}
{{- fail "database mode (management.enabled) needs management.existingSecret: a Secret holding HUB_ADMIN_TOKEN and HUB_SECRET_KEY" }}
{{- end }}
{{- else }}
{{- if and .Values.config.existingConfigMap .Values.config.existingSecret }}
{{- fail "set at most one of config.existingConfigMap and config.existingSecret" }}
{{- end }}
{{- if and (include "hub.config.inline" .) (not .Values.config.inline) }}
{{- fail "YAML mode needs a configuration: config.inline, config.existingConfigMap or config.existingSecret" }}
{{- end }}
{{- end }}
{{- if and .Values.gateway.podDisruptionBudget.enabled .Values.gateway.podDisruptionBudget.minAvailable .Values.gateway.podDisruptionBudget.maxUnavailable }}
{{- fail "set one of gateway.podDisruptionBudget.minAvailable and maxUnavailable, not both" }}
{{- end }}
{{- end }}

{{/* Environment of the gateway container. */}}
{{- define "hub.gateway.env" -}}
- name: HOST
  value: "0.0.0.0"
- name: PORT
  value: {{ .Values.gateway.port | quote }}
- name: LOG_FORMAT
  value: {{ .Values.gateway.logFormat | quote }}
- name: RUST_LOG
  value: {{ .Values.gateway.logLevel | quote }}
{{- with .Values.gateway.traceContentEnabled }}
- name: TRACE_CONTENT_ENABLED
  value: {{ . | quote }}
{{- end }}
{{- if .Values.management.enabled }}
- name: HUB_MODE
  value: database
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.existingSecret }}
      key: {{ .Values.database.urlKey }}
- name: HUB_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.management.existingSecret }}
      key: {{ .Values.management.secretKeyKey }}
- name: DB_POLL_INTERVAL_SECONDS
  value: {{ .Values.management.pollIntervalSeconds | quote }}
{{- else }}
- name: HUB_MODE
  value: yaml
- name: CONFIG_FILE_PATH
  value: /etc/hub/{{ .Values.config.key }}
{{- end }}
{{- with .Values.gateway.env }}
{{ toYaml . }}
{{- end }}
{{- end }}
