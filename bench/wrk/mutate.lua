-- POST load for wrk: each request edits a different user's first name with the
-- version it has (so no edit is a lost-update conflict). Targets come from a
-- file of "id version" lines, dealt round-robin to the threads.
-- Usage: wrk ... -s mutate.lua URL -- <cap per thread> <targets file> <threads> <path template>
-- The path template holds {id} where the user id goes (the portal's server
-- function takes the id in the body; the baseline in the path).

-- setup, response (the cap) and done (the JSON line) are load.lua's.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "load.lua")

local targets, next_target, template, headers = {}, 1, "/", {}

function init(args)
  cap = tonumber(args[1]) or 0
  local file = args[2]
  local count = tonumber(args[3]) or 1
  template = args[4] or "/"
  -- wrk.format replaces wrk.headers (Host, -H) with the table it is given.
  for k, v in pairs(wrk.headers) do
    headers[k] = v
  end
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  local n = 0
  for line in io.lines(file) do
    local uid, version = line:match("^(%S+)%s+(%S+)$")
    if uid then
      if n % count == id then
        table.insert(targets, { uid = uid, version = version })
      end
      n = n + 1
    end
  end
end

function request()
  local t = targets[next_target]
  if t == nil then
    -- Out of targets: wrap around (those edits are conflicts, counted as
    -- status errors) rather than stop mid-flight.
    next_target = 1
    t = targets[1]
  end
  next_target = next_target + 1
  local body = string.format("id=%s&version=%s&profile%%5BfirstName%%5D=Bench%d", t.uid, t.version, next_target)
  local path = template:gsub("{id}", t.uid)
  return wrk.format("POST", path, headers, body)
end
