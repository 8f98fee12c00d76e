#!/bin/sh
# The `wartemarke` command for the installed service: runs as the service's user, with its data
# dir and site file, so that files it creates (a restored database, a new account's rows, TLS
# keys) stay the service's. Install as /usr/local/bin/wartemarke:
#
#   sudo install -m755 deploy/systemd/wartemarke-cli.sh /usr/local/bin/wartemarke
#   sudo wartemarke doctor
#   sudo wartemarke user add anna --role clerk --password-stdin
#   sudo wartemarke backup /var/lib/wartemarke/backup/
#
# Never run /opt/wartemarke/bin/wartemarke as root on the service's data: SQLite files it
# creates would belong to root, and the service could no longer write its database.
set -eu
user=${WARTEMARKE_SERVICE_USER:-wartemarke}
bin=${WARTEMARKE_BIN:-/opt/wartemarke/bin/wartemarke}
WARTEMARKE_DATA_DIR=${WARTEMARKE_DATA_DIR:-/var/lib/wartemarke}
WARTEMARKE_CONFIG=${WARTEMARKE_CONFIG:-/etc/wartemarke/site.toml}
export WARTEMARKE_DATA_DIR WARTEMARKE_CONFIG
if [ "$(id -un)" = "$user" ]; then
    exec "$bin" "$@"
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "wartemarke: run as root (sudo wartemarke $*) or as $user" >&2
    exit 2
fi
# runuser keeps the environment above and gives the user's groups (lp: printer test).
exec runuser -u "$user" -- "$bin" "$@"
