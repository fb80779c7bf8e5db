#!/usr/bin/env bash
# make demo: what the operator can do today, shown as a user would see it.
# It writes only to a temporary folder, removed at the end, so it is safe to run twice.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
bin="$build/src/secureservice-operator"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "secureservice-operator $("$bin" version | cut -d' ' -f2)"
"$bin" --help | sed -n '1,2p'

step "Bring your own CA: a kubernetes.io/tls Secret ready for 'kubectl apply -f -'"
"$bin" ca create --name shop-ca --namespace shop > "$work/ca-secret.yaml"
sed -E 's/^(  tls\.(crt|key)|  ca\.crt): (.{40}).*/\1: \3.../' "$work/ca-secret.yaml"
validator="$root/../shared/tools/validate-manifests"
if [ -x "$validator" ]; then
  step "The Secret checked as kube-apiserver would (strict field validation)"
  "$validator" "$work/ca-secret.yaml"
fi

step "What it holds: secureservice-operator cert inspect"
"$bin" cert inspect "$work/ca-secret.yaml"

step "Or as PEM files (the key is written with mode 0600 and never replaced)"
"$bin" ca create --algorithm Ed25519 --validity 8760h --out-dir "$work/pem"
ls -l "$work/pem" | tail -n +2
step "openssl agrees: the CA verifies against itself"
openssl verify -CAfile "$work/pem/ca.crt" "$work/pem/tls.crt"

step "Next"
echo "The controller, the admission webhook, the Kubernetes API test server and the Helm chart"
echo "come next (issues #3 to #7); 'make demo' will then run the operator against that server."
