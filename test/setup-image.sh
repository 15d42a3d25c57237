#!/usr/bin/env bash
# The container side of test/setup.sh: podman, buildah, runc and skopeo from Debian (skipped when
# present), then the image of this checkout (`npm run image`, plugin/image.ts) when it is absent or
# older than the sources, so the image tests and the sandbox's Job runner run pods from it.
# HCP_DR_SKIP_IMAGE=1 skips both; on a machine where podman cannot run, the tests say so and skip
# (image.test.ts) or run the plugin as a process instead (the Job runner).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${HCP_DR_SKIP_IMAGE:-}" = 1 ] && exit 0
[ "$(uname -s)" = Linux ] || exit 0
# Rootless podman needs subuid ranges this project does not set up: only root builds and runs the image.
[ "$(id -u)" = 0 ] || { echo "setup: not root: no image (its tests skip; the Job runner runs the plugin as a process)" >&2; exit 0; }

if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1 || ! command -v buildah >/dev/null 2>&1; then
  echo "setup: installing podman, buildah, runc and skopeo from Debian" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman buildah runc skopeo >/dev/null
fi

stamp=.cache/podman/image.stamp
if [ ! -f "$stamp" ] || [ -n "$(find src plugin Containerfile package.json package-lock.json -newer "$stamp" -print -quit)" ]; then
  echo "setup: building the image (npm run image: the single binary, Debian packages, podman build)" >&2
  # A failed build leaves no stamp: the tests then say why they skip or run the plugin as a process.
  nice node_modules/.bin/node plugin/image.ts --no-archive || echo "setup: the image build failed (see above); continuing without it" >&2
fi
