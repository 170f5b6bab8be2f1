#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: a Unix socket in DIR, no TCP, trust authentication.
#   scripts/postgres-scratch.sh start DIR   prints the URL to put in APITOKENS_TEST_POSTGRES
#   scripts/postgres-scratch.sh start-tls DIR PORT   TCP on localhost:PORT that takes TLS only, with a certificate
#                                                   for localhost signed by DIR/certs/ca.crt; prints its URL
#   scripts/postgres-scratch.sh stop DIR
# PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user.
set -euo pipefail
action=${1:?start or stop}
dir=${2:?a directory for the cluster}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/pg_ctl" ] || { echo "no PostgreSQL server found under /usr/lib/postgresql (apt-get install postgresql)" >&2; exit 1; }
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

initialise() {
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_owner "$bin/initdb" -D "$dir/data" --auth=trust --username=postgres --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
}

# The tests connect as the OS user running them, as libpq would.
create_test_database() {
  as_owner "$bin/psql" -h "$dir" -U postgres -d postgres -qc "CREATE ROLE \"$(id -un)\" SUPERUSER LOGIN" 2>/dev/null || true
  as_owner "$bin/createdb" -h "$dir" -U postgres -O "$(id -un)" apitokens_test
}

# A CA of the cluster's own and a server certificate for localhost that it signed.
make_certificates() {
  local certs="$dir/certs"
  mkdir -p "$certs"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=apitokens scratch CA" \
    -keyout "$certs/ca.key" -out "$certs/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$certs/server.key" -out "$certs/server.csr" 2>/dev/null
  openssl x509 -req -in "$certs/server.csr" -CA "$certs/ca.crt" -CAkey "$certs/ca.key" -CAcreateserial -days 2 \
    -extfile <(echo "subjectAltName=DNS:localhost") -out "$certs/server.crt" 2>/dev/null
  chmod 600 "$certs/server.key"
  [ "$(id -u)" = 0 ] && chown -R postgres "$certs"
  return 0
}

case $action in
start)
  initialise
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=on" start >/dev/null
  create_test_database
  echo "postgresql:///apitokens_test?host=$dir"
  ;;
start-tls)
  port=${3:?a TCP port}
  initialise
  make_certificates
  printf 'local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n' >"$dir/data/pg_hba.conf"
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-c listen_addresses='127.0.0.1' -c port=$port -c unix_socket_directories='$dir' -c ssl=on \
        -c ssl_cert_file='$dir/certs/server.crt' -c ssl_key_file='$dir/certs/server.key'" start >/dev/null
  PGPORT=$port create_test_database
  echo "postgresql://$(id -un)@localhost:$port/apitokens_test"
  ;;
stop)
  [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
