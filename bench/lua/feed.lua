-- camgate bench: one wrk script for every scenario, shaped by environment variables.
--
--   BENCH_METHOD   GET or POST (default GET)
--   BENCH_PATH     the request path
--   BENCH_HEADERS  extra headers, "Name: value" separated by "\n"
--   BENCH_BODY     the body; "{TOKEN}" is replaced by the next credential from BENCH_FEED
--   BENCH_AUTHZ    a header line template, e.g. "Authorization: Bearer {TOKEN}" (also fed)
--   BENCH_FEED     a file of pre-minted credentials, one a line: each is sent at most once.
--                  wrk thread t of n takes lines t, t+n, t+2n...; when a thread runs out it
--                  wraps around and counts it ("wrapped" > 0 means the run was under-fed).
--   BENCH_STATUS   the expected HTTP status (default 200): anything else is an error
--   BENCH_EXPECT   a substring the body must contain (optional)
--   BENCH_THREADS  wrk's -t, so that each thread takes its own slice of the feed
--
-- done() prints one line "BENCHJSON {...}" for the harness.

local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/"
local body_tpl = os.getenv("BENCH_BODY")
local authz_tpl = os.getenv("BENCH_AUTHZ")
local feed_path = os.getenv("BENCH_FEED")
local expect_status = tonumber(os.getenv("BENCH_STATUS") or "200")
local expect_body = os.getenv("BENCH_EXPECT")
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")

local headers = {}
for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
  local name, value = string.match(line, "^([^:]+):%s*(.*)$")
  if name then headers[name] = value end
end

-- main state: remember the threads so done() can read their counters
local threads = {}
local next_id = 0
function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- thread state
feed = {}
pos = 0
wrapped = 0
bad = 0
static_req = nil

function init(args)
  if feed_path then
    local i = 0
    for line in io.lines(feed_path) do
      if i % nthreads == tid then table.insert(feed, line) end
      i = i + 1
    end
  end
  if not feed_path or #feed == 0 then
    local h = {}
    for k, v in pairs(headers) do h[k] = v end
    if authz_tpl then
      local name, value = string.match(authz_tpl, "^([^:]+):%s*(.*)$")
      h[name] = value
    end
    static_req = wrk.format(method, path, h, body_tpl)
  end
end

local function plain_gsub(s, token)
  local a, b = string.find(s, "{TOKEN}", 1, true)
  if not a then return s end
  return string.sub(s, 1, a - 1) .. token .. string.sub(s, b + 1)
end

function request()
  if static_req then return static_req end
  pos = pos + 1
  if pos > #feed then
    pos = 1
    wrapped = wrapped + 1
  end
  local token = feed[pos]
  local h = {}
  for k, v in pairs(headers) do h[k] = v end
  if authz_tpl then
    local name, value = string.match(plain_gsub(authz_tpl, token), "^([^:]+):%s*(.*)$")
    h[name] = value
  end
  local body = body_tpl and plain_gsub(body_tpl, token) or nil
  return wrk.format(method, path, h, body)
end

function response(status, hdrs, body)
  if status ~= expect_status then
    bad = bad + 1
  elseif expect_body and not string.find(body, expect_body, 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local unexpected, wraps, maxpos = 0, 0, 0
  for _, t in ipairs(threads) do
    unexpected = unexpected + (t:get("bad") or 0)
    wraps = wraps + (t:get("wrapped") or 0)
    maxpos = math.max(maxpos, t:get("pos") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"timeout":%d,"status":%d,"unexpected":%d,"wrapped":%d,"maxpos":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.timeout, e.status,
    unexpected, wraps, maxpos, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
