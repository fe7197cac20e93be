# Sourced by the *-ppc64le scripts: prepares a sysroot of Debian ppc64el packages, from the host's
# own package index, in which a ppc64el tool runs under qemu-user.
#   ppc64el_sysroot ROOT TOOL PACKAGES...   (TOOL's .deb must be among those downloaded)
ppc64el_sysroot() {
  local root=$1 tool=$2; shift 2
  command -v qemu-ppc64le-static >/dev/null || apt-get install -y -qq qemu-user-static >/dev/null
  local added=0
  if ! dpkg --print-foreign-architectures | grep -qx ppc64el; then dpkg --add-architecture ppc64el; added=1; fi
  apt-get update -qq >/dev/null 2>&1 || true   # a foreign index may be mid-sync; the main one is enough
  local dl; dl=$(mktemp -d)
  (cd "$dl" && for p in "$@"; do apt-get download -qq "$p:ppc64el" >/dev/null 2>&1 || echo "note: $p:ppc64el not downloaded" >&2; done)
  if [ "$added" = 1 ]; then dpkg --remove-architecture ppc64el; apt-get update -qq >/dev/null 2>&1 || true; fi
  ls "$dl"/"${tool}"_*_ppc64el.deb >/dev/null 2>&1 || { echo "could not download $tool:ppc64el" >&2; exit 1; }
  rm -rf "$root.tmp" && mkdir -p "$root.tmp"
  for d in "$dl"/*.deb; do dpkg -x "$d" "$root.tmp"; done
  rm -rf "$dl"
  # the dynamic loader link is absolute; make it relative so it resolves inside the sysroot
  for l in "$root.tmp"/lib64/ld64.so.2 "$root.tmp"/usr/lib64/ld64.so.2; do
    [ -L "$l" ] || continue
    t=$(readlink "$l"); case "$t" in /*) ln -sf "$root.tmp$t" "$l.abs" && ln -sfr "$root.tmp$t" "$l" && rm -f "$l.abs";; esac
  done
  rm -rf "$root" && mv "$root.tmp" "$root"
}
