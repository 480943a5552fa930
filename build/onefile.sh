#!/bin/sh
# netkit @NK_VERSION@ for @NK_TARGET@, in one file (made by make compile, build/onefile.ts).
#
# This POSIX sh script is followed by a gzip'd tar (its last line is `exit`, so sh never reads
# past it): the Deno runtime for @NK_ARCH@ and netkit's bundle. The first run unpacks them into a
# cache entry named by the content's SHA-256 and checks every file against the SHA-256s below;
# later runs check that no file of the entry was written since that check (see nk_ready) and
# start netkit from there; an entry that fails this is checked by SHA-256 again, and unpacked
# again when a file differs.
#
# The cache (docs/one-file.md): $NETKIT_CACHE_DIR when set; else for root /var/cache/netkit,
# then /run/netkit-cache, then ${TMPDIR:-/tmp}/netkit-cache-0; for a user
# ${XDG_CACHE_HOME:-$HOME/.cache}/netkit, then $XDG_RUNTIME_DIR/netkit-cache, then
# ${TMPDIR:-/tmp}/netkit-cache-UID. The first that is (or can be made) a directory, not a
# symbolic link, owned by this user and writable by no one else, is used. Nothing here follows a
# link inside it or trusts an entry it did not check.
#
# Needs only what every Debian has: sh, coreutils (stat, sha256sum, tail, mktemp), tar, gzip.

NK_HASH=@NK_HASH@
NK_START=@NK_START@
NK_ARCH=@NK_ARCH@
NK_FILES='@NK_FILES@'
NK_MANIFEST='@NK_MANIFEST@'

nk_die() {
  printf 'netkit: %s\n' "$*" >&2
  exit 126
}

case $0 in
  /*) nk_self=$0 ;;
  *) nk_self=$PWD/$0 ;;
esac

# A directory this user owns, that is no link and that no one else may write to.
nk_safe_dir() {
  [ -d "$1" ] && [ ! -L "$1" ] && [ -O "$1" ] || return 1
  nk_mode=$(stat -c '%a' -- "$1") || return 1
  case $nk_mode in
    *[2367]? | *[2367]) return 1 ;;
  esac
}

# The entry under base $1 is ready: the base, the entry, its stamp and every file are this
# user's and no links, and no file was written after the stamp (written once every file had been
# checked against its SHA-256; tar gave each file the time 0, and a write sets the time to now).
# Warm start: test(1) builtins only, no process and no hashing.
nk_ready() {
  nk_entry=$1/$NK_HASH
  nk_ok=$nk_entry.ok
  [ -d "$1" ] && [ ! -L "$1" ] && [ -O "$1" ] &&
    [ -d "$nk_entry" ] && [ ! -L "$nk_entry" ] && [ -O "$nk_entry" ] &&
    [ -f "$nk_ok" ] && [ ! -L "$nk_ok" ] && [ -O "$nk_ok" ] || return 1
  # -nt and -O: in dash, bash and busybox sh; a sh without them fails the test, and every start
  # then takes the SHA-256 check (slower, never less safe).
  for nk_f in $NK_FILES; do
    nk_f=$nk_entry/$nk_f
    # shellcheck disable=SC3013
    [ -f "$nk_f" ] && [ ! -L "$nk_f" ] && [ -O "$nk_f" ] && [ ! "$nk_f" -nt "$nk_ok" ] || return 1
  done
}

# Every file of the entry $1 is a regular file with its SHA-256 from the manifest.
nk_verify() {
  [ -d "$1" ] && [ ! -L "$1" ] && [ -O "$1" ] || return 1
  # shellcheck disable=SC2086
  nk_types=$(cd "$1" && stat --printf '%F|' -- $NK_FILES 2>/dev/null) || return 1
  case $nk_types in
    *link* | *directory*) return 1 ;;
  esac
  (cd "$1" && printf '%s\n' "$NK_MANIFEST" | sha256sum --quiet --strict -c - >/dev/null 2>&1)
}

# Records the entry's stamp beside it (written under a temporary name and renamed): its time says
# when every file was last checked.
nk_stamp() {
  nk_tmp=$(mktemp "$1/.stamp-XXXXXXXX") || return 1
  if printf 'checked %s\n' "$NK_HASH" >"$nk_tmp" && mv -f -- "$nk_tmp" "$1/$NK_HASH.ok"; then
    return 0
  fi
  rm -f -- "$nk_tmp"
  return 1
}

# Unpacks into base $1 (made if need be): into a fresh directory there, checked, then renamed to
# the entry's name. When another first run renamed its copy first, that one is checked and used.
nk_unpack() {
  if [ ! -e "$1" ]; then
    mkdir -p -- "${1%/*}" 2>/dev/null
    mkdir -m 0700 -- "$1" 2>/dev/null
  fi
  nk_safe_dir "$1" && [ -w "$1" ] || return 1
  nk_entry=$1/$NK_HASH
  if [ -e "$nk_entry" ] || [ -L "$nk_entry" ]; then
    if nk_verify "$nk_entry"; then
      nk_stamp "$1"
      return
    fi
    rm -f -- "$nk_entry.ok"
    if [ -d "$nk_entry" ] && [ ! -L "$nk_entry" ]; then
      printf 'netkit: %s was changed: unpacking it again\n' "$nk_entry" >&2
    fi
    nk_bad=$(mktemp -d "$1/.bad-XXXXXXXX") || return 1
    mv -f -T -- "$nk_entry" "$nk_bad/entry" 2>/dev/null
    rm -rf -- "$nk_bad"
  fi
  nk_tmp=$(mktemp -d "$1/.unpack-XXXXXXXX") || return 1
  if tail -c +"$NK_START" -- "$nk_self" | tar -xzf - -C "$nk_tmp" --no-same-owner 2>/dev/null &&
    nk_verify "$nk_tmp" && chmod 0700 -- "$nk_tmp"; then
    mv -T -- "$nk_tmp" "$nk_entry" 2>/dev/null || rm -rf -- "$nk_tmp"
  else
    rm -rf -- "$nk_tmp"
    nk_failed="$nk_failed $1"
    return 1
  fi
  nk_verify "$nk_entry" && nk_stamp "$1"
}

if [ -n "${NETKIT_CACHE_DIR-}" ]; then
  nk_bases=$NETKIT_CACHE_DIR
elif [ -O / ]; then
  nk_bases="/var/cache/netkit /run/netkit-cache ${TMPDIR:-/tmp}/netkit-cache-0"
else
  nk_bases="${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/netkit"
  nk_bases="$nk_bases ${XDG_RUNTIME_DIR:+$XDG_RUNTIME_DIR/netkit-cache}"
  nk_bases="$nk_bases ${TMPDIR:-/tmp}/netkit-cache-$(id -u)"
fi

nk_found=
nk_failed=
for nk_base in $nk_bases; do
  if nk_ready "$nk_base"; then
    nk_found=$nk_entry
    break
  fi
done
if [ -z "$nk_found" ]; then
  nk_machine=$(uname -m)
  [ "$nk_machine" = "$NK_ARCH" ] ||
    nk_die "$nk_self is netkit for $NK_ARCH; this machine is $nk_machine (uname -m): copy the $nk_machine file"
  for nk_base in $nk_bases; do
    if nk_unpack "$nk_base"; then
      nk_found=$nk_base/$NK_HASH
      break
    fi
  done
  [ -z "$nk_failed" ] ||
    nk_die "cannot unpack $nk_self into$nk_failed: is the file whole (compare its sha256sum with the one you copied) and is there room?"
  [ -n "$nk_found" ] ||
    nk_die "no usable cache directory among: $nk_bases (each must be a directory owned by $(id -un), writable by no one else, not a link); set NETKIT_CACHE_DIR"
fi

NETKIT_ONEFILE=$nk_self
NETKIT_ONEFILE_ENTRY=$nk_found
DENO_NO_UPDATE_CHECK=1
export NETKIT_ONEFILE NETKIT_ONEFILE_ENTRY DENO_NO_UPDATE_CHECK
exec "$nk_found/deno" run -A --no-config --no-lock "$nk_found/netkit-cli/main.js" "$@"
exit 126
