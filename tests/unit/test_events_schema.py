#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""docs/events.schema.json (issue 17) is a valid JSON Schema 2020-12 whose enums are the
code's: the reasons of dataplane/dp_event.h's table, the four verdicts, the ML feature names
of lib/ml/ml_features.h, and event_version the control plane's HP_EVENT_VERSION; a sample of
each event shape validates, and events that break the contract are refused (an unknown
field, a wrong type, an unknown reason, a missing instance)."""
import copy
import json
import os
import re
import unittest

import jsonschema

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def read(*p):
    with open(os.path.join(ROOT, *p)) as f:
        return f.read()


SCHEMA = json.loads(read("docs", "events.schema.json"))
V = jsonschema.Draft202012Validator(SCHEMA)
BASE = {"ts": "2026-12-05T06:00:00.123456789Z", "event_id": "1764914400000-1",
        "event_version": 1, "instance": "edge1", "worker": 0,
        "flow": {"src": "198.18.0.1:40000", "dst": "[2001:db8::1]:443"},
        "http": {"method": "POST", "host": "hooks.example.com", "uri": "/h", "body_len": 3,
                 "body_sha256": "0" * 64},
        "endpoint": "stripe", "provider": "stripe", "webhook_id": "evt_1",
        "verdict": "accept", "reason": "ok", "latency_ns": 1200}


class EventsSchema(unittest.TestCase):
    def test_schema_is_valid(self):
        jsonschema.Draft202012Validator.check_schema(SCHEMA)

    def test_enums_are_the_codes(self):
        reasons = re.findall(r"^\s*_\([A-Z_0-9]+, ([a-z_0-9]+),", read("dataplane", "dp_event.h"),
                             re.M)
        self.assertEqual(SCHEMA["properties"]["reason"]["enum"], reasons)
        verdicts = re.findall(r'\[HP_EV_[A-Z]+\] = "([a-z]+)"', read("dataplane", "dp_event.c"))
        self.assertEqual(sorted(SCHEMA["properties"]["verdict"]["enum"]), sorted(verdicts))
        feats = re.findall(r"^\s*_\([A-Z_0-9]+, ([a-z_0-9]+),", read("lib", "ml", "ml_features.h"),
                           re.M)
        self.assertEqual(list(SCHEMA["$defs"]["ml"]["properties"]["features"]["properties"]),
                         feats)
        ver = re.search(r"#define HP_EVENT_VERSION (\d+)", read("controlplane", "ctl.h"))
        self.assertEqual(SCHEMA["properties"]["event_version"]["const"], int(ver.group(1)))

    def test_shapes_validate(self):
        V.validate(BASE)
        ml = copy.deepcopy(BASE)
        ml["ml"] = {"score": 0.93, "model": "default", "version": 2, "flagged": True,
                    "features": {"body_len": 3.0, "pii_matches": None}}
        V.validate(ml)
        missing = copy.deepcopy(BASE)
        missing["ml"] = {"missing": "unavailable"}
        V.validate(missing)
        pii = copy.deepcopy(BASE)
        pii.update(pii={"email": 2}, pii_masked_bytes=20, verdict="reject",
                   reason="pii_blocked", midstream=True, late=True)
        V.validate(pii)

    def test_breaches_refused(self):
        for change in ({"extra": 1}, {"worker": "0"}, {"reason": "nope"}, {"verdict": "ok"},
                       {"event_version": 2}, {"ts": "2026-12-05 06:00:00"},
                       {"flow": {"src": "x", "dst": "198.18.0.1:1"}},
                       {"ml": {"score": 0.5}}, {"ml": {"missing": "x"}}):
            ev = dict(BASE, **change)
            with self.subTest(change=change):
                self.assertFalse(V.is_valid(ev), ev)
        ev = dict(BASE)
        del ev["instance"]
        self.assertFalse(V.is_valid(ev))


if __name__ == "__main__":
    unittest.main(verbosity=2)
