-- GET load for wrk: the URL given on the command line, at most `cap` responses
-- per thread (wrk bounds the time with -d), and one JSON line of figures.
-- Usage: wrk ... -s load.lua URL -- <cap per thread>

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

cap, seen = 0, 0

function init(args)
  cap = tonumber(args[1]) or 0
end

function response(status, headers, body)
  seen = seen + 1
  if cap > 0 and seen >= cap then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"errors_status":%d,"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
