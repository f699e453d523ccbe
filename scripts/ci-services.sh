#!/usr/bin/env bash
# Makes sure what the test suites talk to is installed and running on this machine:
# nats-server (the bus tests start private instances; the shared one on 4222 must be up)
# and FerretDB (the MongoDB-wire server the read store tests start on a free port).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v nats-server >/dev/null 2>&1; then
  echo "installing nats-server"
  as_root apt-get update -qq && as_root apt-get install -y -qq nats-server
fi

nats_up() { (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; }
if ! nats_up; then
  echo "starting NATS with JetStream on 127.0.0.1:4222"
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec "$(command -v nats-server)" -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  for _ in $(seq 1 50); do nats_up && break; sleep 0.2; done
  nats_up || { echo "NATS did not start on 127.0.0.1:4222"; exit 1; }
fi
echo "NATS: $(nats-server --version)"

# PostgreSQL: the event-store suites use 127.0.0.1:5432 as user postgres with trust auth, and the
# outage tests run their own initdb/pg_ctl from /usr/lib/postgresql/*/bin as the postgres user.
pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "installing PostgreSQL"
  as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql
fi
if ! pg_up; then
  echo "starting PostgreSQL on 127.0.0.1:5432 (trust for local connections)"
  cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')
  if [ -z "$cluster" ]; then
    as_root pg_createcluster "$(ls /usr/lib/postgresql | sort -V | tail -1)" main
    cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')
  fi
  read -r version name <<<"$cluster"
  hba="/etc/postgresql/$version/$name/pg_hba.conf"
  grep -q '^host all postgres 127.0.0.1/32 trust' "$hba" ||
    as_root sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
  as_root pg_ctlcluster "$version" "$name" start || as_root pg_ctlcluster "$version" "$name" reload
  for _ in $(seq 1 50); do pg_up && break; sleep 0.2; done
  pg_up || { echo "PostgreSQL did not start on 127.0.0.1:5432"; exit 1; }
fi
echo "PostgreSQL: $(psql -h 127.0.0.1 -U postgres -XAtc 'SHOW server_version' 2>&1)"

if [ -f scripts/install-ferretdb.sh ]; then
  bash scripts/install-ferretdb.sh
fi

# nginx for the gateway test (deploy/nginx/gateway.conf): unpacked, not installed, so no
# daemon starts; .ci/run points NGINX_BIN at it.
if ! command -v nginx >/dev/null 2>&1 && [ ! -x .tmp/nginx/usr/sbin/nginx ]; then
  echo "unpacking nginx for the gateway test"
  mkdir -p .tmp/nginx-deb
  ( cd .tmp/nginx-deb && { apt-get download nginx >/dev/null 2>&1 || { as_root apt-get update -qq && apt-get download nginx; }; } ) \
    && dpkg -x .tmp/nginx-deb/nginx_*.deb .tmp/nginx \
    || echo "nginx could not be unpacked: the gateway test will say so and skip"
fi

# Chromium for the browser tests (the console's and /docs'; test/support/browser.ts drives it
# through playwright-core, which never downloads a browser of its own).
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium"
  as_root apt-get update -qq && as_root apt-get install -y -qq chromium
fi
echo "chromium: $(chromium --version 2>/dev/null || echo missing)"
