-- wrk script for the range endpoint: a bearer token and a random month view of one practitioner
-- per request, from the plan file written by bench.measure (first line: the token; then paths).
local token = nil
local paths = {}
for line in io.lines(os.getenv("BENCH_PLAN")) do
  if token == nil then token = line else paths[#paths + 1] = line end
end
local headers = { ["Authorization"] = "Bearer " .. token, ["Accept"] = "application/json" }

request = function()
  return wrk.format("GET", paths[math.random(#paths)], headers)
end

done = function(summary, latency, requests)
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d p50_us=%d p95_us=%d p99_us=%d\n",
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
