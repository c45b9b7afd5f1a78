# tests/lib/common.sh — helpers shared by pg.sh, spawn.sh, scripts/* and bench/run.
# Source it; it defines functions only.

# Cleanup actions run in reverse order on EXIT, INT and TERM, so a test run that
# fails or is interrupted half-way still stops every server and cluster it started.
GP_AT_EXIT=()
gp_at_exit() {
    GP_AT_EXIT=("$*" "${GP_AT_EXIT[@]}")
    trap gp_run_exit_actions EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}
gp_run_exit_actions() {
    local a
    trap - EXIT
    for a in "${GP_AT_EXIT[@]}"; do
        eval "$a" || true
    done
    GP_AT_EXIT=()
}

gp_log() { printf '%s %s\n' "[$(date +%H:%M:%S)]" "$*" >&2; }

# True when something can bind 127.0.0.1:$1 exclusively. A forgotten graphpost
# listening with SO_REUSEPORT makes this bind fail, which is the point: a
# stray listener on a shared port would silently answer part of our requests.
gp_port_is_free() {
    if command -v node >/dev/null; then
        node -e 'const s=require("net").createServer();
                 s.once("error",()=>process.exit(1));
                 s.listen({port:+process.argv[1],host:"127.0.0.1",exclusive:true},()=>s.close())' "$1" 2>/dev/null
    elif command -v python3 >/dev/null; then
        python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1])))' "$1" 2>/dev/null
    else
        ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
    fi
}

# Prints a free TCP port below the kernel's ephemeral range (so outgoing
# connections never grab it between the check and the bind). Ports already
# handed out by this shell are skipped, since nothing may be listening yet.
GP_PORTS_GIVEN=" "
gp_free_port() {
    local p i
    for i in $(seq 1 200); do
        p=$((20000 + RANDOM % 12000))
        case "$GP_PORTS_GIVEN" in *" $p "*) continue ;; esac
        if gp_port_is_free "$p"; then
            GP_PORTS_GIVEN+="$p "
            echo "$p"
            return 0
        fi
    done
    echo "no free port found" >&2
    return 1
}

# Waits until `curl $1` answers HTTP 200, for at most $2 seconds (default 30).
# If $3 is a pid, stops waiting as soon as that process has died.
gp_wait_http_200() {
    local url=$1 limit=${2:-30} pid=${3:-} deadline code
    deadline=$((SECONDS + limit))
    while [ "$SECONDS" -lt "$deadline" ]; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)
        [ "$code" = 200 ] && return 0
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            return 1
        fi
        sleep 0.2
    done
    return 1
}

# Stops a process we started: TERM, then KILL after $2 seconds (default 10).
gp_stop_pid() {
    local pid=$1 grace=${2:-10} i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 1 $((grace * 10))); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
