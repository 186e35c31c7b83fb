{{/*
Chart name, truncated to the 63 characters a label value allows.
*/}}
{{- define "pxgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's objects: the release name, prefixed by the chart
name unless the release name already contains it.
*/}}
{{- define "pxgate.fullname" -}}
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

{{- define "pxgate.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels every object carries.
*/}}
{{- define "pxgate.labels" -}}
helm.sh/chart: {{ include "pxgate.chart" . }}
{{ include "pxgate.selectorLabels" . }}
app.kubernetes.io/version: {{ include "pxgate.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: gateway
app.kubernetes.io/part-of: pxgate
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Labels that select the pods; never change them (Deployment selectors are immutable).
*/}}
{{- define "pxgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pxgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "pxgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pxgate.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "pxgate.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{- define "pxgate.image" -}}
{{- printf "%s:%s" .Values.image.repository (include "pxgate.imageTag" .) }}
{{- end }}

{{/*
The Secret the chart creates, for whichever of the API key and the tokens
file is given inline rather than as an existing Secret.
*/}}
{{- define "pxgate.secretName" -}}
{{- include "pxgate.fullname" . }}
{{- end }}

{{- define "pxgate.chartSecretHasAPIKey" -}}
{{- if and .Values.pixie.apiKey (not .Values.pixie.existingSecret) }}true{{ end }}
{{- end }}

{{- define "pxgate.chartSecretHasTokens" -}}
{{- if and .Values.auth.tokens (not .Values.auth.existingSecret) }}true{{ end }}
{{- end }}

{{- define "pxgate.createSecret" -}}
{{- if or (include "pxgate.chartSecretHasAPIKey" .) (include "pxgate.chartSecretHasTokens" .) }}true{{ end }}
{{- end }}

{{/*
Secret holding PIXIE_API_KEY, or "" when no key is configured.
*/}}
{{- define "pxgate.apiKeySecretName" -}}
{{- if .Values.pixie.existingSecret }}
{{- .Values.pixie.existingSecret }}
{{- else if .Values.pixie.apiKey }}
{{- include "pxgate.secretName" . }}
{{- end }}
{{- end }}

{{/*
Secret holding the callers' tokens file, or "" when caller auth is off.
*/}}
{{- define "pxgate.tokensSecretName" -}}
{{- if .Values.auth.existingSecret }}
{{- .Values.auth.existingSecret }}
{{- else if .Values.auth.tokens }}
{{- include "pxgate.secretName" . }}
{{- end }}
{{- end }}

{{/*
File name of a user script in the ConfigMap: names without an extension get ".pxl".
*/}}
{{- define "pxgate.scriptFile" -}}
{{- if contains "." . }}{{ . }}{{ else }}{{ printf "%s.pxl" . }}{{ end }}
{{- end }}

{{/*
Whole seconds (rounded up) of a Go duration such as "20s", "1m30s" or "1500ms".
*/}}
{{- define "pxgate.durationSeconds" -}}
{{- $units := dict "ns" 0.000000001 "us" 0.000001 "µs" 0.000001 "ms" 0.001 "s" 1.0 "m" 60.0 "h" 3600.0 }}
{{- $total := 0.0 }}
{{- range $part := regexFindAll "[0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h)" (toString .) -1 }}
{{- $num := regexFind "^[0-9]+(\\.[0-9]+)?" $part }}
{{- $unit := trimPrefix $num $part }}
{{- $total = addf $total (mulf (float64 $num) (get $units $unit)) }}
{{- end }}
{{- ceil $total | int }}
{{- end }}

{{/*
Pod termination grace: the configured one, which must exceed the drain time,
or preStop sleep + PXGATE_SHUTDOWN_DELAY + PXGATE_SHUTDOWN_GRACE + 10s.
*/}}
{{- define "pxgate.terminationGracePeriodSeconds" -}}
{{- $drain := add (include "pxgate.durationSeconds" .Values.gateway.shutdownGrace | int) (include "pxgate.durationSeconds" .Values.gateway.shutdownDelay | int) (.Values.preStopSleepSeconds | int) }}
{{- $set := .Values.terminationGracePeriodSeconds | int }}
{{- if gt $set 0 }}
{{- if le $set $drain }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must exceed gateway.shutdownDelay + gateway.shutdownGrace + preStopSleepSeconds (%ds), or pods are killed while draining" $set $drain) }}
{{- end }}
{{- $set }}
{{- else }}
{{- add $drain 10 }}
{{- end }}
{{- end }}

{{/*
Port of a host:port or URL address ("" when it has none): used to open egress to Pixie.
*/}}
{{- define "pxgate.addrPort" -}}
{{- $port := regexFind ":[0-9]+$" (regexReplaceAll "/.*$" (regexReplaceAll "^[a-zA-Z][a-zA-Z0-9+.-]*://" . "") "") }}
{{- if $port }}
{{- trimPrefix ":" $port }}
{{- else if hasPrefix "https://" . }}443
{{- end }}
{{- end }}

{{/*
Settings that pxgate would refuse at start-up, refused at install time instead.
*/}}
{{- define "pxgate.validate" -}}
{{- if and .Values.pixie.cloudAddr .Values.pixie.directAddr }}
{{- fail "pixie.cloudAddr and pixie.directAddr are both set: a direct Vizier connection does not go through the cloud; keep one" }}
{{- end }}
{{- if and .Values.pixie.directPlaintext (not .Values.pixie.directAddr) }}
{{- fail "pixie.directPlaintext needs pixie.directAddr: Pixie Cloud is always reached over TLS" }}
{{- end }}
{{- if and .Values.pixie.tls.caConfigMap .Values.pixie.tls.caSecret }}
{{- fail "pixie.tls.caConfigMap and pixie.tls.caSecret are both set; keep one" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (kindIs "invalid" .Values.autoscaling.targetCPUUtilizationPercentage) (kindIs "invalid" .Values.autoscaling.targetMemoryUtilizationPercentage) }}
{{- fail "autoscaling needs targetCPUUtilizationPercentage or targetMemoryUtilizationPercentage" }}
{{- end }}
{{- if and .Values.serviceMonitor.enabled .Values.gateway.tls.secretName (empty .Values.serviceMonitor.tlsConfig) }}
{{- fail "serviceMonitor.enabled with gateway.tls.secretName needs serviceMonitor.tlsConfig: Prometheus scrapes pxgate over HTTPS and cannot verify its certificate without a CA; set serviceMonitor.tlsConfig.ca (e.g. {ca: {secret: {name: <tls secret>, key: ca.crt}}, serverName: <service>.<namespace>.svc}), or knowingly {insecureSkipVerify: true}" }}
{{- end }}
{{- end }}
