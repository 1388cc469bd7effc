# SPDX-License-Identifier: BSD-3-Clause
"""docs/openapi.yaml as a test oracle (issue 17): lint() checks the document itself, check()
checks one live answer against it. python3-yaml and python3-jsonschema only (Debian has no
OpenAPI validator package).

lint(): OpenAPI 3.0.x; every $ref resolves; operationIds unique; every operation answers
401 where the API needs a token (all routes), every response has a description; every schema,
converted to JSON Schema (nullable -> a null type), is a valid draft-4 schema; every example
given next to a schema validates against it.

check(method, path, status, body): the path matches a documented path (its {params} any one
segment); the method is documented there, or the answer is 405; the status is documented for
the operation (or it is the API's generic 404/405/413/401); a JSON answer validates against the
response's schema; /metrics is text."""
import copy
import os
import re

import jsonschema
import yaml

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
_SPEC = None
GENERIC = {401, 404, 405, 413}  # answered by the dispatcher on any route (docs/API.md)


def spec():
    global _SPEC
    if _SPEC is None:
        with open(os.path.join(ROOT, "docs", "openapi.yaml")) as f:
            _SPEC = yaml.safe_load(f)
    return _SPEC


def to_json_schema(s):
    """OpenAPI 3.0 schema object -> JSON Schema draft 4 (nullable as a null type)."""
    if isinstance(s, list):
        return [to_json_schema(x) for x in s]
    if not isinstance(s, dict):
        return s
    out = {}
    for k, v in s.items():
        if k in ("example", "examples", "writeOnly", "readOnly", "deprecated", "xml",
                 "externalDocs", "discriminator"):
            continue
        if k == "properties":
            out[k] = {name: to_json_schema(sub) for name, sub in v.items()}
        elif k in ("additionalProperties", "items", "not") and isinstance(v, dict):
            out[k] = to_json_schema(v)
        elif k in ("allOf", "oneOf", "anyOf"):
            out[k] = to_json_schema(v)
        else:
            out[k] = v
    if out.pop("nullable", False):
        if "type" in out:
            t = out["type"]
            out["type"] = (t if isinstance(t, list) else [t]) + ["null"]
            if "enum" in out:
                out["enum"] = out["enum"] + [None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def converted_spec():
    d = copy.deepcopy(spec())
    comps = d.get("components", {}).get("schemas", {})
    d["components"]["schemas"] = {k: to_json_schema(v) for k, v in comps.items()}
    return d


_CONV = None


def validator(schema):
    global _CONV
    if _CONV is None:
        _CONV = converted_spec()
    resolver = jsonschema.RefResolver("", _CONV)
    return jsonschema.Draft4Validator(to_json_schema(schema), resolver=resolver)


def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        cur = spec()
        for part in ref[2:].split("/"):
            cur = cur[part]
        node = cur
    return node


def operations():
    for path, item in spec()["paths"].items():
        for method, op in item.items():
            if method in ("get", "put", "post", "patch", "delete"):
                yield path, method, op


def lint():
    """Problems of the document, as a list of strings (empty: clean)."""
    bad = []
    d = spec()
    if not str(d.get("openapi", "")).startswith("3.0."):
        bad.append("openapi: not 3.0.x")

    def refs(node, where):
        if isinstance(node, dict):
            if "$ref" in node:
                try:
                    resolve(node)
                except (KeyError, AssertionError):
                    bad.append("%s: $ref %s does not resolve" % (where, node["$ref"]))
            for k, v in node.items():
                refs(v, where + "/" + str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                refs(v, "%s/%d" % (where, i))
    refs(d, "#")
    ids = {}
    for path, method, op in operations():
        where = "%s %s" % (method.upper(), path)
        oid = op.get("operationId")
        if not oid:
            bad.append(where + ": no operationId")
        elif oid in ids:
            bad.append("%s: operationId %s also on %s" % (where, oid, ids[oid]))
        else:
            ids[oid] = where
        for st, resp in op.get("responses", {}).items():
            r = resolve(resp)
            if not r.get("description"):
                bad.append("%s %s: no description" % (where, st))
            for ctype, media in (r.get("content") or {}).items():
                sch = media.get("schema")
                if sch is None:
                    continue
                try:
                    jsonschema.Draft4Validator.check_schema(to_json_schema(resolve(sch)))
                except jsonschema.SchemaError as e:
                    bad.append("%s %s: schema: %s" % (where, st, e.message))
                    continue
                if "example" in media and ctype.startswith("application/json"):
                    for e in validator(sch).iter_errors(media["example"]):
                        bad.append("%s %s: example: %s" % (where, st, e.message))
    for name, sch in d.get("components", {}).get("schemas", {}).items():
        try:
            jsonschema.Draft4Validator.check_schema(to_json_schema(sch))
        except jsonschema.SchemaError as e:
            bad.append("components/schemas/%s: %s" % (name, e.message))
        if "example" in sch:
            for e in validator(sch).iter_errors(sch["example"]):
                bad.append("components/schemas/%s: example: %s" % (name, e.message))
    return bad


def match_path(path):
    path = path.split("?", 1)[0]
    for tmpl in spec()["paths"]:
        rx = "^" + re.sub(r"\\{[a-z_]+\\}", "[^/]+", re.escape(tmpl)) + "$"
        if re.match(rx, path):
            return tmpl
    return None


def check(method, path, status, body):
    """Raise AssertionError when the answer breaks docs/openapi.yaml."""
    tmpl = match_path(path)
    if tmpl is None:
        assert status in (404, 401), "%s %s answered %s: the path is not documented" % (
            method, path, status)
        return
    op = spec()["paths"][tmpl].get(method.lower())
    if op is None:
        assert status in (405, 401), "%s %s answered %s: the method is not documented" % (
            method, path, status)
        return
    responses = op.get("responses", {})
    resp = responses.get(str(status)) or responses.get("default")
    if resp is None:
        assert status in GENERIC, "%s %s answered %s: not a documented status (%s)" % (
            method, tmpl, status, ", ".join(sorted(responses)))
        resp = resolve({"$ref": "#/components/responses/" + {
            401: "Unauthorized", 404: "NotFound", 405: "MethodNotAllowed",
            413: "TooLarge"}[status]}) if status != 405 else None
        if resp is None:
            return
    resp = resolve(resp)
    content = resp.get("content") or {}
    json_media = next((m for c, m in content.items() if c.startswith("application/json")), None)
    if json_media is None:
        if content:
            assert isinstance(body, str), "%s %s: %s expected, got JSON" % (
                method, tmpl, ", ".join(content))
        return
    sch = json_media.get("schema")
    if sch is None:
        return
    errors = sorted(validator(sch).iter_errors(body), key=lambda e: list(e.path))
    assert not errors, "%s %s %s breaks docs/openapi.yaml: %s at /%s" % (
        method, tmpl, status, errors[0].message, "/".join(map(str, errors[0].path)))
