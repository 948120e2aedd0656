{{/*
The name of the service's objects: the release name, unless it lacks "sandpod".
*/}}
{{- define "sandpod.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains "sandpod" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-sandpod" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/*
The sandbox namespace, checked once for every template that uses it: sandboxes next to the service
would put the service's own Pods within reach of the Role that deletes pods.
*/}}
{{- define "sandpod.sandboxNamespace" -}}
{{- if eq .Values.sandbox.namespace.name .Release.Namespace -}}
{{- fail (printf "sandbox.namespace.name (%s) must differ from the release namespace" .Values.sandbox.namespace.name) -}}
{{- end -}}
{{- .Values.sandbox.namespace.name -}}
{{- end -}}

{{/* The ServiceAccount of the sandboxes: no permissions, no token. */}}
{{- define "sandpod.sandboxServiceAccount" -}}
{{- printf "%s-sandbox" (include "sandpod.fullname" .) -}}
{{- end -}}

{{/* The ConfigMap that holds the runner every sandbox mounts. */}}
{{- define "sandpod.runnerConfigMap" -}}
{{- printf "%s-runner" (include "sandpod.fullname" .) -}}
{{- end -}}

{{/*
Labels of the service's Pods and the selector of its Deployment, Service, PDB and NetworkPolicy.
component=server keeps them apart from the sandboxes (component=sandbox), which carry the same name.
*/}}
{{- define "sandpod.selectorLabels" -}}
app.kubernetes.io/name: sandpod
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end -}}

{{/* Labels of every object that the chart installs, minus the component. */}}
{{- define "sandpod.commonLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: sandpod
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sandpod
{{- end -}}

{{/* Labels of the service's objects. */}}
{{- define "sandpod.labels" -}}
{{ include "sandpod.commonLabels" . }}
app.kubernetes.io/component: server
{{- end -}}

{{/* Labels of the objects that set up the sandbox namespace. */}}
{{- define "sandpod.sandboxLabels" -}}
{{ include "sandpod.commonLabels" . }}
app.kubernetes.io/component: sandbox
{{- end -}}

{{/* The service's image: by digest when one is given. */}}
{{- define "sandpod.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/*
The Ingress's proxy-body-size in nginx's units, from server.max-payload-size in bytes, so that the
edge refuses exactly what the service would refuse (rounded up to whole KiB or MiB).
*/}}
{{- define "sandpod.proxyBodySize" -}}
{{- $bytes := int64 .Values.config.maxPayloadSize -}}
{{- if eq (mod $bytes 1048576) 0 -}}
{{- printf "%dm" (div $bytes 1048576) -}}
{{- else -}}
{{- printf "%dk" (div (add $bytes 1023) 1024) -}}
{{- end -}}
{{- end -}}

{{/* The path of the config override inside the service's container (read by env SANDPOD_CONFIG). */}}
{{- define "sandpod.configPath" -}}
/app/config/application.yaml
{{- end -}}

{{/*
sandpod.shutdown.drain-timeout-ms: the longest a run can take on the Kubernetes backend, as
dev.sandpod.kube.KubernetesExecutor waits for it: the pod's start (startupTimeoutMs), its
activeDeadlineSeconds (maxTimeoutMs once per program, each judge-mode test counting, in whole
seconds, plus one) and the margin to report its end (completionMarginMs). The drain gives the runs
in flight this long, so that none is cut off.
*/}}
{{- define "sandpod.drainTimeoutMs" -}}
{{- $programs := max 1 (int64 .Values.config.limits.maxTests) -}}
{{- $deadlineSeconds := add1 (div (add (mul (int64 .Values.config.limits.maxTimeoutMs) $programs) 999) 1000) -}}
{{- add (int64 .Values.sandbox.startupTimeoutMs) (mul $deadlineSeconds 1000) (int64 .Values.sandbox.completionMarginMs) -}}
{{- end -}}

{{/*
terminationGracePeriodSeconds: the preStop sleep, then the service's whole shutdown (the drain and the
teardown, past which it halts itself), rounded up to whole seconds. The teardown includes the
server's own grace period; the service refuses to start when it does not, and so does the chart.
*/}}
{{- define "sandpod.terminationGracePeriodSeconds" -}}
{{- $teardownMs := int64 .Values.config.shutdown.teardownTimeoutMs -}}
{{- if le $teardownMs (mul (int64 .Values.config.shutdownGracePeriodSeconds) 1000) -}}
{{- fail (printf "config.shutdown.teardownTimeoutMs (%d) must exceed config.shutdownGracePeriodSeconds (%d s), which it includes" $teardownMs (int64 .Values.config.shutdownGracePeriodSeconds)) -}}
{{- end -}}
{{- $shutdownMs := add (include "sandpod.drainTimeoutMs" . | int64) $teardownMs -}}
{{- add (int64 .Values.preStopSleepSeconds) (div (add $shutdownMs 999) 1000) -}}
{{- end -}}

{{/*
sandpod.admission.trusted-proxies: the configured CIDRs, or behind the chart's Ingress the private
ranges that hold the ingress controller's pods, so that each public caller is told apart by its own
address in X-Forwarded-For rather than all sharing the controller's.
*/}}
{{- define "sandpod.trustedProxies" -}}
{{- $cidrs := .Values.config.admission.trustedProxies -}}
{{- if and (not $cidrs) .Values.ingress.enabled -}}
{{- $cidrs = list "10.0.0.0/8" "172.16.0.0/12" "192.168.0.0/16" "100.64.0.0/10" "fc00::/7" -}}
{{- end -}}
{{- join "," $cidrs -}}
{{- end -}}

{{/* The Secret of the API keys, which the chart mounts but never creates. */}}
{{- define "sandpod.apiKeysSecret" -}}
{{- .Values.apiKeys.secretName | default (printf "%s-api-keys" (include "sandpod.fullname" .)) -}}
{{- end -}}

{{/* Where the service's container and the helm test pod mount that Secret. */}}
{{- define "sandpod.apiKeysDir" -}}
/etc/sandpod/api-keys
{{- end -}}

{{/* The key file in that directory: sandpod.api-keys.file, and the helm test's key. */}}
{{- define "sandpod.apiKeysFile" -}}
{{- printf "%s/%s" (include "sandpod.apiKeysDir" .) .Values.apiKeys.secretKey -}}
{{- end -}}

{{/* The Secret volume of the API keys: the key file alone. */}}
{{- define "sandpod.apiKeysVolume" -}}
- name: api-keys
  secret:
    secretName: {{ include "sandpod.apiKeysSecret" . }}
    # A missing Secret holds the pod in ContainerCreating, with a FailedMount event that names it.
    optional: false
    items:
      - key: {{ .Values.apiKeys.secretKey }}
        path: {{ .Values.apiKeys.secretKey }}
    # 0440: its owner (root) and the pod's fsGroup read it, through which the non-root user does.
    defaultMode: 288
{{- end -}}
