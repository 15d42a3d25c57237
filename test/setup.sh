#!/usr/bin/env bash
# Makes a fresh machine of this project's kind ready for `npm test`, `npm run demo` and
# `npm run bench`: dependencies from the lockfile, etcd from Debian when missing, the bundle.
# Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x node_modules/.bin/node ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund
fi

if ! command -v etcd >/dev/null 2>&1 || ! command -v etcdctl >/dev/null 2>&1; then
  echo "setup: installing etcd-server and etcd-client from Debian" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq etcd-server etcd-client >/dev/null
fi

# etcd 3.5 and 3.6 (OpenShift's) beside Debian's 3.4, built with Go into .cache/etcd (skipped when present).
bash test/setup-etcd.sh
bash test/setup-kube-apiserver.sh # the simulator's judge (apiserver-judge.test.ts) into .cache/kube-apiserver, once (~10 CPU-min)

# Ceph RGW (Pacific on Debian 12), the second real S3 of test/integration/rgw.test.ts and bench/rgw.ts:
# test/sandbox/s3/ceph-rgw.ts runs one mon, one memstore OSD and radosgw from these packages (~70 s to install).
if ! command -v ceph-mon >/dev/null 2>&1 || ! command -v ceph-osd >/dev/null 2>&1 || ! command -v radosgw >/dev/null 2>&1 || ! command -v radosgw-admin >/dev/null 2>&1 || ! command -v ceph >/dev/null 2>&1; then
  echo "setup: installing ceph-mon, ceph-osd, radosgw and ceph-common from Debian" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq ceph-mon ceph-osd radosgw ceph-common >/dev/null
fi

# The Pushgateway and promtool of the metrics tests (test/integration/pushgateway.test.ts, promtool-rules.test.ts).
# Only the binaries are used: the tests start the Pushgateway on 127.0.0.1 themselves.
if ! command -v prometheus-pushgateway >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
  echo "setup: installing prometheus-pushgateway and prometheus (for promtool) from Debian" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus-pushgateway prometheus >/dev/null
fi

# Debian's age (and age-keygen): the encrypted-backup tests decrypt each object with it by hand.
if ! command -v age >/dev/null 2>&1 || ! command -v age-keygen >/dev/null 2>&1; then
  echo "setup: installing age from Debian" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends age >/dev/null
fi

if [ "${HCP_DR_SETUP_BENCH:-}" = 1 ] && ! command -v hyperfine >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq hyperfine >/dev/null
fi

# podman and the hcp-dr image (npm run image), for test/integration/image.test.ts and the Job runner's pods.
bash test/setup-image.sh

node_modules/.bin/node plugin/build.ts
