#!/bin/sh
# Builds (once) the Debian 12 root file system that tests/ansible boots its containers from, and
# prints its path. Cached under /var/cache/lockstep/ansible-rootfs/ by the hash of its package
# list, so a second run reuses it; a fresh machine builds it (about 3 minutes, see
# docs/provisioning.md).
#
#   rootfs.sh [EXTRA_PACKAGE...]
#   rootfs.sh --base       only the debootstrap'd system without the playbook's packages (a fresh
#                          Debian 12 that scripts/package-test.sh installs the .deb on)
#
# The containers have no route to a package mirror, so every Debian package the playbook asks for
# is installed here first with chroot + apt-get: the playbook's apt tasks then find it present
# (they still run, and would install it on a real Pi). EXTRA_PACKAGE: e.g. the runtime
# dependencies of the lockstep .deb under test.
set -eu
only_base=
if [ "${1:-}" = --base ]; then
    only_base=1
    shift
fi

CACHE=${LOCKSTEP_ROOTFS_CACHE:-/var/cache/lockstep/ansible-rootfs}
# What debootstrap itself puts in: a booted system that ansible can reach over SSH.
BOOT_PACKAGES=systemd,systemd-sysv,dbus,openssh-server,python3,python3-apt,iproute2,sudo,ca-certificates
# What the playbook's roles install (ansible/roles/*/tasks): kept in step with
# ansible/group_vars/all.yml's package lists. Missing ones make the playbook fail in the test,
# since the containers cannot download.
ROLE_PACKAGES="locales tzdata chrony munge slurmctld slurmd slurm-client
    nfs-ganesha nfs-ganesha-vfs libnfs-utils nfs-common
    openmpi-bin python3-mpi4py libpmix2 libpmix-dev acl"

log() { echo "rootfs: $*" >&2; }

# debian_mirror, unmount_under, cache_key
# shellcheck source=scripts/debian-root.sh
. "$(dirname "$0")/../../scripts/debian-root.sh"

# One line each: they are keys of the cache and arguments of apt-get.
# shellcheck disable=SC2086,SC2116 # the unquoted echo joins the lines
ROLE_PACKAGES=$(echo $ROLE_PACKAGES)
extra=$(printf '%s\n' "$@" | sort -u | tr '\n' ' ')

# Stage 1, debootstrap (the slow part, cached apart so that a change of packages keeps it).
base=$CACHE/debootstrap-$(cache_key "$BOOT_PACKAGES")
root=$CACHE/bookworm-$(cache_key "$BOOT_PACKAGES|$ROLE_PACKAGES|$extra")
if [ -z "$only_base" ] && [ -f "$root/.lockstep-complete" ]; then
    log "cached: $root"
    echo "$root"
    exit 0
fi
mkdir -p "$CACHE"
if [ ! -f "$base/.lockstep-complete" ]; then
    tmp=$base.partial
    unmount_under "$tmp"
    rm -rf "$tmp"
    MIRROR=$(debian_mirror)
    log "debootstrap bookworm from $MIRROR into $tmp"
    debootstrap --variant=minbase --include="$BOOT_PACKAGES" bookworm "$tmp" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 ||
        { log "debootstrap failed, see $CACHE/debootstrap.log"; exit 1; }
    touch "$tmp/.lockstep-complete"
    rm -rf "$base"
    mv "$tmp" "$base"
fi

if [ -n "$only_base" ]; then
    echo "$base"
    exit 0
fi

# Stage 2, the playbook's packages.
tmp=$root.partial
unmount_under "$tmp"
rm -rf "$tmp"
cp -a --reflink=auto "$base" "$tmp"
rm -f "$tmp/.lockstep-complete"
# Daemons must not start inside the chroot while packages are installed.
printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
chmod 0755 "$tmp/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$tmp/etc/resolv.conf"
mount -t proc proc "$tmp/proc"
trap 'unmount_under "$tmp"' EXIT
log "installing the playbook's packages into the root (chroot apt-get)"
chroot "$tmp" env DEBIAN_FRONTEND=noninteractive sh -c \
    "apt-get update -qq && apt-get install -y -qq --no-install-recommends $ROLE_PACKAGES $extra && apt-get clean" \
    >"$CACHE/chroot-apt.log" 2>&1 ||
    { log "apt-get in the root failed, see $CACHE/chroot-apt.log"; exit 1; }
unmount_under "$tmp"
trap - EXIT
rm -f "$tmp/usr/sbin/policy-rc.d"
# Keys and identities that must differ per container are made at boot, not shared from the cache.
rm -f "$tmp"/etc/ssh/ssh_host_* "$tmp/etc/munge/munge.key"
: >"$tmp/etc/machine-id"
touch "$tmp/.lockstep-complete"
rm -rf "$root"
mv "$tmp" "$root"
# Roots for other package lists are stale now (about 600 MB each): keep only this one.
for old in "$CACHE"/bookworm-*; do
    [ "$old" = "$root" ] || [ ! -d "$old" ] || { unmount_under "$old"; rm -rf "$old"; }
done
log "built: $root"
echo "$root"
