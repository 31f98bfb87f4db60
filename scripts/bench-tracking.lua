-- wrk script of scripts/bench-tracking.sh: each connection sends the paths
-- of a file in turn, waiting a fixed delay after every response, and done()
-- prints one summary line for the script to read.
-- Arguments: PATH_FILE DELAY_MS
local paths = {}
local delay_ms = 10
local next_path = 0

function init(args)
	for line in io.lines(args[1]) do
		paths[#paths + 1] = line
	end
	delay_ms = tonumber(args[2])
	next_path = math.random(#paths)
	wrk.headers["User-Agent"] =
		"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
end

function request()
	next_path = next_path % #paths + 1
	return wrk.format("GET", paths[next_path])
end

function delay()
	return delay_ms
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		"SUMMARY requests=%d duration_us=%d non_3xx_or_2xx=%d socket_errors=%d " ..
		"p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.0f\n",
		summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
		latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
