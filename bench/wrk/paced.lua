-- load.lua with a pause before each request: `pace` milliseconds per
-- connection, so a few connections make a steady, bounded stream of requests
-- (a team of admins at work) instead of as many as the server can take.
-- Usage: wrk ... -s paced.lua URL -- <cap per thread> <pace ms>

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "load.lua")

pace = 0
local load_init = init

function init(args)
  load_init(args)
  pace = tonumber(args[2]) or 0
end

function delay()
  return pace
end
