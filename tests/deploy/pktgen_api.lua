-- SPDX-License-Identifier: BSD-3-Clause
-- The Pktgen-DPDK Lua API (the calls pktgen-scripts/replay.lua makes) as two Pktgen versions
-- define it in their app/lpktgenlib.c, for tests/deploy/test_replay_lua.py: no Pktgen and no
-- NIC here, so the script runs on this model of each version, and the test reads what it
-- printed.
--
--   lua5.4 pktgen_api.lua 23|26 pktgen-scripts/replay.lua
--
-- 23: portStats takes (portlist, type) and gives t[pid] = {opackets = ..., obytes = ...};
-- 26: portStats takes (portlist) only (two arguments raise "wrong number of arguments") and
--     gives t[pid] = {curr = {...}, sizes = {...}, qstats = {...}}.
-- The port "sends" 1000 packets of 100 bytes per millisecond of pktgen.delay while started.

local version = arg[1]
local script = arg[2]
local running, sent = false, 0

pktgen = {}
function pktgen.screen(state) end
function pktgen.set(pl, what, value) print(string.format("pktgen.set %s %s %s", pl, what, tostring(value))) end
function pktgen.pcap(pl, state) print("pktgen.pcap " .. pl .. " " .. state) end
function pktgen.clr() sent = 0 end
function pktgen.start(pl) running = true end
function pktgen.stop(pl) running = false end
function pktgen.delay(ms) if running then sent = sent + 1000 * ms end end
function pktgen.quit() print("pktgen.quit") end

local function counters()
    return { ipackets = 7, opackets = sent, ibytes = 700, obytes = 100 * sent, ierrors = 0,
             oerrors = 0, rx_nombuf = 0, imissed = 1 }
end

if version == "23" then
    function pktgen.portStats(pl, kind)
        if kind == nil then error("portStats, wrong number of arguments") end
        local t = { n = 1 }
        t[tonumber(pl)] = counters()
        return t
    end
elseif version == "26" then
    function pktgen.portStats(pl, extra)
        if extra ~= nil then error("portStats, wrong number of arguments") end
        local t = { n = 1 }
        t[tonumber(pl)] = { curr = counters(), sizes = { _64 = 0 }, qstats = {} }
        return t
    end
else
    error("version: 23 or 26")
end

dofile(script)
