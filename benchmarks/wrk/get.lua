-- One static request (URL and -H headers from the command line), wrk's
-- fast path: no per-request Lua. Prints wrk's summary as a GMJSON line.
dofile(os.getenv("GM_WRK_DIR") .. "/common.lua")

function done(summary, latency, requests)
  gm_emit({summary = gm_summary(summary, latency)})
end
