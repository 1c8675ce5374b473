-- wrk script of scripts/bench-ballots: every request casts a ballot as the next voter of
-- this thread's own list, so no voter repeats within a run unless the list runs out
-- (then it starts again and "wrapped" says how often).
--
-- Environment: BENCH_TOKENS (file prefix: <prefix>.<thread index>, one access token a line),
-- BENCH_BODIES (file: the request bodies, one a line, used in turn; the path is the URL's),
-- BENCH_ACKS (file prefix: <prefix>.<thread index> receives the ballot_id of every
-- 201). done() prints one "bench-ballots:" line with the totals over all threads.

local threads = {}
local nthreads = 0

function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
  table.insert(threads, thread)
end

local tokens, bodies = {}, {}
local acks
local i = 0
-- Read back by done() through thread:get, so these are globals.
n201, nother, replaced, wrapped, used, unparsed = 0, 0, 0, 0, 0, 0
statuses, samples = {}, {}

-- Every request is formatted once, here, not per request: the load generator shares the
-- machine's two cores with the server and PostgreSQL, and should cost it as little as it
-- can (pgbench, the baseline's client, formats nothing per transaction either).
local requests = {}

function init(args)
  for line in io.lines(os.getenv("BENCH_BODIES")) do
    bodies[#bodies + 1] = line
  end
  for line in io.lines(os.getenv("BENCH_TOKENS") .. "." .. tid) do
    tokens[#tokens + 1] = line
    requests[#tokens] = wrk.format("POST", nil, {
      ["Authorization"] = "Bearer " .. line,
      ["Content-Type"] = "application/json",
    }, bodies[(#tokens % #bodies) + 1])
  end
  acks = assert(io.open(os.getenv("BENCH_ACKS") .. "." .. tid, "w"))
  acks:setvbuf("full")
end

function request()
  i = i + 1
  if i > #tokens then
    i = 1
    wrapped = wrapped + 1
  end
  used = used + 1
  return requests[i]
end

function response(status, headers, body)
  if status == 201 then
    n201 = n201 + 1
    local id = body:match('"ballot_id"%s*:%s*"([0-9a-fA-F-]+)"')
    if id then
      acks:write(id, "\n")
    else
      unparsed = unparsed + 1
    end
    if body:find('"replaced"%s*:%s*true') then
      replaced = replaced + 1
    end
    if n201 % 256 == 0 then
      acks:flush()
    end
  else
    nother = nother + 1
    local k = tostring(status)
    statuses[k] = (statuses[k] or 0) + 1
    if not samples[k] then
      samples[k] = string.sub(body or "", 1, 300)
    end
  end
end

function done(summary, latency, requests)
  local t = {n201 = 0, nother = 0, replaced = 0, wrapped = 0, used = 0, unparsed = 0}
  local st, sm = {}, {}
  for _, th in ipairs(threads) do
    for k, _ in pairs(t) do
      t[k] = t[k] + (th:get(k) or 0)
    end
    for k, v in pairs(th:get("statuses") or {}) do
      st[k] = (st[k] or 0) + v
    end
    for k, v in pairs(th:get("samples") or {}) do
      sm[k] = sm[k] or v
    end
  end
  local parts = {}
  for k, v in pairs(st) do
    parts[#parts + 1] = k .. "=" .. v
  end
  io.write(string.format(
    "bench-ballots: n201=%d non201=%d replaced=%d wrapped=%d generated=%d unparsed=%d " ..
    "errors_connect=%d errors_read=%d errors_write=%d errors_timeout=%d statuses=%s\n",
    t.n201, t.nother, t.replaced, t.wrapped, t.used, t.unparsed,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    #parts > 0 and table.concat(parts, ",") or "-"))
  for k, v in pairs(sm) do
    io.write("bench-ballots: sample " .. k .. ": " .. v:gsub("\n", " ") .. "\n")
  end
end
