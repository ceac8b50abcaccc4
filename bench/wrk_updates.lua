-- wrk script: POST real-shaped updates from 100 chats, each with a fresh update_id.
-- Usage: wrk -s bench/wrk_updates.lua URL -- <first update_id>
local counter = 0
local threads = 0

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  first = tonumber(args[1] or "50000000") + tid * 10000000
end

request = function()
  counter = counter + 1
  local uid = first + counter
  local chat = 100000 + uid % 100
  local body = string.format(
    '{"update_id":%d,"message":{"message_id":%d,"from":{"id":%d,"is_bot":false,' ..
    '"first_name":"Bench","username":"u%d","language_code":"en"},"chat":{"id":%d,' ..
    '"first_name":"Bench","username":"u%d","type":"private"},"date":%d,"text":"hello %d"}}',
    uid, uid, chat, chat, chat, chat, 1700000000 + uid, uid)
  return wrk.format("POST", "/webhook", {["Content-Type"] = "application/json"}, body)
end
