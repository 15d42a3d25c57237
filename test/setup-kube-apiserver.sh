#!/usr/bin/env bash
# Builds the kube-apiserver that judges the API simulator (test/integration/apiserver-judge.test.ts) from a
# pinned k8s.io/kubernetes module version, with the machine's Go as it is (GOTOOLCHAIN=local) and its module
# proxy, into .cache/kube-apiserver/<version>/kube-apiserver (ignored by git). Skipped when present.
# `go install k8s.io/kubernetes/cmd/kube-apiserver@v` refuses the module (its go.mod replaces the k8s.io/*
# staging modules with local paths), so a throwaway module requires k8s.io/kubernetes and replaces each
# staging module with its published v0.<minor>.<patch> twin, then builds the command.
# The pin matches the kubectl of the reference machine (1.32); test/sandbox/kube-apiserver/server.ts holds the same pin.
# Cost on the 2-core reference machine, empty Go caches: ~10 CPU-minutes (486 s user + 113 s sys), 26 min wall
# while sharing the cores with the etcd builds; ~1 GB of modules and 2.4 GB of build cache; peak RSS of one
# process 1.6 GB (the link); a 95 MB binary.
# Set HCP_DR_SKIP_KUBE_APISERVER=1 to skip the build (the judge suite then skips with a message).
set -euo pipefail
cd "$(dirname "$0")/.."

K8S_VERSION="${HCP_DR_KUBE_APISERVER_VERSION:-v1.32.4}"
dir=".cache/kube-apiserver/$K8S_VERSION"
bin="$dir/kube-apiserver"

if [ "${HCP_DR_SKIP_KUBE_APISERVER:-}" = 1 ] || [ -x "$bin" ]; then exit 0; fi
if ! command -v go >/dev/null 2>&1; then
  echo "setup-kube-apiserver: go not found; the kube-apiserver judge suite will be skipped" >&2
  exit 0
fi

echo "setup-kube-apiserver: building kube-apiserver $K8S_VERSION with $(go version | cut -d' ' -f3) (several minutes)" >&2
start=$SECONDS
mkdir -p "$dir/module"
mod="$PWD/$dir/module"
staging_version="v0.${K8S_VERSION#v1.}"
export GOTOOLCHAIN=local CGO_ENABLED=0

# k8s.io/kubernetes's own go.mod names the staging modules it replaces with ./staging/src/k8s.io/<name>.
kube_mod="$(cd "$mod" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
staging="$(sed -n 's#^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/src/k8s\.io/.*$#\1#p' "$kube_mod" | sort -u)"
{
  echo "module hcpdr.local/kube-apiserver-build"
  echo
  echo "go 1.23"
  echo
  echo "require k8s.io/kubernetes $K8S_VERSION"
  for m in $staging; do echo "replace $m => $m $staging_version"; done
} >"$mod/go.mod"
printf '//go:build tools\n\npackage tools\n\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver"\n' >"$mod/tools.go"

ldflags="-s -w"
for kv in "gitVersion=$K8S_VERSION" "gitMajor=1" "gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2)" "gitTreeState=clean"; do
  ldflags="$ldflags -X k8s.io/component-base/version.$kv -X k8s.io/client-go/pkg/version.$kv"
done
(
  cd "$mod"
  go mod tidy
  go build -trimpath -ldflags "$ldflags" -o "../kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver
)
mv -f "$dir/kube-apiserver.tmp" "$bin"
echo "setup-kube-apiserver: kube-apiserver $K8S_VERSION built in $((SECONDS - start)) s" >&2
