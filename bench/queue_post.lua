-- wrk script: POST updates with unique ids across 500 chats (each wrk thread its own id range)
local threads = 0
local counter = 0

function setup(thread)
  thread:set("base", threads * 100000000)
  threads = threads + 1
end

function request()
  counter = counter + 1
  local uid = base + counter
  local body = '{"update_id":' .. uid .. ',"message":{"message_id":' .. counter ..
    ',"date":0,"chat":{"id":' .. (uid % 500) .. ',"type":"private"},"text":"hi"}}'
  return wrk.format("POST", "/webhook", {["Content-Type"] = "application/json"}, body)
end
