#!/bin/sh
# Installs what augur needs to build and test, from Debian 12 packages.
# Does nothing when everything is already there.
set -eu

PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev \
libcurl4-openssl-dev libsqlite3-dev libyaml-dev libcmocka-dev zlib1g-dev \
libopenblas-dev liblapacke-dev libxgboost-dev victoria-metrics \
prometheus curl python3 python3-yaml python3-jsonschema \
libmicrohttpd-dev libjansson-dev chromium libsnappy-dev wrk"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    exit 0
fi

echo "install-deps: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then
    SUDO=sudo
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
