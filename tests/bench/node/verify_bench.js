#!/usr/bin/env node
// SPDX-License-Identifier: BSD-3-Clause
//
// Verifies webhook requests written by `hp_pcapgen.py webhooks --provider P --requests-json F`
// with the providers' official npm libraries, and measures how many verifications per second
// each library does on one core:
//
//   stripe            stripe.webhooks.constructEvent()          (verify + JSON.parse)
//                     stripe.webhooks.signature.verifyHeader()  (verify only)
//   standard-webhooks new Webhook(secret).verify()              (verify + JSON.parse)
//   svix              the same, svix-* headers renamed to webhook-*
//
// Next to each figure: node:crypto HMAC-SHA256 + timingSafeEqual over the same signed bytes
// (the crypto floor in the same process), so a ratio can be read.
//
//   node verify_bench.js [--check] [--iterations N] [--runs R] REQUESTS.json [...]
//
// --check: no timing; every request (all cases) must get the outcome its manifest
// expectation implies for a signature check; prints "check: ok" or lists mismatches, exit 1.
'use strict';

const fs = require('fs');
const crypto = require('crypto');

const SIG_REASONS = new Set(['bad_signature', 'missing_signature', 'malformed_signature',
  'stale_timestamp', 'future_timestamp']);

function usage(msg) {
  if (msg) console.error('verify_bench.js: ' + msg);
  console.error('usage: node verify_bench.js [--check] [--iterations N] [--runs R] REQUESTS.json [...]');
  process.exit(2);
}

function parseArgs(argv) {
  const a = { check: false, iterations: 20000, runs: 5, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    if (v === '--check') a.check = true;
    else if (v === '--iterations') a.iterations = parseInt(argv[++i], 10);
    else if (v === '--runs') a.runs = parseInt(argv[++i], 10);
    else if (v === '-h' || v === '--help') usage();
    else if (v.startsWith('-')) usage('unknown option ' + v);
    else a.files.push(v);
  }
  if (!a.files.length) usage('no requests file');
  if (!(a.iterations > 0) || !(a.runs > 0)) usage('--iterations and --runs must be > 0');
  return a;
}

function header(req, name) {
  const n = name.toLowerCase();
  for (const [k, v] of req.headers) if (k.toLowerCase() === n) return v;
  return undefined;
}

function headerObject(req, rename) {
  const o = {};
  for (const [k, v] of req.headers) {
    let key = k.toLowerCase();
    if (rename && key.startsWith('svix-')) key = 'webhook-' + key.slice(5);
    o[key] = v;
  }
  return o;
}

// One verifier per provider: {name, verify(req) -> throws on failure, floor(req) -> crypto only}
function pkgVersion(name) {
  // read node_modules/<name>/package.json directly: some packages do not export it
  const path = require('path');
  const dir = path.dirname(require.resolve(name));
  for (let d = dir; d !== path.dirname(d); d = path.dirname(d)) {
    const f = path.join(d, 'package.json');
    if (fs.existsSync(f)) {
      const j = JSON.parse(fs.readFileSync(f, 'utf8'));
      if (j.name === name) return j.version;
    }
  }
  return '?';
}

function verifiersFor(doc) {
  const provider = doc.provider;
  const secret = doc.secret;
  const signTimeMs = doc.sign_time * 1000;
  if (provider === 'stripe') {
    const stripe = require('stripe')('sk_test_hookpath_bench_not_a_key');
    const wh = stripe.webhooks;
    const prep = (req) => {
      if (!req._p) req._p = { body: req.body, sig: header(req, 'Stripe-Signature') };
      return req._p;
    };
    return {
      library: 'stripe ' + pkgVersion('stripe'),
      // Stripe's default tolerance (300 s), the age measured from the signing time
      expectOk: (r) => !SIG_REASONS.has(r.expect.reason) || r.expect.reason === 'future_timestamp',
      note: 'stripe-node checks only the age of t= (no future bound): future requests pass it',
      methods: [
        ['stripe.webhooks.constructEvent', (req) => {
          const p = prep(req);
          return wh.constructEvent(p.body, p.sig, secret, 300, undefined, signTimeMs);
        }],
        ['stripe.webhooks.signature.verifyHeader', (req) => {
          const p = prep(req);
          return wh.signature.verifyHeader(p.body, p.sig, secret, 300, undefined, signTimeMs);
        }],
      ],
      floor: (req) => {
        if (!req._f) {
          const sig = header(req, 'Stripe-Signature');
          const t = /(?:^|,)t=(\d+)/.exec(sig)[1];
          const v1 = /(?:^|,)v1=([0-9a-f]+)/.exec(sig)[1];
          req._f = { msg: Buffer.concat([Buffer.from(t + '.'), req.body]), sig: Buffer.from(v1, 'hex') };
        }
        const mac = crypto.createHmac('sha256', secret).update(req._f.msg).digest();
        return crypto.timingSafeEqual(mac, req._f.sig);
      },
    };
  }
  if (provider === 'standard-webhooks' || provider === 'svix') {
    if (secret.startsWith('whsk_')) {
      return { skip: 'standardwebhooks (npm) verifies v1 (HMAC) only, not v1a (Ed25519)' };
    }
    const { Webhook } = require('standardwebhooks');
    const wh = new Webhook(secret);
    const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
    const rename = provider === 'svix';
    return {
      library: 'standardwebhooks ' + pkgVersion('standardwebhooks'),
      expectOk: (r) => !SIG_REASONS.has(r.expect.reason),
      note: rename ? 'svix-* headers renamed to webhook-* for this library' : '',
      methods: [
        ['standardwebhooks Webhook.verify', (req) => {
          if (!req._h) req._h = headerObject(req, rename);
          return wh.verify(req.body, req._h);
        }],
      ],
      floor: (req) => {
        if (!req._f) {
          const h = headerObject(req, rename);
          const sig = h['webhook-signature'].split(' ').find((s) => s.startsWith('v1,')).slice(3);
          req._f = {
            msg: Buffer.concat([Buffer.from(h['webhook-id'] + '.' + h['webhook-timestamp'] + '.'), req.body]),
            sig: Buffer.from(sig, 'base64'),
          };
        }
        const mac = crypto.createHmac('sha256', key).update(req._f.msg).digest();
        return crypto.timingSafeEqual(mac, req._f.sig);
      },
    };
  }
  return { skip: 'no official npm verifier wired up for provider ' + provider };
}

function load(file) {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!doc.provider) usage(file + ': no provider (generate it with --provider)');
  for (const r of doc.requests) r.body = Buffer.from(r.body_b64, 'base64');
  return doc;
}

function outcome(fn, req) {
  try {
    fn(req);
    return 'ok';
  } catch (e) {
    return 'fail: ' + String(e.message || e).split('\n')[0];
  }
}

function check(doc, v, file) {
  let bad = 0;
  for (const [name, fn] of v.methods) {
    doc.requests.forEach((r, i) => {
      const got = outcome(fn, r);
      const want = v.expectOk(r);
      if ((got === 'ok') !== want) {
        bad++;
        console.log(`MISMATCH ${file} #${i} case=${r.case} expect=${r.expect.reason} ${name}: ${got}`);
      }
    });
  }
  const cases = {};
  for (const r of doc.requests) cases[r.case] = (cases[r.case] || 0) + 1;
  console.log(`${file}: ${v.library}: ${doc.requests.length} requests x ${v.methods.length} method(s) ` +
    `(cases ${JSON.stringify(cases)}): ${bad ? bad + ' mismatches' : 'as expected'}` +
    (v.note ? ` [${v.note}]` : ''));
  return bad;
}

function timeLoop(fn, reqs, iterations) {
  const n = reqs.length;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn(reqs[i % n]);
  const ns = Number(process.hrtime.bigint() - t0);
  return iterations / (ns / 1e9);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmt(x) {
  return Math.round(x).toLocaleString('en-US');
}

function bench(doc, v, a, file) {
  const reqs = doc.requests.filter((r) => r.case === 'valid');
  if (!reqs.length) usage(file + ': no valid requests to time');
  const sizes = reqs.map((r) => r.body.length);
  const avg = sizes.reduce((x, y) => x + y, 0) / sizes.length;
  console.log(`${file}: ${doc.provider}, ${reqs.length} valid requests, body ${Math.min(...sizes)}-` +
    `${Math.max(...sizes)} B (mean ${Math.round(avg)}), ${a.runs} runs x ${a.iterations} verifications, node ` +
    process.version);
  // warm up (JIT) and make sure every timed call succeeds
  for (const [name, fn] of v.methods) for (const r of reqs) fn(r);
  for (const r of reqs) if (!v.floor(r)) throw new Error('floor check failed: ' + file);
  const rows = [];
  const all = [['node:crypto HMAC-SHA256 + timingSafeEqual (floor)', v.floor], ...v.methods];
  const per = all.map(() => []);
  for (let run = 0; run < a.runs; run++) {
    all.forEach(([, fn], k) => per[k].push(timeLoop(fn, reqs, a.iterations)));  // interleaved runs
  }
  const floor = median(per[0]);
  all.forEach(([name], k) => {
    const m = median(per[k]);
    rows.push([name, m, Math.min(...per[k]), Math.max(...per[k]), m / floor]);
  });
  console.log('  ' + 'method'.padEnd(52) + 'median/s'.padStart(12) + 'min/s'.padStart(12) + 'max/s'.padStart(12) +
    '  us/verify  x floor');
  for (const [name, m, lo, hi, ratio] of rows) {
    console.log('  ' + name.padEnd(52) + fmt(m).padStart(12) + fmt(lo).padStart(12) + fmt(hi).padStart(12) +
      (1e6 / m).toFixed(2).padStart(11) + ratio.toFixed(2).padStart(9));
  }
  if (v.note) console.log('  note: ' + v.note);
}

function main() {
  const a = parseArgs(process.argv.slice(2));
  let bad = 0;
  for (const file of a.files) {
    const doc = load(file);
    const v = verifiersFor(doc);
    if (v.skip) {
      console.log(`${file}: skipped: ${v.skip}`);
      continue;
    }
    if (a.check) bad += check(doc, v, file);
    else bench(doc, v, a, file);
  }
  if (a.check) {
    console.log(bad ? `check: FAILED (${bad})` : 'check: ok');
    process.exit(bad ? 1 : 0);
  }
}

main();
