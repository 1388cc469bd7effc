#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Events with a contract (issue 17): each carries event_version and the instance name, and
follows docs/events.schema.json (read_events checks every line); a refused request's event
carries whatever was parsed of it: a head that fails at a field, at a line too long, at
framing, keeps method, host and uri; a request line that fails at its version keeps the
method and the target (they were empty); one that fails at the method keeps nothing."""
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hp_pcaptest as hp  # noqa: E402

HOST = "hooks.example.com"
S = ("198.19.0.1", 8080)
CASES = [  # (payload, method, host, uri, reason)
    (b"POST /hook/field HTTP/1.1\r\nHost: " + HOST.encode() + b"\r\nBad Header Line\r\n"
     b"Content-Length: 2\r\n\r\nhi", "POST", HOST, "/hook/field", "http_malformed"),
    (b"POST /hook/te HTTP/1.1\r\nHost: " + HOST.encode() + b"\r\nContent-Length: 2\r\n"
     b"Transfer-Encoding: chunked\r\n\r\nhi", "POST", HOST, "/hook/te", "http_smuggling"),
    (b"POST /hook/long HTTP/1.1\r\nHost: " + HOST.encode() + b"\r\nX-Long: " + b"a" * 20000 +
     b"\r\n\r\n", "POST", HOST, "/hook/long", "http_line_too_long"),
    (b"POST /hook/version HTTP/9.9\r\nHost: " + HOST.encode() + b"\r\n\r\n", "POST", "",
     "/hook/version", "http_malformed"),
    (b"PO(ST /hook/method HTTP/1.1\r\nHost: " + HOST.encode() + b"\r\n\r\n", "", "", "",
     "http_malformed"),
]


class EventsContract(hp.TmpDirCase):
    def test_refused_requests_keep_what_was_parsed(self):
        frames = []
        for i, (payload, *_rest) in enumerate(CASES):
            c = ("198.18.0.%d" % (i + 1), 40000 + i)
            frames += [hp.tcp_frame(c, S, "S", 1000, 0), hp.tcp_frame(S, c, "SA", 5000, 1001),
                       hp.tcp_frame(c, S, "A", 1001, 5001)]
            seq = 1001
            for k in range(0, len(payload), 1400):
                frames.append(hp.tcp_frame(c, S, "PA", seq, 5001, payload[k:k + 1400]))
                seq += len(payload[k:k + 1400])
            frames.append(hp.tcp_frame(c, S, "FA", seq, 5001))
        pcap = hp.write_frames(self.tmp, "cases", frames)
        ev = os.path.join(self.tmp, "ev.jsonl")
        hp.run_hookpath(self.tmp, [pcap],
                        "dataplane: {mode: tap}\nevents: {file: %s}\n"
                        "control: {instance: edge-7}\n"
                        "endpoints:\n  - {name: a, match: {host: %s}, provider: none}\n"
                        % (ev, HOST))
        events = {e["flow"]["src"]: e for e in hp.read_events(ev)}  # schema-checked
        self.assertEqual(len(events), len(CASES), events)
        for i, (_, method, host, uri, reason) in enumerate(CASES):
            e = events["198.18.0.%d:%d" % (i + 1, 40000 + i)]
            with self.subTest(uri=uri or "(bad method)"):
                self.assertEqual((e["event_version"], e["instance"]), (1, "edge-7"))
                self.assertEqual((e["http"]["method"], e["http"]["host"], e["http"]["uri"]),
                                 (method, host, uri), e)
                self.assertEqual((e["verdict"], e["reason"]), ("reject", reason), e)

    def test_default_instance_name(self):
        pcap = os.path.join(self.tmp, "w.pcap")
        hp.gen(self.tmp, "webhooks", "-o", "w.pcap", "--sessions", "3", "--host", HOST, "-q")
        ev = os.path.join(self.tmp, "ev2.jsonl")
        hp.run_hookpath(self.tmp, [pcap], "dataplane: {mode: tap}\nevents: {file: %s}\n" % ev)
        names = {e["instance"] for e in hp.read_events(ev)}
        self.assertEqual(len(names), 1)
        self.assertTrue(names.pop().startswith(socket.gethostname()[:31]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
