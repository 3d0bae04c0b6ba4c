/**
 * Experiment (issue 16, cl-eap2): CPU cost of sealing and opening one EAP
 * conversation record now that records are padded (256, 512, 1024, then
 * multiples of 1024 octets) and the last round writes a finished record
 * (an Accept with MPPE keys). Ours: encodeRecord + sealConversation, and
 * openConversation + decodeRecord, through aes256GcmAead. Anchor, same
 * run: bare node:crypto AES-256-GCM over the same padded plaintext (one
 * cipher per call, as ours). Prints µs of CPU (process.cpuUsage) per
 * call, the ratio ours/anchor, and the sealed size.
 *
 * Run: `npx tsc -p tsconfig.bench.json`, then
 * `node dist-bench/bench/experiments/seal-cost.js` (N=20000).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  decodeRecord,
  encodeRecord,
  openConversation,
  sealConversation,
  type ConversationRecord,
} from '../../src/radius/index.js';
import { aes256GcmAead } from '../../src/node/runtime/aead.js';
import { nodeCrypto } from '../../src/node/runtime/index.js';

const n = Number(process.env['N'] ?? 20_000);
const key = randomBytes(32);
const aead = aes256GcmAead(key);
const state = randomBytes(22);
const version = { round: 3, awaitedIdentifier: 7 };

function cpuMicros(run: () => void): number {
  for (let i = 0; i < 500; i++) run(); // warm up
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

const answered = {
  responseDigest: new Uint8Array(32).fill(1),
  eapIdentifier: 7,
  eapRequest: new Uint8Array(60).fill(2),
};
const cases: [string, ConversationRecord][] = [
  [
    'MSCHAPv2 round (bucket 256)',
    {
      client: 'lab',
      address: '127.0.0.1',
      identity: new TextEncoder().encode('bob'),
      authenticator: new Uint8Array(120),
      answered,
      basedOn: 12,
    },
  ],
  [
    'long identity (bucket 512)',
    {
      client: 'lab',
      address: '127.0.0.1',
      identity: new Uint8Array(200),
      authenticator: new Uint8Array(120),
      answered,
      basedOn: 12,
    },
  ],
  [
    'TLS Start snapshot (bucket 1024)',
    {
      client: 'lab',
      address: '127.0.0.1',
      identity: new Uint8Array(20),
      authenticator: new Uint8Array(700),
      answered,
      basedOn: 12,
    },
  ],
  [
    'large snapshot (2048)',
    {
      client: 'lab',
      address: '127.0.0.1',
      identity: new Uint8Array(20),
      authenticator: new Uint8Array(1500),
      answered,
      basedOn: 12,
    },
  ],
  [
    'finished Accept, MPPE keys (256)',
    {
      client: 'lab',
      address: '127.0.0.1',
      identity: new TextEncoder().encode('bob'),
      authenticator: new Uint8Array(0),
      answered: { ...answered, eapRequest: Uint8Array.of(3, 7, 0, 4) },
      finished: {
        outcome: 'accept',
        identity: 'bob',
        attributes: [
          { type: 26, vendorId: 311, vendorType: 16, value: new Uint8Array(32) },
          { type: 26, vendorId: 311, vendorType: 17, value: new Uint8Array(32) },
        ],
      },
      basedOn: 12,
    },
  ],
];

console.log(`seal/open cost, N=${n}, loadavg ${(await import('node:os')).loadavg().join(' ')}`);
console.log(
  'record | sealed octets | seal µs | anchor seal µs | ratio | open µs | anchor open µs | ratio',
);
const heapBefore = process.memoryUsage().heapUsed;
for (const [name, record] of cases) {
  const sealed = sealConversation(aead, nodeCrypto, state, version, encodeRecord(record));
  if (
    decodeRecord(
      (openConversation([aead], state, sealed) as { plaintext: Uint8Array }).plaintext,
    ) === undefined
  ) {
    throw new Error(`${name}: did not round-trip`);
  }
  const seal = cpuMicros(() =>
    sealConversation(aead, nodeCrypto, state, version, encodeRecord(record)),
  );
  const open = cpuMicros(() => {
    const opened = openConversation([aead], state, sealed);
    if (!opened.ok || decodeRecord(opened.plaintext) === undefined) throw new Error('open failed');
  });
  const plaintext = encodeRecord(record);
  const ad = new Uint8Array(state.length + 5);
  const nonce = randomBytes(12);
  const anchorSealed = (() => {
    const c = createCipheriv('aes-256-gcm', key, nonce);
    c.setAAD(ad);
    return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
  })();
  const anchorSeal = cpuMicros(() => {
    const c = createCipheriv('aes-256-gcm', key, randomBytes(12));
    c.setAAD(ad);
    Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
  });
  const anchorOpen = cpuMicros(() => {
    const d = createDecipheriv('aes-256-gcm', key, nonce);
    d.setAAD(ad);
    d.setAuthTag(anchorSealed.subarray(anchorSealed.length - 16));
    Buffer.concat([d.update(anchorSealed.subarray(0, anchorSealed.length - 16)), d.final()]);
  });
  const f = (x: number) => x.toFixed(2);
  console.log(
    `${name} | ${sealed.length} | ${f(seal)} | ${f(anchorSeal)} | ${f(seal / anchorSeal)} | ${f(open)} | ${f(anchorOpen)} | ${f(open / anchorOpen)}`,
  );
}
const mem = process.memoryUsage();
console.log(
  `memory: rss ${(mem.rss / 1048576).toFixed(1)} MiB, heap used ${(mem.heapUsed / 1048576).toFixed(1)} MiB (start ${(heapBefore / 1048576).toFixed(1)} MiB)`,
);
