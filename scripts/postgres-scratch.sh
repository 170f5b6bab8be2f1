#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: a Unix socket in DIR, no TCP, trust authentication.
#   scripts/postgres-scratch.sh start DIR   prints the URL to put in APITOKENS_TEST_POSTGRES
#   scripts/postgres-scratch.sh stop DIR
# PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user.
set -euo pipefail
action=${1:?start or stop}
dir=${2:?a directory for the cluster}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/pg_ctl" ] || { echo "no PostgreSQL server found under /usr/lib/postgresql (apt-get install postgresql)" >&2; exit 1; }
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case $action in
start)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_owner "$bin/initdb" -D "$dir/data" --auth=trust --username=postgres --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=on" start >/dev/null
  # The tests connect as the OS user running them, as libpq would.
  as_owner "$bin/psql" -h "$dir" -U postgres -d postgres -qc "CREATE ROLE \"$(id -un)\" SUPERUSER LOGIN" 2>/dev/null || true
  as_owner "$bin/createdb" -h "$dir" -U postgres -O "$(id -un)" apitokens_test
  echo "postgresql:///apitokens_test?host=$dir"
  ;;
stop)
  [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
