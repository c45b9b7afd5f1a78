# tests/lib/spawn.sh — run the real graphpost binary on a free port for a test.
# Source it (it sources common.sh).
#
#   gp_spawn blog build-asan/graphpost GRAPHPOST_DATABASE_URL=postgres://...
#   curl "$GP_SPAWN_URL/health"
#
# gp_spawn NAME BIN [VAR=VALUE...] [-- EXTRA ARGS...] starts BIN with those
# environment variables plus --host 127.0.0.1 --port <free>, logs to
# $GP_LOG_DIR/NAME.log, waits until GET /health answers 200 (GP_SPAWN_TIMEOUT
# seconds, default 60: an ASan build introspecting Pagila is not instant) and
# stops it on exit. Sets GP_SPAWN_URL (http://127.0.0.1:PORT), GP_SPAWN_PID
# and GP_SPAWN_LOG. Returns 1, with the log's tail on stderr, if the server
# dies or never becomes healthy.

# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

GP_LOG_DIR=${GP_LOG_DIR:-${TMPDIR:-/tmp}}

gp_spawn() {
    local name=$1 bin=$2 port log pid
    shift 2
    local -a env=() args=()
    while [ $# -gt 0 ]; do
        if [ "$1" = -- ]; then shift; args=("$@"); break; fi
        env+=("$1")
        shift
    done
    port=$(gp_free_port)
    log="$GP_LOG_DIR/$name.log"
    mkdir -p "$GP_LOG_DIR"
    # exec keeps the pid we record the server's own, so stopping it stops the server.
    env "${env[@]}" bash -c 'exec "$@"' graphpost "$bin" --host 127.0.0.1 --port "$port" \
        "${args[@]}" >"$log" 2>&1 </dev/null &
    pid=$!
    gp_at_exit gp_stop_pid "$pid"
    GP_SPAWN_URL="http://127.0.0.1:$port" GP_SPAWN_PID=$pid GP_SPAWN_LOG=$log
    if ! gp_wait_http_200 "$GP_SPAWN_URL/health" "${GP_SPAWN_TIMEOUT:-60}" "$pid"; then
        gp_log "$name: graphpost did not become healthy on port $port; last lines of $log:"
        tail -n 40 "$log" >&2
        return 1
    fi
    gp_log "$name: graphpost on $GP_SPAWN_URL (pid $pid)"
}

# gp_sanitizer_report LOG: prints the sanitizer reports in a server log, if any,
# and returns 1 when there are some.
gp_sanitizer_report() {
    if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$1"; then
        grep -E -A 30 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$1" | head -n 80 >&2
        return 1
    fi
}
