#!/usr/bin/env node
// Verifies a Cambio export (`cambio audit export > events.ndjson`, or GET /api/audit/export)
// without Cambio: Node.js alone, no dependency, nothing imported from the application, so an
// auditor can read all of it here. It restates the chain rule of AUDIT.md:
//
//   hash = SHA-256 hex of canonical JSON of {streamId, id, type, data, metadata minus "hash"}
//   metadata.previousHash = the hash of the event before it in its stream (null for the first)
//
// Canonical JSON: object keys sorted (by UTF-16 code units) at every depth, no whitespace.
// Events without a hash (written before the chain existed) must come first in their stream;
// the first hashed event links to the hash they would have had.
//
// Usage: node scripts/verify-export.mjs [events.ndjson] [--anchor heads.txt]
//   (reads stdin without a file). Exit 0: every chain intact (and every anchor holds);
//   1: a BROKEN or ANCHOR line names each stream and revision; 2: the file cannot be read.
import { createHash } from 'node:crypto';
import process from 'node:process';
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const canonical = (value) => {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`).join(',')}}`;
};

const hashOf = (event, metadata) =>
  createHash('sha256')
    .update(
      canonical({
        streamId: event.streamId,
        id: event.id,
        type: event.type,
        data: event.data,
        metadata,
      }),
      'utf8',
    )
    .digest('hex');

const args = process.argv.slice(2);
const anchorAt = args.indexOf('--anchor');
const anchorFile = anchorAt >= 0 ? args[anchorAt + 1] : undefined;
const file = args.find(
  (arg, index) => !arg.startsWith('--') && (anchorAt < 0 || index !== anchorAt + 1),
);

const anchors = new Map();
if (anchorFile !== undefined) {
  for (const line of readFileSync(anchorFile, 'utf8').split('\n')) {
    const [streamId, revision, hash] = line.trim().split(/\s+/);
    if (streamId && revision && hash && !streamId.startsWith('#')) {
      anchors.set(`${streamId} ${revision}`, hash);
    }
  }
}

const chains = new Map(); // streamId -> { revision, link, sealed }
const problems = [];
const seenAnchors = new Map();
let events = 0;

const lines = createInterface({
  input: file === undefined ? process.stdin : createReadStream(file),
  crlfDelay: Infinity,
});
try {
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const event = JSON.parse(line);
    events++;
    const revision = BigInt(event.revision);
    const chain = chains.get(event.streamId) ?? { revision: -1n, link: null, sealed: false };
    chains.set(event.streamId, chain);
    const broken = (problem) =>
      problems.push(`BROKEN ${event.streamId} revision ${revision}: ${problem}`);
    if (revision !== chain.revision + 1n) broken(`follows revision ${chain.revision}`);
    const { hash, ...rest } = event.metadata;
    if (typeof hash !== 'string') {
      if (chain.sealed) broken('no hash in a chained stream');
      chain.link = hashOf(event, { ...rest, previousHash: chain.link });
    } else {
      chain.sealed = true;
      if (hashOf(event, rest) !== hash) broken('content does not match its hash');
      if ((rest.previousHash ?? null) !== chain.link)
        broken('does not link to the event before it');
      chain.link = hash;
    }
    chain.revision = revision;
    const key = `${event.streamId} ${revision}`;
    if (anchors.has(key)) seenAnchors.set(key, typeof hash === 'string' ? hash : null);
  }
} catch (error) {
  process.stderr.write(`cannot read the export: ${error.message}\n`);
  process.exit(2);
}

for (const [key, hash] of anchors) {
  if (!seenAnchors.has(key))
    problems.push(`ANCHOR ${key}: the anchored event is not in the export`);
  else if (seenAnchors.get(key) !== hash)
    problems.push(`ANCHOR ${key}: the event has another hash`);
}
for (const problem of problems) process.stdout.write(`${problem}\n`);
process.stdout.write(
  `${events} events in ${chains.size} streams: ${problems.length === 0 ? 'every chain intact' : `${problems.length} problems`}\n`,
);
process.exitCode = problems.length === 0 ? 0 : 1;
