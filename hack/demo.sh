#!/usr/bin/env bash
# make demo: what the operator can do today, shown as a user would see it, against the
# project's own Kubernetes API test server (the embedded default cluster).
# Everything lives in a temporary folder and a server that stop with the script: safe to run twice.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
bin="$build/src/secureservice-operator"
kubectl="$root/.tools/bin/kubectl"
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
k() { echo "\$ kubectl $*"; "$kubectl" --kubeconfig "$work/kubeconfig" "$@"; }

step "secureservice-operator $("$bin" version | cut -d' ' -f2)"
"$bin" --help | sed -n '1,2p'

step "Starting the Kubernetes API test server (the embedded default cluster)"
"$build/tests/kube-testserver" --kubeconfig "$work/kubeconfig" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do grep -q listening "$work/server.log" 2>/dev/null && break; sleep 0.05; done
cat "$work/server.log"
k version 2>/dev/null | tail -1

step "Bring your own CA: create it, apply it with kubectl"
k create namespace secureservice-system
echo "\$ secureservice-operator ca create -n secureservice-system --name cluster-ca | kubectl apply -f -"
"$bin" ca create -n secureservice-system --name cluster-ca | "$kubectl" --kubeconfig "$work/kubeconfig" apply -f -
k get secrets -n secureservice-system

step "What the cluster holds: kubectl get secret ... -o yaml | secureservice-operator cert inspect -"
"$kubectl" --kubeconfig "$work/kubeconfig" get secret cluster-ca -n secureservice-system -o yaml | "$bin" cert inspect -

step "The same Secret, checked as kube-apiserver would with strict field validation"
validator="$root/../shared/tools/validate-manifests"
if [ -x "$validator" ]; then
  "$kubectl" --kubeconfig "$work/kubeconfig" get secret cluster-ca -n secureservice-system -o yaml | "$validator" -
else
  echo "(validate-manifests is not beside this checkout; skipped)"
fi

step "Or as PEM files (the key is written with mode 0600 and never replaced); openssl agrees"
"$bin" ca create --algorithm Ed25519 --validity 8760h --out-dir "$work/pem"
openssl verify -CAfile "$work/pem/ca.crt" "$work/pem/tls.crt"

step "Next"
echo "The controller and the admission webhook come next (issues #4 to #7): 'make demo' will then run"
echo "the operator against this server, apply SecureServices and show their Secrets, NetworkPolicies,"
echo "mesh policy and admission decisions."
