#!/usr/bin/env bash
# Entrypoint of the Vigil image (deploy/Dockerfile).
#   serve [flags]       check the data directory, TLS files and credentials, then exec `vigil serve`
#   healthcheck         exit 0 when /_vigil/live answers (http or https, as configured)
#   api-key|backup|restore|detect|…   run that vigil command
#   anything else       exec it (e.g. `sh`)
# VIGIL_BIN overrides the vigil command (tests run this script against a fake one).
set -euo pipefail

read -r -a VIGIL <<< "${VIGIL_BIN:-node /opt/vigil/bin/vigil.js}"
export VIGIL_DATA_DIR="${VIGIL_DATA_DIR:-/var/lib/vigil}"
if [[ -z "${VIGIL_CONFIG:-}" && -f /etc/vigil/vigil.yaml ]]; then
  export VIGIL_CONFIG=/etc/vigil/vigil.yaml
fi

die() {
  echo "vigil-entrypoint: $*" >&2
  exit 1
}

check_serve() {
  mkdir -p "$VIGIL_DATA_DIR" 2>/dev/null || true
  [[ -d "$VIGIL_DATA_DIR" && -w "$VIGIL_DATA_DIR" ]] ||
    die "data directory $VIGIL_DATA_DIR is not writable by uid $(id -u); mount a volume owned by it (chown $(id -u) on the host, or a named volume)"
  if [[ -n "${VIGIL_CONFIG:-}" && ! -r "$VIGIL_CONFIG" ]]; then
    die "VIGIL_CONFIG=$VIGIL_CONFIG cannot be read"
  fi
  if [[ -n "${VIGIL_TLS_CERT:-}${VIGIL_TLS_KEY:-}" ]]; then
    [[ -n "${VIGIL_TLS_CERT:-}" && -n "${VIGIL_TLS_KEY:-}" ]] || die "set both VIGIL_TLS_CERT and VIGIL_TLS_KEY (or neither)"
    [[ -r "$VIGIL_TLS_CERT" ]] || die "VIGIL_TLS_CERT=$VIGIL_TLS_CERT cannot be read"
    [[ -r "$VIGIL_TLS_KEY" ]] || die "VIGIL_TLS_KEY=$VIGIL_TLS_KEY cannot be read"
  fi
  if [[ ! -s "$VIGIL_DATA_DIR/security/api_keys.json" ]] && ! grep -qs 'password_hash' "${VIGIL_CONFIG:-/dev/null}"; then
    echo "vigil-entrypoint: no API keys or users yet; authentication is required on ${VIGIL_HOST:-0.0.0.0}. Create an admin key with:" >&2
    echo "  docker exec <container> vigil api-key create --name admin --role admin" >&2
  fi
}

healthcheck() {
  local scheme=http
  [[ -n "${VIGIL_TLS_CERT:-}" ]] && scheme=https
  VIGIL_HC_URL="${scheme}://127.0.0.1:${VIGIL_PORT:-9200}/_vigil/live" exec node -e '
    const u = new URL(process.env.VIGIL_HC_URL);
    const mod = u.protocol === "https:" ? require("node:https") : require("node:http");
    const req = mod.get(u, { rejectUnauthorized: false, timeout: 4000 }, (res) => process.exit(res.statusCode === 200 ? 0 : 1));
    req.on("error", () => process.exit(1));
    req.on("timeout", () => process.exit(1));'
}

cmd="${1:-serve}"
[[ $# -gt 0 ]] && shift
case "$cmd" in
  serve)
    check_serve
    exec "${VIGIL[@]}" serve "$@"
    ;;
  healthcheck)
    healthcheck
    ;;
  vigil)
    exec "${VIGIL[@]}" "$@"
    ;;
  api-key | backup | restore | detect | demo | eval | synth | forecast | eval-forecast | alerts | --help | -h | --version)
    exec "${VIGIL[@]}" "$cmd" "$@"
    ;;
  *)
    exec "$cmd" "$@"
    ;;
esac
