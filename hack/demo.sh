#!/usr/bin/env bash
# make demo: the operator's main job, shown as a user would see it with kubectl, against the
# project's own Kubernetes API test server (the embedded default cluster).
# Everything lives in a temporary folder and a server that stop with the script: safe to run twice.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
bin="$build/src/secureservice-operator"
kubectl="$root/.tools/bin/kubectl"
helm="$root/.tools/bin/helm"
chart="$root/charts/secureservice-operator"
validator="$root/tests/support/validate-manifests"
work=$(mktemp -d)
server_pid=""
operator_pids=()
cleanup() {
  for pid in "${operator_pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
k() { echo "\$ kubectl $*"; "$kubectl" --kubeconfig "$work/kubeconfig" "$@"; }
kq() { "$kubectl" --kubeconfig "$work/kubeconfig" "$@"; }
# Waits up to ~20 s for a command to succeed.
wait_for() { for _ in $(seq 200); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "timed out: $*"; return 1; }
ready() { [ "$(kq get ssvc -n "$1" "$2" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]; }

step "secureservice-operator $("$bin" version | cut -d' ' -f2)"
"$bin" --help | sed -n '1,2p'

port_a=$((30000 + RANDOM % 10000)); port_b=$((port_a + 3))
step "Starting the Kubernetes API test server (the embedded default cluster)"
# The webhook Service is replica b's webhook port here: followers answer admission too.
"$build/tests/kube-testserver" --kubeconfig "$work/kubeconfig" \
  --webhook-service "secureservice-system/secureservice-operator-webhook=$((port_b + 2))" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do grep -q listening "$work/server.log" 2>/dev/null && break; sleep 0.05; done
cat "$work/server.log"

step "Install the SecureService CRD, and stand-ins for the Istio and Linkerd CRDs"
k apply -f "$root/crds/"
kq apply -f "$root/tests/support/crds/mesh-stand-ins.yaml" >/dev/null && echo "(mesh CRDs: tests/support/crds/mesh-stand-ins.yaml)"
k create namespace secureservice-system
echo "(the chart's webhook configuration, caBundle empty: the operator fills it in)"
echo "\$ helm template secureservice-operator charts/secureservice-operator -n secureservice-system \\"
echo "    --show-only templates/validatingwebhookconfiguration.yaml | kubectl apply -f -"
"$helm" template secureservice-operator "$chart" -n secureservice-system \
  --show-only templates/validatingwebhookconfiguration.yaml | kq apply -f -

step "Run two operator replicas; one leads (a Lease), creates the cluster CA and reconciles"
start_operator() {
  "$bin" run --kubeconfig "$work/kubeconfig" --leader-elect --leader-election-namespace secureservice-system \
    --ca-secret secureservice-system/secureservice-operator-ca --ca-rotation-propagation 2s \
    --health-probe-bind-address "127.0.0.1:$1" --metrics-bind-address "127.0.0.1:$(($1 + 1))" \
    --webhook-bind-address "127.0.0.1:$(($1 + 2))" --webhook-service secureservice-system/secureservice-operator-webhook \
    --leader-elect-lease-duration 4s --leader-elect-renew-deadline 3s --leader-elect-retry-period 500ms \
    --log-format json > "$work/operator-$2.log" 2>&1 &
  operator_pids+=($!)
}
start_operator "$port_a" a
wait_for curl -fs "127.0.0.1:$port_a/readyz"
start_operator "$port_b" b
wait_for curl -fs "127.0.0.1:$port_b/readyz"
wait_for kq get secret -n secureservice-system secureservice-operator-ca
k get lease secureservice-operator -n secureservice-system -o jsonpath='{"holder: "}{.spec.holderIdentity}{"\n"}'
k get secret -n secureservice-system secureservice-operator-ca

step "Apply the examples: frontend (front) -> checkout -> payments (shop, Istio), catalog (Server mode), inventory (Linkerd)"
k apply -f "$root/examples/"
for s in front/frontend shop/checkout shop/payments shop/catalog shop/inventory; do wait_for ready "${s%/*}" "${s#*/}"; done
k get ssvc -A -o wide

step "Each has its identity in a kubernetes.io/tls Secret, renewed before expiry"
k get secrets -n shop -l app.kubernetes.io/managed-by=secureservice-operator
echo "\$ kubectl get secret payments-tls -n shop -o yaml | secureservice-operator cert inspect -"
kq get secret payments-tls -n shop -o yaml | "$bin" cert inspect -
kq get secret payments-tls -n shop -o jsonpath='{.data.tls\.crt}' | base64 -d > "$work/payments.crt"
kq get secret payments-tls -n shop -o jsonpath='{.data.ca\.crt}' | base64 -d > "$work/bundle.crt"
echo "\$ openssl verify -purpose sslclient -CAfile ca.crt tls.crt"
openssl verify -purpose sslclient -CAfile "$work/bundle.crt" "$work/payments.crt"

step "Only declared clients get in: the NetworkPolicy of payments, and Istio's AuthorizationPolicy"
k get networkpolicies -n shop
k get networkpolicy payments -n shop -o jsonpath='{.spec}{"\n"}'
k get authorizationpolicies.security.istio.io payments -n shop -o jsonpath='{.spec}{"\n"}'
k get requestauthentications.security.istio.io payments -n shop -o jsonpath='{.spec.jwtRules}{"\n"}'
k get servers.policy.linkerd.io,httproutes.policy.linkerd.io,meshtlsauthentications.policy.linkerd.io -n shop
if [ -x "$validator" ]; then
  echo "\$ kubectl get secrets,networkpolicies,... -l app.kubernetes.io/managed-by=secureservice-operator -o yaml | validate-manifests -"
  kq get secrets,configmaps,networkpolicies,peerauthentications.security.istio.io,requestauthentications.security.istio.io,authorizationpolicies.security.istio.io,destinationrules.networking.istio.io,servers.policy.linkerd.io,httproutes.policy.linkerd.io,meshtlsauthentications.policy.linkerd.io,authorizationpolicies.policy.linkerd.io \
    -A -l app.kubernetes.io/managed-by=secureservice-operator -o yaml | "$validator" --crds "$root/crds" -
fi

step "Who may call whom, through which layers: secureservice-operator explain"
echo "\$ secureservice-operator explain --from front/frontend --to shop/payments --port 8443"
"$bin" explain --kubeconfig "$work/kubeconfig" --from front/frontend --to shop/payments --port 8443 ||
  echo "(exit status $?: denied)"
echo "\$ secureservice-operator explain --from shop/checkout --to shop/payments --port 8443 --method POST --path /v1/refunds"
"$bin" explain --kubeconfig "$work/kubeconfig" --from shop/checkout --to shop/payments --port 8443 --method POST --path /v1/refunds ||
  echo "(exit status $?: denied: checkout may only POST /v1/charges and GET /v1/charges/*)"
echo "\$ secureservice-operator explain -o dot | dot -Tpng -o access.png   # the whole map as a picture"

step "The admission webhook: a checkout pod without its TLS mount is denied, with what to fix"
k get validatingwebhookconfiguration secureservice-operator -o jsonpath='{range .webhooks[*]}{.name}{": caBundle of "}{.clientConfig.caBundle}{"\n"}{end}' | cut -c1-80
cat > "$work/pod.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: checkout-0, namespace: shop, labels: {app: checkout}}
spec:
  serviceAccountName: checkout
  containers:
    - name: app
      image: registry.example/shop/checkout:1.4
YAML
cat "$work/pod.yaml"
k apply -f "$work/pod.yaml" || true
echo "The same decision offline, for a CI pipeline:"
echo "\$ secureservice-operator check -f examples/shop.yaml pod.yaml"
"$bin" check -f "$root/examples/shop.yaml" "$work/pod.yaml" || echo "(exit status $?)"
cat > "$work/pod.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: checkout-0, namespace: shop, labels: {app: checkout}}
spec:
  serviceAccountName: checkout
  containers:
    - name: app
      image: registry.example/shop/checkout:1.4
      volumeMounts:
        - {name: tls, mountPath: /etc/secureservice/tls, readOnly: true}
  volumes:
    - name: tls
      secret: {secretName: checkout-tls}
YAML
echo "With the Secret mounted read-only at spec.tls.mountPath:"
k apply -f "$work/pod.yaml"

step "Someone deletes the NetworkPolicy: the operator puts it back"
k delete networkpolicy payments -n shop
wait_for kq get networkpolicy payments -n shop
k get networkpolicy payments -n shop

step "A bad SecureService is refused by the API server, with the field"
cat > "$work/bad.yaml" <<'YAML'
apiVersion: secureservice.io/v1alpha1
kind: SecureService
metadata: {name: reports, namespace: shop}
spec:
  selector: {matchLabels: {app: reports}}
  ports: [{port: 8443}]
  tls: {duration: 24h, renewBefore: 48h}
YAML
k apply -f "$work/bad.yaml" || true

step "Rotate the cluster CA: the new CA is trusted first, then signs; every leaf is re-issued"
serial_before=$(kq get ssvc payments -n shop -o jsonpath='{.status.certificate.serialNumber}')
k annotate secret secureservice-operator-ca -n secureservice-system secureservice.io/rotate=now
changed() { [ "$(kq get ssvc payments -n shop -o jsonpath='{.status.certificate.serialNumber}')" != "$serial_before" ]; }
wait_for changed
echo "payments: serial $serial_before -> $(kq get ssvc payments -n shop -o jsonpath='{.status.certificate.serialNumber}'), revision $(kq get ssvc payments -n shop -o jsonpath='{.status.certificate.revision}')"
echo "CAs in the shop trust bundle: $(kq get configmap secureservice-trust-bundle -n shop -o jsonpath='{.data.ca\.crt}' | grep -c 'BEGIN CERTIFICATE')"
k get events -n shop --field-selector involvedObject.name=payments

step "A key leaked: revoke its certificate; every trust bundle's CRL lists it, and a new one is issued"
echo "\$ secureservice-operator revoke -n shop payments --reason keyCompromise"
"$bin" revoke --kubeconfig "$work/kubeconfig" -n shop payments --reason keyCompromise
crl_lists_it() { kq get configmap secureservice-trust-bundle -n shop -o jsonpath='{.data.ca\.crl}' | openssl crl -noout -text | grep -q "Key Compromise"; }
wait_for crl_lists_it
echo "\$ kubectl get configmap secureservice-trust-bundle -n shop -o jsonpath='{.data.ca\.crl}' | openssl crl -noout -text"
kq get configmap secureservice-trust-bundle -n shop -o jsonpath='{.data.ca\.crl}' | openssl crl -noout -text |
  grep -E "CRL Number|Next Update|Serial Number|Key Compromise" -A1 | grep -v '^--' || true

step "Metrics for Prometheus: HTTPS, only for tokens the API server allows to get /metrics"
# The admin's token here; in a cluster, Prometheus's ServiceAccount bound to the chart's
# metrics-reader ClusterRole.
token=$(awk '/token:/ {print $2; exit}' "$work/kubeconfig")
metrics() { curl -sk -H "Authorization: Bearer $token" "https://127.0.0.1:$1/metrics"; }
echo "\$ curl -sk https://127.0.0.1:$((port_a + 1))/metrics -o /dev/null -w '%{http_code}'   # no token"
curl -sk "https://127.0.0.1:$((port_a + 1))/metrics" -o /dev/null -w '%{http_code}\n'
echo "\$ curl -sk -H 'Authorization: Bearer \$TOKEN' https://127.0.0.1:$((port_a + 1))/metrics | grep ^secureservice_"
metrics $((port_a + 1)) | grep '^secureservice_' | head -12
if command -v promtool >/dev/null; then metrics $((port_a + 1)) | promtool check metrics && echo "promtool: ok"; fi
echo "\$ curl -sk -H 'Authorization: Bearer \$TOKEN' https://127.0.0.1:$((port_b + 1))/metrics | grep -E '^(controller_runtime_webhook_requests_total|secureservice_admission_decisions_total)'"
metrics $((port_b + 1)) | grep -E '^(controller_runtime_webhook_requests_total|secureservice_admission_decisions_total)'

step "The same objects offline, for review or GitOps: secureservice-operator render"
echo "\$ secureservice-operator render -f examples/ | grep -E '^kind:' | sort | uniq -c"
"$bin" render -f "$root/examples/" 2>/dev/null | grep -E '^kind:' | sort | uniq -c

step "SIGTERM to the leader: it releases the Lease and exits 0; the follower takes over"
kill -TERM "${operator_pids[0]}"
wait "${operator_pids[0]}" && echo "leader exited with status 0"
leads_b() { metrics $((port_b + 1)) | grep -q 'leader_election_master_status{name="secureservice-operator"} 1'; }
wait_for leads_b
k get lease secureservice-operator -n secureservice-system -o jsonpath='{"holder: "}{.spec.holderIdentity}{"  transitions: "}{.spec.leaseTransitions}{"\n"}'

step "The Helm chart that installs all of this into a real cluster"
echo "\$ helm lint --strict charts/secureservice-operator"
"$helm" lint --strict "$chart" | tail -1
echo "\$ helm template secureservice-operator charts/secureservice-operator -f ci/all-on-values.yaml | validate-manifests"
"$helm" template secureservice-operator "$chart" -n secureservice-system -f "$chart/ci/all-on-values.yaml" > "$work/chart.yaml"
grep -E '^kind:' "$work/chart.yaml" | sort | uniq -c
[ -x "$validator" ] && "$validator" --crds "$root/crds" "$work/chart.yaml" | tail -1
echo "\$ promtool check rules charts/secureservice-operator/files/prometheus-rules.yaml"
promtool check rules "$chart/files/prometheus-rules.yaml" | grep SUCCESS
grep -E '^ +- alert:' "$chart/files/prometheus-rules.yaml" | sed 's/ *- alert: */  alert /' | uniq

step "Next: your cluster"
cat <<'TEXT'
Install the operator with Helm (two replicas, leader election, the webhooks, least-privilege RBAC):

  helm install secureservice-operator charts/secureservice-operator \
    --namespace secureservice-system --create-namespace \
    --set serviceMonitor.enabled=true --set prometheusRule.enabled=true --set grafanaDashboard.enabled=true

or without Helm: kubectl apply --server-side -f manifests/install.yaml (the same objects, rendered
by make manifests).
Then apply a SecureService (examples/shop.yaml), wait for READY True with kubectl get ssvc -A,
and mount its Secret into the pods it selects (examples/pods/). The README has the reference,
the alerts and what each condition means.
TEXT