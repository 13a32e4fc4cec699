-- Shared by the glance-members wrk scripts (loaded with dofile from
-- $GM_WRK_DIR): a monotonic microsecond clock (LuaJIT FFI), a tiny JSON
-- encoder, and the "GMJSON {...}" result line (wrk's own summary and
-- latency histogram) that benchmarks/sharing.py parses.

local ffi = require("ffi")
pcall(ffi.cdef, [[
typedef struct { long tv_sec; long tv_nsec; } gm_timespec;
int clock_gettime(int clk_id, gm_timespec *tp);
]])
local gm_ts = ffi.new("gm_timespec")

function gm_now_us()
  ffi.C.clock_gettime(1, gm_ts)  -- CLOCK_MONOTONIC
  return tonumber(gm_ts.tv_sec) * 1e6 + tonumber(gm_ts.tv_nsec) / 1e3
end

local function encode(v)
  local t = type(v)
  if t == "nil" then return "null"
  elseif t == "boolean" then return tostring(v)
  elseif t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return "null" end
    if v == math.floor(v) and math.abs(v) < 1e15 then
      return string.format("%d", v)
    end
    return string.format("%.6g", v)
  elseif t == "string" then
    return '"' .. v:gsub('[%c"\\]', function(c)
      return string.format("\\u%04x", c:byte())
    end) .. '"'
  elseif t == "table" then
    if #v > 0 or next(v) == nil then
      local parts = {}
      for i = 1, #v do parts[i] = encode(v[i]) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    local parts = {}
    for _, k in ipairs(keys) do
      parts[#parts + 1] = encode(k) .. ":" .. encode(v[k])
    end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return '"?"'
end
gm_json = encode

-- wrk's own summary (its latency histogram, in microseconds).
function gm_summary(summary, latency)
  local e = summary.errors
  local out = {
    duration_s = summary.duration / 1e6,
    requests = summary.requests,
    bytes = summary.bytes,
    rps = summary.requests / (summary.duration / 1e6),
    errors = {connect = e.connect, read = e.read, write = e.write,
              status = e.status, timeout = e.timeout},
    latency_ms = {mean = latency.mean / 1e3, max = latency.max / 1e3,
                  p50 = latency:percentile(50) / 1e3,
                  p90 = latency:percentile(90) / 1e3,
                  p95 = latency:percentile(95) / 1e3,
                  p99 = latency:percentile(99) / 1e3},
  }
  return out
end

function gm_emit(result)
  io.write("GMJSON " .. gm_json(result) .. "\n")
end
