-- The member-API mix. One connection per wrk thread (run with -t N -c N),
-- so a thread's state is its connection's. Every thread cycles through a
-- shuffled schedule of 20 operations: 8 list members, 6 show member,
-- 3 update status, 2 add + delete, 1 list images (40/30/15/10/5 %); an
-- add + delete is two requests (POST, then DELETE of the same member).
--
--   wrk -t8 -c8 -d20s -s mix.lua URL -- CONFIG.lua
--
-- CONFIG.lua (written by benchmarks/sharing.py) returns a table:
--   image, producer_token, members (the 50 member ids), run_id,
--   consumers = {{project=, token=}, ...}: thread i updates the status of
--   consumer ((i-1) % #consumers) + 1's own membership, alternating
--   rejected/accepted so that every update is a real write;
--   samples: a path prefix; thread i writes "op status microseconds"
--   lines to <samples>.<i> (wrk 4.1 cannot copy nested tables out of a
--   thread, so sharing.py aggregates these files after wrk exits).
dofile(os.getenv("GM_WRK_DIR") .. "/common.lua")

local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

local cfg, schedule, slot, consumer, add_member_id
local pending_delete = false
local next_status = "rejected"
local member_i = 0
local op, started
local members_path, image_path
local producer_headers, producer_json, consumer_json
local samples

function init(args)
  cfg = dofile(args[1])
  math.randomseed(tid * 7919 + 17)
  schedule = {}
  local plan = {{"list_members", 8}, {"show_member", 6},
                {"update_status", 3}, {"add_member", 2}, {"list_images", 1}}
  for _, p in ipairs(plan) do
    for _ = 1, p[2] do schedule[#schedule + 1] = p[1] end
  end
  for i = #schedule, 2, -1 do  -- Fisher-Yates
    local j = math.random(i)
    schedule[i], schedule[j] = schedule[j], schedule[i]
  end
  slot = math.random(#schedule)
  member_i = math.random(#cfg.members)
  consumer = cfg.consumers[((tid - 1) % #cfg.consumers) + 1]
  add_member_id = "mix-" .. cfg.run_id .. "-" .. tid
  image_path = "/v2/images/" .. cfg.image
  members_path = image_path .. "/members"
  producer_headers = {["X-Auth-Token"] = cfg.producer_token}
  producer_json = {["X-Auth-Token"] = cfg.producer_token,
                   ["Content-Type"] = "application/json"}
  consumer_json = {["X-Auth-Token"] = consumer.token,
                   ["Content-Type"] = "application/json"}
  samples = assert(io.open(cfg.samples .. "." .. tid, "w"))
end

function request()
  local req
  if pending_delete then
    op = "delete_member"
    req = wrk.format("DELETE", members_path .. "/" .. add_member_id,
                     producer_headers)
  else
    op = schedule[slot]
    slot = slot % #schedule + 1
    if op == "list_members" then
      req = wrk.format("GET", members_path, producer_headers)
    elseif op == "show_member" then
      member_i = member_i % #cfg.members + 1
      req = wrk.format("GET", members_path .. "/" .. cfg.members[member_i],
                       producer_headers)
    elseif op == "update_status" then
      req = wrk.format("PUT", members_path .. "/" .. consumer.project,
                       consumer_json,
                       '{"status": "' .. next_status .. '"}')
    elseif op == "add_member" then
      req = wrk.format("POST", members_path, producer_json,
                       '{"member": "' .. add_member_id .. '"}')
    else
      req = wrk.format("GET", "/v2/images", producer_headers)
    end
  end
  started = gm_now_us()
  return req
end

function response(status, headers, body)
  local took = gm_now_us() - started
  samples:write(op, " ", status, " ", string.format("%.0f", took), "\n")
  if op == "add_member" then
    pending_delete = (status == 200)
  elseif op == "delete_member" then
    pending_delete = false
  elseif op == "update_status" and status == 200 then
    next_status = (next_status == "rejected") and "accepted" or "rejected"
  end
end

function done(summary, latency, requests)
  gm_emit({summary = gm_summary(summary, latency)})
end
