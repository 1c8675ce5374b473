-- wrk script of scripts/bench-coop (4. posting entries): every request posts one income
-- entry (bank 1.00 debit, sales 1.00 credit) to a group of the thread's own share of the
-- groups (BENCH_THREADS threads share them out), in turn, so two requests in flight rarely name the same group (one group's
-- appends are serialised: they would wait on each other, not measure the posting).
--
-- Environment: BENCH_GROUPS (file: "<group id> <access token of its treasurer>" a line),
-- BENCH_DATE (the entries' date), BENCH_THREADS (wrk's -t).
-- done() prints one "bench-books:" line with the totals over all threads, and a sample of
-- each answer that was not 201.

local threads = {}
local nthreads = 0

function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
  table.insert(threads, thread)
end

-- Read back by done() through thread:get, so these are globals.
n201, nother = 0, 0
statuses, samples = {}, {}

-- Formatted once, here: the load generator shares the two cores with the server.
local requests = {}
local i = 0

function init(args)
  local body = '{"date": "' .. os.getenv("BENCH_DATE") .. '", "memo": "Bench sale", ' ..
    '"postings": [{"account": "bank", "amount": 100}, {"account": "sales", "amount": -100}]}'
  local total = tonumber(os.getenv("BENCH_THREADS"))
  local n = 0
  for line in io.lines(os.getenv("BENCH_GROUPS")) do
    local gid, token = line:match("^(%S+) (%S+)$")
    if n % total == tid then
      requests[#requests + 1] = wrk.format("POST", "/coop/v1/groups/" .. gid .. "/ledger/entries",
        {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
    end
    n = n + 1
  end
end

function request()
  i = i % #requests + 1
  return requests[i]
end

function response(status, headers, body)
  if status == 201 then
    n201 = n201 + 1
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
  local n, o = 0, 0
  local st, sm = {}, {}
  for _, th in ipairs(threads) do
    n = n + (th:get("n201") or 0)
    o = o + (th:get("nother") or 0)
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
  io.write(string.format("bench-books: n201=%d non201=%d errors=%d statuses=%s\n", n, o,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    #parts > 0 and table.concat(parts, ",") or "-"))
  for k, v in pairs(sm) do
    io.write("bench-books: sample " .. k .. ": " .. v:gsub("\n", " ") .. "\n")
  end
end
