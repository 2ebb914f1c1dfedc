# shellcheck shell=sh
# Shell functions shared by the scripts that make Debian roots with debootstrap (sourced, not run):
# tests/ansible/rootfs.sh (the provisioning test's bookworm root), scripts/arm64.sh (the arm64
# sysroot), scripts/package-test.sh (the fresh root a .deb is installed on).

# The machine's own Debian mirror (deb822 or one-line sources), never a hard-coded one.
debian_mirror() {
    for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        m=$(awk '/^URIs:/ { print $2; exit }' "$f")
        case $m in */debian) echo "$m" && return 0 ;; esac
    done
    m=$(awk '$1 == "deb" && $2 ~ /\/debian\/?$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
    [ -n "$m" ] && echo "$m" && return 0
    echo http://deb.debian.org/debian
}

# Unmounts everything below a directory, deepest first (an interrupted run may have left /proc
# mounted in a root: unmount before removing it).
unmount_under() {
    awk -v p="$1/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
        umount "$m" 2>/dev/null || umount -l "$m"
    done
}

# A short key for a cache directory: the first 16 hex digits of the arguments' SHA-256.
cache_key() { printf '%s' "$*" | sha256sum | cut -c1-16; }
