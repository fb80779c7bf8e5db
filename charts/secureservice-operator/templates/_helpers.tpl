{{/*
The chart's name, or nameOverride.
*/}}
{{- define "secureservice-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The fully qualified name of the release's objects: fullnameOverride, else the release name
when it already contains the chart name (`secureservice-operator` stays
`secureservice-operator`), else RELEASE-CHART. Cut at 52 characters so that the Services'
names with their suffix ("-webhook", "-metrics") stay DNS-1035 labels of at most 63.
*/}}
{{- define "secureservice-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "secureservice-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every object: the app.kubernetes.io set, helm.sh/chart and commonLabels.
*/}}
{{- define "secureservice-operator.labels" -}}
helm.sh/chart: {{ include "secureservice-operator.chart" . }}
{{ include "secureservice-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ include "secureservice-operator.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: secureservice-operator
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
The labels that select the operator's pods (Deployment, Services, PodDisruptionBudget,
NetworkPolicy): never changed by an upgrade, since a Deployment's selector is immutable.
*/}}
{{- define "secureservice-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "secureservice-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "secureservice-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "secureservice-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "secureservice-operator.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{/*
repository:tag, or repository@digest when a digest pins the image.
*/}}
{{- define "secureservice-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "secureservice-operator.imageTag" .) }}
{{- end }}
{{- end }}

{{/*
The names the operator is told on its command line and the chart's objects carry: one
definition each, so that the Deployment's flags and the objects cannot drift apart.
*/}}
{{- define "secureservice-operator.webhookServiceName" -}}
{{- printf "%s-webhook" (include "secureservice-operator.fullname" .) }}
{{- end }}

{{- define "secureservice-operator.metricsServiceName" -}}
{{- printf "%s-metrics" (include "secureservice-operator.fullname" .) }}
{{- end }}

{{- define "secureservice-operator.webhookSecretName" -}}
{{- printf "%s-webhook-tls" (include "secureservice-operator.fullname" .) }}
{{- end }}

{{- define "secureservice-operator.webhookConfigName" -}}
{{- include "secureservice-operator.fullname" . }}
{{- end }}

{{- define "secureservice-operator.caSecretName" -}}
{{- default (printf "%s-ca" (include "secureservice-operator.fullname" .)) .Values.clusterCA.secretName }}
{{- end }}

{{- define "secureservice-operator.leaseName" -}}
{{- .Values.leaderElection.id }}
{{- end }}

{{/*
The namespaces whose pods the pods webhook never checks, as a list (JSON, for fromJsonArray).
*/}}
{{- define "secureservice-operator.excludedNamespaceList" -}}
{{- uniq (concat (list "kube-system" .Release.Namespace) .Values.webhook.excludeNamespaces) | toJson }}
{{- end }}

{{- define "secureservice-operator.excludedNamespaces" -}}
{{- include "secureservice-operator.excludedNamespaceList" . | fromJsonArray | join ", " }}
{{- end }}

{{/*
Checks across values that values.schema.json cannot express; each fails the render with
the field to change.
*/}}
{{- define "secureservice-operator.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) }}
{{- fail "leaderElection.enabled: must be true when replicaCount is above 1, or every replica would write" }}
{{- end }}
{{- $min := .Values.podDisruptionBudget.minAvailable }}
{{- if and .Values.podDisruptionBudget.enabled (gt (int .Values.replicaCount) 1) (not (kindIs "string" $min)) (ge (int $min) (int .Values.replicaCount)) }}
{{- fail "podDisruptionBudget.minAvailable: must be below replicaCount, or no node running a replica could ever be drained" }}
{{- end }}
{{- if le (int .Values.terminationGracePeriodSeconds) (int .Values.operator.gracefulShutdownTimeoutSeconds) }}
{{- fail "terminationGracePeriodSeconds: must be greater than operator.gracefulShutdownTimeoutSeconds, or the kubelet kills reconciles in flight before the Lease is released" }}
{{- end }}
{{- end }}
