-- Setup rate: each connection (one per wrk thread) loops over
--   POST /v2/images                        (producer)
--   POST /v2/images/{id}/members           (producer adds the consumer)
--   PUT  /v2/images/{id}/members/{project} (the consumer accepts)
-- and counts completed chains (shared images). A failed step is counted
-- and the chain restarts with a new image. Thread i writes "step status
-- microseconds" lines (step create_image, add_member, accept, or chain for
-- a completed create + add + accept) to <samples>.<i>; sharing.py
-- aggregates them after wrk exits.
--
--   wrk -t8 -c8 -d10s -s setup.lua URL -- CONFIG.lua
--
-- CONFIG.lua returns {producer_token=, consumer={project=, token=}, run_id=,
--                      samples=}
dofile(os.getenv("GM_WRK_DIR") .. "/common.lua")

local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

local cfg, producer_json, consumer_json
local step = 1
local image_id
local n = 0
local started, chain_started
local samples
local STEPS = {"create_image", "add_member", "accept"}

function init(args)
  cfg = dofile(args[1])
  producer_json = {["X-Auth-Token"] = cfg.producer_token,
                   ["Content-Type"] = "application/json"}
  consumer_json = {["X-Auth-Token"] = cfg.consumer.token,
                   ["Content-Type"] = "application/json"}
  samples = assert(io.open(cfg.samples .. "." .. tid, "w"))
end

function request()
  started = gm_now_us()
  if step == 1 then
    chain_started = started
    n = n + 1
    return wrk.format("POST", "/v2/images", producer_json, string.format(
      '{"name": "setup-%s-%d-%d", "disk_format": "raw", ' ..
      '"container_format": "bare"}', cfg.run_id, tid, n))
  elseif step == 2 then
    return wrk.format("POST", "/v2/images/" .. image_id .. "/members",
                      producer_json,
                      '{"member": "' .. cfg.consumer.project .. '"}')
  end
  return wrk.format("PUT", "/v2/images/" .. image_id .. "/members/" ..
                    cfg.consumer.project, consumer_json,
                    '{"status": "accepted"}')
end

local EXPECT = {201, 200, 200}

function response(status, headers, body)
  local now = gm_now_us()
  samples:write(STEPS[step], " ", status, " ",
                string.format("%.0f", now - started), "\n")
  if status ~= EXPECT[step] then
    step = 1
    return
  end
  if step == 1 then
    image_id = body:match('"id": "([%x%-]+)"')
    if image_id == nil then
      samples:write("no_image_id 0 0\n")
      step = 1
      return
    end
    step = 2
  elseif step == 2 then
    step = 3
  else
    samples:write("chain 200 ", string.format("%.0f", now - chain_started),
                  "\n")
    step = 1
  end
end

function done(summary, latency, requests)
  gm_emit({summary = gm_summary(summary, latency)})
end
