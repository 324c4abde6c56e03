-- tools/bench/ingest/replay.lua: wrk replays agents' reports to a real
-- pod-controllerd, at a cost to the generator of a few string joins a
-- report, so that the controller alone is measured (pod-fleetsim runs the
-- whole agent core and its simulated physics for every sample).
--
-- Every node of REPLAY_NODES ("name credential" a line) is one agent:
-- its reports carry REPLAY_SAMPLES samples each, numbered on from the
-- last (the controller counts a gap as lost), stamped one sample interval
-- apart up to now. wrk's threads split the nodes between them; a thread's
-- connections take its nodes in turn. REPLAY_RATE (reports a second over
-- every thread; 0: as fast as the connections go) paces the requests.
--
-- The report is REPLAY_HEAD, then each sample as '{"seq":N,"t_ms":T,'
-- and REPLAY_SAMPLE (the rest of a sample of pod-fleetsim's), then ']}'.
-- tools/bench/ingest/replay writes those files.

local ffi = require("ffi")
ffi.cdef [[
struct replay_timeval { long tv_sec; long tv_usec; };
int gettimeofday(struct replay_timeval *tv, void *tz);
]]
local tv = ffi.new("struct replay_timeval")

local function now_ms()
	ffi.C.gettimeofday(tv, nil)
	return tonumber(tv.tv_sec) * 1000 + math.floor(tonumber(tv.tv_usec) / 1000)
end

local function slurp(name)
	local f = assert(io.open(assert(os.getenv(name), name .. " unset"), "rb"))
	local s = f:read("*a")
	f:close()
	return s
end

local threads = {}
local counter = 0

function setup(thread)
	thread:set("id", counter)
	counter = counter + 1
	table.insert(threads, thread)
end

local nodes, head, rest, k, step_ms, gap_ms, due = {}, "", "", 1, 1000, 0, 0
bad = 0 -- a global: done() reads it through thread:get()
local turn = 0

function init(args)
	local nthreads = tonumber(os.getenv("REPLAY_THREADS"))
	local i = 0
	for line in slurp("REPLAY_NODES"):gmatch("[^\n]+") do
		local name, cred = line:match("^(%S+) (%S+)$")
		if i % nthreads == id then
			table.insert(nodes, { path = "/api/v1/agents/" .. name .. "/report",
				auth = "Bearer " .. cred, seq = 0 })
		end
		i = i + 1
	end
	head = slurp("REPLAY_HEAD")
	rest = slurp("REPLAY_SAMPLE")
	k = tonumber(os.getenv("REPLAY_SAMPLES"))
	step_ms = tonumber(os.getenv("REPLAY_STEP_MS") or "1000")
	local rate = tonumber(os.getenv("REPLAY_RATE") or "0")
	gap_ms = rate > 0 and 1000 * nthreads / rate or 0
	due = now_ms()
end

function request()
	turn = turn % #nodes + 1
	local n = nodes[turn]
	local t = now_ms()
	local parts = { head }
	for j = 1, k do
		n.seq = n.seq + 1
		parts[#parts + 1] = (j > 1 and "," or "") .. '{"seq":' .. n.seq ..
			',"t_ms":' .. (t - (k - j) * step_ms) .. "," .. rest
	end
	parts[#parts + 1] = "]}"
	return wrk.format("POST", n.path, { ["Authorization"] = n.auth,
		["Content-Type"] = "application/json" }, table.concat(parts))
end

function delay()
	if gap_ms == 0 then
		return 0
	end
	due = due + gap_ms
	local wait = due - now_ms()
	return wait > 0 and wait or 0
end

function response(status, headers, body)
	if status ~= 200 then
		bad = bad + 1
	end
end

function done(summary, latency, requests)
	local refused = 0
	for _, thread in ipairs(threads) do
		refused = refused + thread:get("bad")
	end
	io.write(string.format("replay: %d requests, %d not 200, %d errors, " ..
		"%.3f s, p50 %.3f ms, p99 %.3f ms\n", summary.requests, refused,
		summary.errors.connect + summary.errors.read + summary.errors.write +
		summary.errors.timeout + summary.errors.status,
		summary.duration / 1e6, latency:percentile(50) / 1000,
		latency:percentile(99) / 1000))
end
