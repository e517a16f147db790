# Shared helpers for scripts/run and scripts/test. Sourced, not executed.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31mError: %s\033[0m\n' "$*" >&2; exit 1; }

# Create the virtualenv and install the pinned dependencies when pyproject or the lock changed.
ensure_venv() {
  local python="${PYTHON:-}"
  if [ -z "$python" ]; then
    for candidate in python3.11 python3; do
      if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
        python="$candidate"; break
      fi
    done
  fi
  [ -n "$python" ] || die "Python 3.11 is needed (apt-get install python3.11 python3.11-venv)."
  if [ ! -x "$PY" ]; then
    say "Creating the virtualenv in .venv"
    "$python" -m venv "$VENV" || die "could not create .venv (apt-get install python3.11-venv)"
  fi
  local stamp="$VENV/.leerplek-installed"
  local want
  want="$(cat "$ROOT/pyproject.toml" "$ROOT/constraints.txt" | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "Installing dependencies (pinned in pyproject.toml and constraints.txt)"
    "$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$PY" -m pip install --quiet --disable-pip-version-check -c "$ROOT/constraints.txt" -e "$ROOT[dev]"
    echo "$want" >"$stamp"
  fi
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for_port() {
  local host=$1 port=$2 what=$3
  for _ in $(seq 1 60); do
    port_open "$host" "$port" && return 0
    sleep 0.5
  done
  die "$what did not come up on $host:$port"
}

apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    return 1
  fi
  say "Installing $* from Debian's packages"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# PostgreSQL on 127.0.0.1:5432: use it if it runs, start it if installed, install it in CI.
ensure_postgres() {
  port_open 127.0.0.1 5432 && return 0
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    if [ "${CI:-}" = "true" ] || [ "${LEERPLEK_INSTALL_SERVICES:-}" = "1" ]; then
      apt_install postgresql || die "could not install PostgreSQL"
      local conf
      conf="$(ls -d /etc/postgresql/*/main | tail -n1)/pg_hba.conf"
      # Tests connect over TCP as 'postgres' without a password, as on the dev machines.
      sed -i '1i host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$conf"
    else
      die "PostgreSQL is not installed. Install it (sudo apt-get install postgresql) or set
       DATABASE_URL to a server you have; 'CI=true make test' installs it for you as root."
    fi
  fi
  say "Starting PostgreSQL"
  local version
  version="$(ls /etc/postgresql | sort -n | tail -n1)"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for_port 127.0.0.1 5432 PostgreSQL
}

# Redis on 127.0.0.1:6379, the same way.
ensure_redis() {
  port_open 127.0.0.1 6379 && return 0
  if ! command -v redis-server >/dev/null 2>&1; then
    if [ "${CI:-}" = "true" ] || [ "${LEERPLEK_INSTALL_SERVICES:-}" = "1" ]; then
      apt_install redis-server || die "could not install Redis"
    else
      die "Redis is not installed. Install it (sudo apt-get install redis-server) or set
       REDIS_URL to a server you have; 'CI=true make test' installs it for you as root."
    fi
  fi
  say "Starting Redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/leerplek.log
  wait_for_port 127.0.0.1 6379 Redis
}

# Create the database named in DATABASE_URL when the server has none of that name.
ensure_database() {
  "$PY" - <<'PY'
import os
import dj_database_url
import psycopg
from psycopg import sql

cfg = dj_database_url.parse(os.environ["DATABASE_URL"])
if "postgresql" in cfg["ENGINE"]:
    params = dict(host=cfg["HOST"] or None, port=cfg["PORT"] or None, user=cfg["USER"] or None,
                  password=cfg["PASSWORD"] or None, dbname="postgres", autocommit=True)
    with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(cfg["NAME"])))
PY
}

# The browser libraries the pages use (web/assets/package.json), from the npm registry.
ensure_assets() {
  local dir="$ROOT/web/assets"
  local stamp="$dir/node_modules/.leerplek-installed"
  local want
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
  # A build tool, not a service: installed whenever we can (as root), on any machine.
  if ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm || die "npm is needed for the pages' charts (sudo apt-get install npm)."
  fi
  say "Installing the pages' browser libraries (npm ci)"
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) || die "npm ci failed"
  echo "$want" >"$stamp"
}

# Compiled translations (locale/*/LC_MESSAGES/*.mo) from the .po files, when they changed.
ensure_translations() {
  local stamp="$ROOT/locale/.compiled"
  local want
  want="$(cat "$ROOT"/locale/*/LC_MESSAGES/*.po | sha256sum | cut -d' ' -f1)"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
  if ! command -v msgfmt >/dev/null 2>&1; then
    apt_install gettext || die "msgfmt is needed for the translations (sudo apt-get install gettext)."
  fi
  "$PY" manage.py compilemessages --ignore=.venv --ignore=web/assets -v0
  echo "$want" >"$stamp"
}

# Debian's Chromium for the browser tests (Playwright drives it; it downloads no browser).
ensure_chromium() {
  command -v chromium >/dev/null 2>&1 && return 0
  if [ "${CI:-}" = "true" ] || [ "${LEERPLEK_INSTALL_SERVICES:-}" = "1" ]; then
    apt_install chromium || die "could not install Chromium"
  else
    say "Chromium is not installed: the browser tests are skipped (sudo apt-get install chromium)"
  fi
}
