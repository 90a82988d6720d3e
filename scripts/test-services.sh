#!/usr/bin/env bash
# Test services for the datafeed tests, from Debian packages: PostgreSQL and VictoriaMetrics.
#
#   scripts/test-services.sh install   # apt-get install postgresql victoria-metrics (needs root or sudo)
#   scripts/test-services.sh test      # install if missing, then run the datafeed tests (they start
#                                      # private instances on loopback themselves and stop them after)
#   scripts/test-services.sh start     # start a private PostgreSQL and VictoriaMetrics on loopback for
#                                      # trying things by hand; prints their URLs; Ctrl-C stops both
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_() { if [ "$(id -u)" = "0" ]; then "$@"; else sudo "$@"; fi; }

have() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ -x /usr/bin/victoria-metrics ]; }

install() {
  if have; then echo "postgresql and victoria-metrics are installed"; return; fi
  sudo_ apt-get update -qq
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql victoria-metrics >/dev/null
  echo "installed postgresql and victoria-metrics"
}

start() {
  local bin dir pgport vmport runas=()
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  dir=$(mktemp -d /tmp/vigil-services-XXXXXX)
  pgport=${PGPORT_VIGIL:-55432}; vmport=${VMPORT_VIGIL:-58428}
  if [ "$(id -u)" = "0" ]; then chown postgres "$dir"; runas=(runuser -u postgres --); fi
  "${runas[@]}" "$bin/initdb" -D "$dir/pg" -U vigil --auth=trust -E UTF8 --no-sync --locale=C >/dev/null
  "${runas[@]}" "$bin/pg_ctl" -D "$dir/pg" -l "$dir/pg.log" -w -o "-p $pgport -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
  /usr/bin/victoria-metrics -storageDataPath="$dir/vm" -httpListenAddr="127.0.0.1:$vmport" -retentionPeriod=100y -loggerLevel=ERROR &
  local vmpid=$!
  trap '"${runas[@]}" "$bin/pg_ctl" -D "$dir/pg" -m fast stop >/dev/null; kill $vmpid; rm -rf "$dir"' EXIT
  echo "PostgreSQL:      postgres://vigil@127.0.0.1:$pgport/postgres"
  echo "VictoriaMetrics: http://127.0.0.1:$vmport   (import: POST /api/v1/import/prometheus)"
  echo "Ctrl-C stops both and removes $dir"
  wait $vmpid
}

case "${1:-test}" in
  install) install ;;
  start) start ;;
  test) install; npx vitest run src/sources/datafeed src/server/datafeeds ;;
  *) echo "usage: $0 install|test|start" >&2; exit 2 ;;
esac
