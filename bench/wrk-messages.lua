-- wrk script of bench/side-by-side.sh: POST /v1/messages with a body read from a file.
--   BENCH_BODY    path of the request body (JSON)
--   BENCH_TOKEN   bearer token (omitted when empty)
--   BENCH_STREAM  "1": adds x-bench-stream: 1, which makes the nginx upstream answer with its
--                 200-event SSE file instead of the JSON message
-- At the end it prints one line "RESULT {json}" with requests/s, p50, p99 (ms) and errors, so
-- the caller does not parse wrk's human-readable report.
local body_file = assert(os.getenv("BENCH_BODY"), "BENCH_BODY is not set")
local f = assert(io.open(body_file, "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["content-type"] = "application/json"
wrk.headers["anthropic-version"] = "2023-06-01"
local token = os.getenv("BENCH_TOKEN") or ""
if token ~= "" then
  wrk.headers["authorization"] = "Bearer " .. token
end
if os.getenv("BENCH_STREAM") == "1" then
  wrk.headers["x-bench-stream"] = "1"
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,' ..
    '"max_ms":%.3f,"bytes":%d,"errors_connect":%d,"errors_read":%d,"errors_write":%d,' ..
    '"errors_status":%d,"errors_timeout":%d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout))
end
