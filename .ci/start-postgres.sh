#!/usr/bin/env bash
# Start a local PostgreSQL for the dbt tests on Debian (run as root); safe to run repeatedly.
# Installs postgresql if missing, starts (or creates) the newest version's "main" cluster on
# 5432 or the first free port above it, sets the postgres password to "pw", creates the
# database mews_test and prints, as the last stdout line:
#   export MEWS_TEST_POSTGRES_URL=postgresql://postgres:pw@127.0.0.1:PORT/mews_test
# Usage in CI:  eval "$(.ci/start-postgres.sh | tail -1)"
set -euo pipefail

CLUSTER=main
DATABASE=mews_test
PASSWORD=pw

log() { echo "start-postgres: $*" >&2; }

port_is_taken() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

first_free_port() {
    local port=5432
    while port_is_taken "$port"; do
        port=$((port + 1))
    done
    echo "$port"
}

as_postgres() {
    runuser -u postgres -- "$@"
}

if ! command -v pg_ctlcluster >/dev/null || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    log "installing postgresql"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2
    apt-get install -y postgresql >&2
fi

VERSION=$(ls /usr/lib/postgresql | sort -V | tail -1)

# pg_lsclusters -h prints: version cluster port status owner datadir logfile
STATUS=$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {print $4}')

if [ -z "$STATUS" ]; then
    PORT=$(first_free_port)
    log "creating cluster $VERSION/$CLUSTER on port $PORT"
    pg_createcluster -p "$PORT" "$VERSION" "$CLUSTER" >&2
    STATUS=down
fi

PORT=$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {print $3}')

if [ "$STATUS" != online ]; then
    if port_is_taken "$PORT"; then
        PORT=$(first_free_port)
        log "port of $VERSION/$CLUSTER is taken, moving it to $PORT"
        pg_conftool "$VERSION" "$CLUSTER" set port "$PORT"
    fi
    log "starting cluster $VERSION/$CLUSTER on port $PORT"
    pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
fi

for _ in $(seq 1 60); do
    if pg_isready -q -h 127.0.0.1 -p "$PORT"; then
        break
    fi
    sleep 1
done
if ! pg_isready -q -h 127.0.0.1 -p "$PORT"; then
    log "PostgreSQL did not accept connections on port $PORT within 60 s"
    exit 1
fi

as_postgres psql -q -p "$PORT" -v ON_ERROR_STOP=1 \
    -c "ALTER USER postgres PASSWORD '$PASSWORD'" >&2
if [ -z "$(as_postgres psql -p "$PORT" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" ]; then
    log "creating database $DATABASE"
    as_postgres createdb -p "$PORT" "$DATABASE"
fi

echo "export MEWS_TEST_POSTGRES_URL=postgresql://postgres:$PASSWORD@127.0.0.1:$PORT/$DATABASE"
