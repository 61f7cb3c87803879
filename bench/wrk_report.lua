-- wrk script: spread requests over the paths listed (one per line) in the file named
-- by the WRK_PATHS environment variable, and print one machine-readable summary line.
local paths = {}
local counter = 0

function init(args)
  local file = io.open(os.getenv("WRK_PATHS"), "r")
  for line in file:lines() do
    if #line > 0 then paths[#paths + 1] = line end
  end
  file:close()
  counter = math.random(1, #paths)
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format(
    "WRK_RESULT requests=%d seconds=%.3f errors=%d non2xx=%d p50=%.3f p99=%.3f p999=%.3f\n",
    summary.requests, summary.duration / 1e6, errors, summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000))
end
