-- SPDX-License-Identifier: BSD-3-Clause
--
-- replay.lua - replay a hookpath pcap (made by hp_pcapgen.py) on a real NIC port
--              with Pktgen-DPDK, print port stats every interval, then stop.
--
-- Pktgen loads the pcap itself, from its -s P:FILE option; this script only turns
-- pcap mode on for that port, sets the rate and the packet count, starts, polls
-- the port stats and stops. Pktgen replays the pcap in a loop (timestamps are
-- ignored, the rate is a percentage of line rate) until the count is reached or
-- the duration is over.
--
-- Invocation (port 0 = the NIC at 0000:03:00.0; lcore 1 rx, lcore 2 tx):
--
--   HP_PORT=0 HP_RATE=10 HP_DURATION=30 \
--   pktgen -l 0-2 -n 4 -a 0000:03:00.0 -- -P -T -m "[1:2].0" \
--          -s 0:webhooks.pcap -f pktgen-scripts/replay.lua
--
-- Environment (all optional):
--   HP_PORT      port to send on                     (default "0"; must match -s P:)
--   HP_RATE      percent of line rate                (default 100)
--   HP_COUNT     packets to send, 0 = until duration (default 0)
--   HP_DURATION  seconds before stopping             (default 10)
--   HP_INTERVAL  seconds between stats lines         (default 1)
--   HP_BURST     tx burst size                       (default 32)
--   HP_QUIT      "1": quit Pktgen when done          (default "0")
--
-- Only these Pktgen Lua calls are used: pktgen.screen, pktgen.set, pktgen.pcap,
-- pktgen.clr, pktgen.start, pktgen.stop, pktgen.delay, pktgen.portStats, pktgen.quit;
-- they exist with these arguments from Pktgen 23.x to 26.x (portStats differs, below).
-- tests/deploy/test_replay_lua.sh runs this script against both API shapes.

package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
pcall(require, "Pktgen")

local function env(name, default)
    local v = os.getenv(name)
    if v == nil or v == "" then
        return default
    end
    return v
end

local port     = env("HP_PORT", "0")
local rate     = tonumber(env("HP_RATE", "100"))
local count    = tonumber(env("HP_COUNT", "0"))
local duration = tonumber(env("HP_DURATION", "10"))
local interval = tonumber(env("HP_INTERVAL", "1"))
local burst    = tonumber(env("HP_BURST", "32"))
local quit     = env("HP_QUIT", "0") == "1"
local pid      = tonumber(port)

-- Port counters across Pktgen versions:
--   up to 23.x  portStats(portlist, "port") -> t[pid] = {opackets = ..., obytes = ..., ...}
--   24.x-26.x   portStats(portlist)         -> t[pid] = {curr = {opackets = ...}, sizes = ...,
--                                              qstats = ...} (two arguments raise an error)
-- Both calls are tried; the counters are read flat or from .curr, and a missing one is 0.
local COUNTERS = { "opackets", "obytes", "oerrors", "ipackets", "ibytes", "ierrors", "imissed" }

local function port_stats()
    local ok, st = pcall(pktgen.portStats, port, "port")
    if not ok or type(st) ~= "table" then
        ok, st = pcall(pktgen.portStats, port)
    end
    local e = ok and type(st) == "table" and st[pid] or nil
    if type(e) == "table" and type(e.curr) == "table" then
        e = e.curr
    end
    local out = {}
    for _, k in ipairs(COUNTERS) do
        out[k] = (type(e) == "table" and tonumber(e[k])) or 0
    end
    return out
end

local function show(t, s, prev)
    local dp = s.opackets - prev.opackets
    local db = s.obytes - prev.obytes
    print(string.format(
        "hookpath-replay t=%5.1fs port %d: tx %d pkts %d bytes (%d pps, %.1f Mbit/s) oerr %d | rx %d pkts ierr %d missed %d",
        t, pid, s.opackets, s.obytes, math.floor(dp / interval), db * 8 / interval / 1e6, s.oerrors,
        s.ipackets, s.ierrors, s.imissed))
end

pktgen.screen("off")
pktgen.stop(port)
pktgen.set(port, "rate", rate)
pktgen.set(port, "burst", burst)
pktgen.set(port, "count", count)   -- 0 = send until stopped
pktgen.pcap(port, "on")            -- send the packets loaded with -s P:file
pktgen.clr()
pktgen.delay(500)

print(string.format("hookpath-replay: port %s rate %s%% count %d duration %ss",
                    port, tostring(rate), count, tostring(duration)))
pktgen.start(port)

local prev = port_stats()
local elapsed = 0
while elapsed < duration do
    pktgen.delay(math.floor(interval * 1000))
    elapsed = elapsed + interval
    local s = port_stats()
    show(elapsed, s, prev)
    prev = s
    if count > 0 and s.opackets >= count then
        break
    end
end

pktgen.stop(port)
pktgen.delay(1000)  -- let the last bursts drain and the counters settle
local s = port_stats()
print(string.format("hookpath-replay done: port %d sent %d packets, %d bytes, %d tx errors; received %d packets",
                    pid, s.opackets, s.obytes, s.oerrors, s.ipackets))
pktgen.pcap(port, "off")
pktgen.screen("on")
if quit then
    pktgen.quit()
end
