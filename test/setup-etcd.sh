#!/usr/bin/env bash
# Builds the etcd releases the test world runs besides Debian's 3.4 (hypershift-domain.md §6: OpenShift
# runs 3.5.x up to 4.20 and 3.6.x from 4.21): the server, etcdctl and etcdutl of each pinned version, with
# the machine's Go as it is (GOTOOLCHAIN=local) and its module proxy, into .cache/etcd/<version>/bin
# (ignored by git). A version whose three binaries are present is skipped. test/sandbox/etcd/versions.ts
# holds the same pins; change both together.
# Build time on the 2-core reference machine (shared with other builds): 256 s for 3.5, 228 s for 3.6 from an
# empty module cache (8 min in all); nothing when present.
set -euo pipefail
cd "$(dirname "$0")/.."

ETCD_VERSIONS=("v3.5.36" "v3.6.17")

if ! command -v go >/dev/null 2>&1; then
  echo "setup-etcd: go not found; etcd 3.5/3.6 need Go (https://go.dev/dl) - only etcd 3.4 tests can run" >&2
  exit 1
fi

for v in "${ETCD_VERSIONS[@]}"; do
  dir=".cache/etcd/$v/bin"
  if [ -x "$dir/etcd" ] && [ -x "$dir/etcdctl" ] && [ -x "$dir/etcdutl" ]; then continue; fi
  echo "setup-etcd: building etcd $v (server, etcdctl, etcdutl) with $(go version | cut -d' ' -f3)" >&2
  start=$SECONDS
  # etcd's modules carry replace directives (../api, ../pkg), which `go install pkg@version` refuses, so the
  # three are built from a throw-away module that requires them at the same version.
  mod=".cache/etcd/$v/mod"
  rm -rf "$mod" && mkdir -p "$mod" "$dir"
  (
    cd "$mod"
    export GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-} -trimpath" CGO_ENABLED=0
    go mod init hcp-dr.test/etcd-build >/dev/null 2>&1
    go get "go.etcd.io/etcd/server/v3@$v" "go.etcd.io/etcd/etcdctl/v3@$v" "go.etcd.io/etcd/etcdutl/v3@$v"
    go build -o ../bin/etcd go.etcd.io/etcd/server/v3
    go build -o ../bin/etcdctl go.etcd.io/etcd/etcdctl/v3
    go build -o ../bin/etcdutl go.etcd.io/etcd/etcdutl/v3
  )
  rm -rf "$mod"
  echo "setup-etcd: etcd $v built in $((SECONDS - start)) s" >&2
done
