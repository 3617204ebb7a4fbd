#!/bin/sh
# Installs what ipfs-vfs needs on a fresh Debian machine, then does nothing on later runs:
# Debian packages through apt-get when root (FUSE 2 library and headers for the binding,
# fusermount, and the ordinary tools the tests drive), and the npm packages (Node 24 among them).
set -e
cd "$(dirname "$0")/.."
need=""
# swift-* and memcached: the real S3 server (OpenStack Swift s3api) the /s3 tests start; s3fs: the bench's comparison.
for pkg in libfuse2 libfuse-dev fuse3 pkg-config make g++ python3 rsync attr sqlite3 git vim-tiny swift-proxy swift-object swift-container swift-account python3-swift memcached s3fs systemd; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need="$need $pkg"
done
# vim-tiny only matters when no vim is there at all.
case "$need" in *vim-tiny*) command -v vim >/dev/null 2>&1 && need=$(echo "$need" | sed 's/ vim-tiny//') ;; esac
if [ -n "$need" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "ipfs-vfs setup: installing Debian packages:$need" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
  else
    echo "ipfs-vfs setup: missing Debian packages:$need (run: sudo apt-get install$need)" >&2
    exit 1
  fi
fi
if [ ! -x node_modules/.bin/node ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "ipfs-vfs setup: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi
# The Kubo engine's tests run against js-ipfs's RPC server, in its own package (its libp2p needs
# multiaddr 11, kubo-rpc-client 13): about 3 minutes the first time, nothing after.
k=test/kubo-standin
if [ ! -f $k/node_modules/.package-lock.json ] || [ $k/package-lock.json -nt $k/node_modules/.package-lock.json ]; then
  echo "ipfs-vfs setup: installing the Kubo RPC stand-in (npm install --prefix $k)" >&2
  # Not npm ci: an optional dependency deep in js-ipfs is a GitHub tarball, unreachable here, so
  # its lock has no entry for it and npm ci refuses the lock; install skips a failed optional one.
  npm install --prefix $k --no-save --no-audit --no-fund --ignore-scripts >&2
fi
