#!/usr/bin/env bash
# Makes sure the PostgreSQL and Redis that the test suite uses answer.
#
# Reads DATABASE_URL and REDIS_URL (the test defaults below). A service that
# does not answer is named with its address; when it should run on this
# machine, we are root and apt-get exists (Debian), it is installed and
# started, otherwise the script exits 1.
set -euo pipefail

DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/luxestate}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
WAIT_SECONDS=30

# scheme://[user[:password]@]host[:port][/path] -> "user host port"
parse_url() {
    local url="$1" default_port="$2" rest userinfo hostport user host port
    rest="${url#*://}"
    rest="${rest%%/*}"
    userinfo=""
    if [[ "$rest" == *@* ]]; then
        userinfo="${rest%@*}"
        rest="${rest##*@}"
    fi
    hostport="$rest"
    user="${userinfo%%:*}"
    host="${hostport%:*}"
    port="${hostport##*:}"
    if [[ "$hostport" != *:* ]]; then
        host="$hostport"
        port="$default_port"
    fi
    echo "${user:-postgres} ${host:-127.0.0.1} ${port:-$default_port}"
}

read -r PG_USER PG_HOST PG_PORT <<<"$(parse_url "$DATABASE_URL" 5432)"
read -r _ REDIS_HOST REDIS_PORT <<<"$(parse_url "$REDIS_URL" 6379)"

port_open() {
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

postgres_answers() {
    if command -v psql >/dev/null; then
        # As the configured user, on the maintenance database: pytest-django
        # creates test_<name> from there.
        local authority="${DATABASE_URL#*://}"
        psql "postgresql://${authority%%/*}/postgres" -tAc "SELECT 1" >/dev/null 2>&1
    elif command -v pg_isready >/dev/null; then
        pg_isready -q -h "$PG_HOST" -p "$PG_PORT"
    else
        port_open "$PG_HOST" "$PG_PORT"
    fi
}

redis_answers() {
    if command -v redis-cli >/dev/null; then
        [[ "$(redis-cli -u "$REDIS_URL" ping 2>/dev/null)" == "PONG" ]]
    else
        port_open "$REDIS_HOST" "$REDIS_PORT"
    fi
}

can_install_here() {
    local host="$1"
    [[ "$host" == "127.0.0.1" || "$host" == "localhost" || "$host" == "::1" || "$host" == "[::1]" ]] \
        && [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null
}

APT_UPDATED=""
apt_install() {
    if [[ -z "$APT_UPDATED" ]]; then
        apt-get update -qq
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

wait_for() {
    local check="$1"
    for _ in $(seq "$WAIT_SECONDS"); do
        "$check" && return 0
        sleep 1
    done
    return 1
}

start_postgres() {
    command -v pg_lsclusters >/dev/null || apt_install postgresql
    local version
    version="$(pg_lsclusters --no-header | awk '$2 == "main" {print $1; exit}')"
    if [[ -z "$version" ]]; then
        version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
        pg_createcluster "$version" main >/dev/null
    fi
    # A test machine only: the postgres user connects over loopback without a password.
    local hba="/etc/postgresql/$version/main/pg_hba.conf"
    if ! grep -q "^host all $PG_USER 127.0.0.1/32 trust" "$hba"; then
        sed -i "1i host all $PG_USER 127.0.0.1/32 trust\nhost all $PG_USER ::1/128 trust" "$hba"
    fi
    if pg_lsclusters --no-header | awk -v v="$version" '$1 == v && $2 == "main"' | grep -q online; then
        pg_ctlcluster --skip-systemctl-redirect "$version" main reload
    else
        pg_ctlcluster --skip-systemctl-redirect "$version" main start
    fi
}

start_redis() {
    command -v redis-server >/dev/null || apt_install redis-server
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no >/dev/null
}

ensure() {
    local name="$1" address="$2" host="$3" check="$4" start="$5"
    "$check" && return 0
    echo "$name does not answer at $address." >&2
    if ! can_install_here "$host"; then
        echo "Start $name there, or point the environment at one that runs, then retry." >&2
        exit 1
    fi
    echo "Installing and starting $name on this machine..." >&2
    "$start"
    if ! wait_for "$check"; then
        echo "$name still does not answer at $address after starting it." >&2
        exit 1
    fi
    echo "$name answers at $address." >&2
}

ensure PostgreSQL "$PG_HOST:$PG_PORT (user $PG_USER)" "$PG_HOST" postgres_answers start_postgres
ensure Redis "$REDIS_HOST:$REDIS_PORT" "$REDIS_HOST" redis_answers start_redis
