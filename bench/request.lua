-- bench/request.lua — wrk script: POST the GraphQL body in BENCH_BODY to
-- /graphql, replacing __ID__ with a random id in [1, BENCH_IDS] per request,
-- and print one machine-readable result line when done.
local body = os.getenv("BENCH_BODY")
local ids = tonumber(os.getenv("BENCH_IDS") or "1")

wrk.method = "POST"
wrk.path = "/graphql"
wrk.headers["Content-Type"] = "application/json"

local counter = 0
function init(args)
  -- Each wrk thread has its own Lua state; seed each differently.
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

function request()
  local b = body:gsub("__ID__", tostring(math.random(1, ids)))
  return wrk.format(nil, nil, nil, b)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d non2xx=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
