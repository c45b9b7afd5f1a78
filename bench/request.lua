-- bench/request.lua — wrk script: POST the GraphQL body in BENCH_BODY to
-- /graphql (an empty body: GET BENCH_PATH), replacing __ID__ with a random id
-- in [1, BENCH_IDS] per request, and print one machine-readable result line
-- when done. With BENCH_CHECK=1
-- every response is read, and one without data (a mutation answers a failed
-- write with 200 and "errors") is counted as nodata; without it wrk hands no
-- response to Lua at all, as the read shapes have always run.
local body = os.getenv("BENCH_BODY")
local ids = tonumber(os.getenv("BENCH_IDS") or "1")
local check = os.getenv("BENCH_CHECK") == "1"

wrk.path = os.getenv("BENCH_PATH") or "/graphql"
if body ~= "" then
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function init(args)
  -- Each wrk thread has its own Lua state; seed each differently.
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

if body:find("__ID__", 1, true) then
  function request()
    local b = body:gsub("__ID__", tostring(math.random(1, ids)))
    return wrk.format(nil, nil, nil, b)
  end
else
  -- Without request(), wrk formats the request once and sends those bytes: calling
  -- Lua per request cost wrk ~3 us of a list request's ~100 (bench/README).
  wrk.body = body
end

local threads = {}
if check then
  -- Globals of each thread's Lua state, read by done() through thread:get.
  nodata = 0
  function setup(thread)
    table.insert(threads, thread)
  end
  function response(status, headers, b)
    if status == 200 and (b:sub(1, 8) ~= '{"data":' or b:find('"errors"', 1, true)) then
      nodata = nodata + 1
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local bad = 0
  for _, t in ipairs(threads) do
    bad = bad + (t:get("nodata") or 0)
  end
  io.write(string.format("WRK_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d non2xx=%d nodata=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status, bad))
end
