# tests/lib/pg.sh — a throwaway PostgreSQL 15 cluster for tests, the demo and the bench.
# Source it (it sources common.sh). Typical use:
#
#   pg_start                          # temp dir, free port, stopped and removed on exit
#   pg_createdb blog examples/blog/schema.sql examples/blog/seed.sql
#   psql -d blog -c 'select 1'        # PGHOST/PGPORT/PGUSER are exported
#
# After pg_start: PG_DIR (cluster directory), PG_DATA, PG_LOG (server log, with
# log_statement=all), PGHOST=127.0.0.1, PGPORT, PGUSER=postgres.

# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

# PostgreSQL refuses to run as root, so as root every server-side command runs
# as the postgres system user; anyone else runs it as themselves.
pg_as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# pg_init DIR: creates a cluster in DIR/data (DIR must exist and be writable by
# the owner user). Settings favour speed and debuggability over durability.
pg_init() {
    local dir=$1
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    pg_as_owner "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust \
        --encoding=UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        return 1
    }
    # pg_stat_statements lets the one-statement test count what reached the server.
    pg_as_owner tee -a "$dir/data/postgresql.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
timezone = 'UTC'
shared_buffers = 128MB
log_statement = 'all'
log_line_prefix = '%m [%p] %d %a: '
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = top
CONF
}

# pg_tls DIR CERT KEY: before the cluster in DIR starts, turns TLS on with the server
# certificate CERT and its key KEY (copied into the data directory, owned by the owner
# user, the key 0600 as PostgreSQL demands) and lets TCP clients in over TLS only
# (hostssl): one without TLS gets "no pg_hba.conf entry ... no encryption". postgres
# needs no password, every other role scram-sha-256; the Unix socket in DIR stays open
# to everyone without one, for the test's own psql.
pg_tls() {
    local dir=$1 cert=$2 key=$3
    install -m 644 "$cert" "$dir/data/server.crt" || return 1
    install -m 600 "$key" "$dir/data/server.key" || return 1
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$dir/data/server.crt" "$dir/data/server.key" || return 1
    fi
    echo "ssl = on" | pg_as_owner tee -a "$dir/data/postgresql.conf" >/dev/null || return 1
    pg_as_owner tee "$dir/data/pg_hba.conf" >/dev/null <<HBA
local   all all                trust
hostssl all postgres 127.0.0.1/32 trust
hostssl all postgres ::1/128      trust
hostssl all all      127.0.0.1/32 scram-sha-256
hostssl all all      ::1/128      scram-sha-256
HBA
}

# pg_start_in DIR PORT: starts (or restarts) the cluster in DIR on PORT and waits.
# Any postmaster left behind in DIR by an earlier run is stopped first.
pg_start_in() {
    local dir=$1 port=$2
    if pg_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        gp_log "stopping a PostgreSQL left running in $dir"
        pg_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    fi
    pg_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port" start >/dev/null || {
        tail -n 30 "$dir/server.log" >&2
        return 1
    }
    export PG_DIR=$dir PG_DATA=$dir/data PG_LOG=$dir/server.log
    export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres
    unset PGDATABASE PGPASSWORD PGSERVICE
}

# Every PostgreSQL backend is a session of its own (setsid), and with the kernel's
# autogroup scheduling (on by default) a session is one entity to the CPU scheduler: each
# backend then weighs as much as graphpost and the load generator together. On 2 cores
# that held some by_pk statements off the CPU for 0.1-3 s (bench/README). As root, a test
# cluster turns the host-wide knob off while it runs and puts it back on exit.
pg_autogroup_off() {
    local knob=/proc/sys/kernel/sched_autogroup_enabled
    [ "$(cat "$knob" 2>/dev/null)" = 1 ] || return 0
    { echo 0 >"$knob"; } 2>/dev/null || return 0
    gp_at_exit "echo 1 >$knob"
    gp_log "kernel.sched_autogroup_enabled is off until this run ends (PostgreSQL backends are sessions)"
}

# pg_start: a fresh cluster in a temp dir on a free port, removed on exit.
pg_start() {
    local dir port
    dir=$(mktemp -d "${TMPDIR:-/tmp}/graphpost-pg.XXXXXX") || return 1
    gp_at_exit pg_destroy "$dir"
    chmod 755 "$dir" # the test user reads the server log
    pg_init "$dir" || return 1
    pg_autogroup_off
    port=$(gp_free_port) || return 1
    pg_start_in "$dir" "$port" || return 1
    gp_log "PostgreSQL on 127.0.0.1:$port ($dir)"
}

# pg_replica DIR PRIMARY_PORT: a streaming standby of the cluster on 127.0.0.1:PRIMARY_PORT
# in DIR/data (DIR must exist), made by pg_basebackup -R (standby.signal, and
# primary_conninfo in postgresql.auto.conf) as the owner user: the primary's trust
# entry for replication from 127.0.0.1 (initdb's default pg_hba.conf) and
# wal_level = replica (the default) are all it needs. The copy keeps the primary's
# settings but its own socket directory; start it with pg_start_in DIR PORT.
pg_replica() {
    local dir=$1 primary_port=$2
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    pg_as_owner "$PG_BIN/pg_basebackup" -R -X stream -c fast -D "$dir/data" -h 127.0.0.1 -p "$primary_port" \
        -U postgres >"$dir/basebackup.log" 2>&1 || {
        cat "$dir/basebackup.log" >&2
        return 1
    }
    echo "unix_socket_directories = '$dir'" | pg_as_owner tee -a "$dir/data/postgresql.conf" >/dev/null
}

pg_stop() {
    local dir=${1:-$PG_DIR}
    pg_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

pg_destroy() {
    pg_stop "$1"
    rm -rf "$1"
}

# pg_createdb NAME [SQL FILES...]: creates NAME and loads the files in order,
# stopping at the first error so a half-loaded database never goes unnoticed.
pg_createdb() {
    local db=$1 f
    shift
    psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$db\"" >/dev/null || return 1
    for f in "$@"; do
        pg_load "$db" "$f" || return 1
    done
}

pg_load() {
    psql -X -q -d "$1" -v ON_ERROR_STOP=1 -f "$2" >/dev/null
}

# pg_url DB: the connection URL graphpost gets for DB.
pg_url() { echo "postgres://postgres@127.0.0.1:$PGPORT/$1"; }
