#!/usr/bin/env bash
# The root file system of the hcp-dr image (Containerfile copies it), assembled from Debian
# packages without a registry base image, for each architecture named (amd64, arm64):
#   bash plugin/image-rootfs.sh amd64 [arm64]  ->  dist/image/rootfs-<arch>/
# Contents: glibc, libgcc_s and libstdc++ (the Node binary inside the SEA links them), the CA bundle
# /etc/ssl/certs/ca-certificates.crt (Mozilla's certificates of ca-certificates, concatenated in
# sorted order as update-ca-certificates does), /usr/share/zoneinfo (tzdata, /etc/localtime = UTC),
# passwd/group with root and nonroot (65532), nsswitch.conf, /tmp (1777). No shell. Beside it the
# empty dist/image/nonroot-home/, which Containerfile copies to /home/nonroot owned by 65532.
#
# Package versions: the version installed on this machine for that architecture when there is one
# (the image then runs the libraries the binary was built and smoke-tested against), else apt's
# candidate. The .deb files are kept in .cache/image/debs: a rebuild needs no network. Every mtime is
# SOURCE_DATE_EPOCH (default: the last commit's time), so equal inputs give an equal tree.
# Needs apt-get, dpkg-deb and coreutils only (the release workflow runs it in a debian:12 container).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$#" -gt 0 ] || set -- "$(dpkg --print-architecture)"

PACKAGES=(libc6 libgcc-s1 libstdc++6 ca-certificates tzdata)
DEBS=.cache/image/debs
EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
mkdir -p "$DEBS"

cached() { # <package> <version> <arch>: the .deb of that version in $DEBS, if there
  ls "$DEBS/${1}_${2//:/%3a}_"{"$3",all}.deb 2>/dev/null | head -n1 || true
}

deb_for() { # <package> <arch>: prints the path of its .deb in $DEBS, downloading it once
  local pkg="$1" arch="$2" installed candidate version file
  installed="$(dpkg-query -W -f '${Status} ${Version}' "$pkg:$arch" 2>/dev/null | sed -n 's/^install ok installed //p')"
  if [ -z "$installed" ] && [ "$(dpkg-query -W -f '${Architecture}' "$pkg" 2>/dev/null)" = all ]; then
    installed="$(dpkg-query -W -f '${Status} ${Version}' "$pkg" 2>/dev/null | sed -n 's/^install ok installed //p')"
  fi
  candidate="$(apt-cache policy "$pkg:$arch" 2>/dev/null | sed -n 's/^ *Candidate: //p')"
  # The installed version when the archive still has it (or it is cached), else apt's candidate.
  for version in $installed $candidate; do
    [ "$version" = "(none)" ] && continue
    file="$(cached "$pkg" "$version" "$arch")"
    if [ -z "$file" ]; then
      (cd "$DEBS" && apt-get download -qq -o APT::Sandbox::User=root "$pkg:$arch=$version" >&2 2>/dev/null) || continue
      file="$(cached "$pkg" "$version" "$arch")"
    fi
    [ -n "$file" ] && { echo "$file"; return 0; }
  done
  echo "image-rootfs: no .deb of $pkg:$arch to be had (installed: ${installed:-none}, candidate: ${candidate:-none}; for a foreign arch: dpkg --add-architecture $arch && apt-get update)" >&2
  return 2
}

for arch in "$@"; do
  out="dist/image/rootfs-$arch"
  rm -rf "$out" "$out.tmp"
  mkdir -p "$out.tmp"
  for pkg in "${PACKAGES[@]}"; do
    deb="$(deb_for "$pkg" "$arch")"
    dpkg-deb -x "$deb" "$out.tmp"
    echo "image-rootfs: $arch: $pkg $(dpkg-deb -f "$deb" Version)" >&2
  done
  (
    cd "$out.tmp"
    # The bundle update-ca-certificates would write from ca-certificates.conf (every mozilla/ entry).
    mkdir -p etc/ssl/certs
    find usr/share/ca-certificates -name '*.crt' | LC_ALL=C sort | xargs cat >etc/ssl/certs/ca-certificates.crt
    # Programs, docs and data nothing in the image reads; the image has no shell to run scripts.
    rm -rf usr/sbin usr/bin sbin bin usr/share/doc usr/share/man usr/share/lintian usr/share/locale \
      usr/share/ca-certificates usr/share/gdb usr/lib/*/gconv usr/share/debconf etc/ca-certificates.conf
    ln -sf /usr/share/zoneinfo/Etc/UTC etc/localtime
    echo Etc/UTC >etc/timezone
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >etc/passwd
    printf 'root:x:0:\nnonroot:x:65532:\n' >etc/group
    printf 'passwd: files\ngroup: files\nhosts: files dns\n' >etc/nsswitch.conf
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >etc/hosts
    # home/nonroot is not here: Containerfile creates it owned by 65532 from the empty nonroot-home/.
    mkdir -p tmp root home ../nonroot-home var/run/secrets/kubernetes.io/serviceaccount usr/local/bin
    chmod 1777 tmp
    chmod 0700 root
  )
  find "$out.tmp" "dist/image/nonroot-home" -exec touch -h -d "@$EPOCH" {} +
  mv "$out.tmp" "$out"
  echo "image-rootfs: $out ($(du -sh "$out" | cut -f1))" >&2
done
