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
operator_pids=()
cleanup() {
  for pid in "${operator_pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
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

step "Two operator replicas elect a leader with a Lease; both serve probes and metrics"
# Ports in a range unlikely to be taken; the demo runs on a developer's machine.
port_a=$((30000 + RANDOM % 10000)); port_b=$((port_a + 2))
start_operator() {
  "$bin" run --kubeconfig "$work/kubeconfig" --leader-elect --leader-election-namespace secureservice-system \
    --health-probe-bind-address "127.0.0.1:$1" --metrics-bind-address "127.0.0.1:$(($1 + 1))" \
    --leader-elect-lease-duration 4s --leader-elect-renew-deadline 3s --leader-elect-retry-period 500ms \
    --log-format json > "$work/operator-$2.log" 2>&1 &
  operator_pids+=($!)
}
start_operator "$port_a" a
for _ in $(seq 100); do curl -fs "127.0.0.1:$port_a/readyz" >/dev/null 2>&1 && break; sleep 0.05; done
start_operator "$port_b" b
for _ in $(seq 100); do curl -fs "127.0.0.1:$port_b/readyz" >/dev/null 2>&1 && break; sleep 0.05; done
k get lease secureservice-operator -n secureservice-system -o jsonpath='{"holder: "}{.spec.holderIdentity}{"\n"}'
echo "\$ curl 127.0.0.1:$port_a/readyz; curl 127.0.0.1:$port_b/readyz"
curl -s "127.0.0.1:$port_a/readyz"; echo; curl -s "127.0.0.1:$port_b/readyz"; echo
echo "\$ curl -s 127.0.0.1:$((port_a + 1))/metrics | grep -E '^(leader_election|rest_client)'"
curl -s "127.0.0.1:$((port_a + 1))/metrics" | grep -E '^(leader_election|rest_client)'
echo "\$ curl -s 127.0.0.1:$((port_a + 1))/metrics | promtool check metrics"
if command -v promtool >/dev/null; then curl -s "127.0.0.1:$((port_a + 1))/metrics" | promtool check metrics && echo "promtool: ok"; fi

step "SIGTERM to the leader: it releases the Lease and exits 0; the follower takes over at once"
kill -TERM "${operator_pids[0]}"
wait "${operator_pids[0]}" && echo "leader exited with status 0"
for _ in $(seq 100); do
  curl -s "127.0.0.1:$((port_b + 1))/metrics" | grep -q 'leader_election_master_status{name="secureservice-operator"} 1' && break
  sleep 0.05
done
k get lease secureservice-operator -n secureservice-system -o jsonpath='{"holder: "}{.spec.holderIdentity}{"  transitions: "}{.spec.leaseTransitions}{"\n"}'
echo "last lines of the first replica's log:"
tail -3 "$work/operator-a.log"

step "Next"
echo "The SecureService controller and the admission webhook come next (issues #5 to #7): 'make demo' will then run"
echo "the operator against this server, apply SecureServices and show their Secrets, NetworkPolicies,"
echo "mesh policy and admission decisions."
