// GET /metrics is Prometheus text exposition (0.0.4), checked here by a
// parser that follows the format's rules rather than by string matching:
// each family has one HELP and one TYPE line before its samples, names and
// label names use the allowed characters, label values unescape, counters
// end in _total; and the values move after traffic.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createMd5Method } from '../../eap/index.js';
import { runRadiusEapTest } from '../radius/index.js';
import { nodeCrypto } from '../runtime/index.js';
import { validateHostConfig } from './config.js';
import { startHost, type RunningHost } from './host.js';
import { formatMetrics } from './metrics.js';
import { servicesFromConfig } from './services.js';

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Parses exposition text; throws on anything the format does not allow. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  expect(text.endsWith('\n')).toBe(true);
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const name = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const labelName = '[a-zA-Z_][a-zA-Z0-9_]*';
  const labelValue = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
  const sampleLine = new RegExp(
    `^(${name})(?:\\{((?:${labelName}=${labelValue})(?:,${labelName}=${labelValue})*)?\\})? (\\S+)$`,
  );
  let current: string | undefined;
  for (const line of text.slice(0, -1).split('\n')) {
    const help = new RegExp(`^# HELP (${name}) (.*)$`).exec(line);
    const type = new RegExp(`^# TYPE (${name}) (counter|gauge|histogram|summary|untyped)$`).exec(
      line,
    );
    if (help !== null) {
      const family = help[1] as string;
      if (helps.has(family)) throw new Error(`second HELP for ${family}`);
      // A HELP text escapes only backslash and newline.
      if (/\\[^\\n]/.test((help[2] as string).replace(/\\\\/g, '')))
        throw new Error(`bad escape in HELP: ${line}`);
      helps.add(family);
      current = family;
      continue;
    }
    if (type !== null) {
      const family = type[1] as string;
      if (types.has(family)) throw new Error(`second TYPE for ${family}`);
      if (family !== current) throw new Error(`TYPE ${family} without its HELP first`);
      types.set(family, type[2] as string);
      continue;
    }
    if (line.startsWith('#')) throw new Error(`unexpected comment: ${line}`);
    const match = sampleLine.exec(line);
    if (match === null) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const sampleName = match[1] as string;
    if (sampleName !== current || !types.has(sampleName))
      throw new Error(`sample ${sampleName} outside its family (after ${current})`);
    if (types.get(sampleName) === 'counter' && !sampleName.endsWith('_total'))
      throw new Error(`counter ${sampleName} does not end in _total`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(
      new RegExp(`(${labelName})=(${labelValue})`, 'g'),
    )) {
      labels[key as string] = (raw as string)
        .slice(1, -1)
        .replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
    }
    const value = Number(match[3]);
    if (Number.isNaN(value) && match[3] !== 'NaN') throw new Error(`bad value: ${line}`);
    samples.push({ name: sampleName, labels, value });
  }
  return { samples, types };
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

const hosts: RunningHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

describe('GET /metrics', () => {
  it('escapes label values and HELP text as the format says, and refuses bad names', () => {
    const text = formatMetrics([
      {
        name: 'netrx_test_total',
        help: 'a \\ backslash\nand a newline',
        type: 'counter',
        samples: [{ labels: { reason: 'quote " backslash \\ newline \n end' }, value: 3 }],
      },
      { name: 'netrx_empty', help: 'no samples: left out', type: 'gauge', samples: [] },
    ]);
    expect(text).toBe(
      '# HELP netrx_test_total a \\\\ backslash\\nand a newline\n' +
        '# TYPE netrx_test_total counter\n' +
        'netrx_test_total{reason="quote \\" backslash \\\\ newline \\n end"} 3\n',
    );
    const { samples } = parseExposition(text);
    // The parser itself refuses what the format does not allow.
    expect(() => parseExposition('netrx_x 1\n')).toThrow(/outside its family/);
    expect(() => parseExposition('# HELP a x\n# TYPE a gauge\na{l="un"escaped"} 1\n')).toThrow();
    expect(() =>
      parseExposition('# HELP a_total x\n# TYPE a_total counter\n# TYPE a_total counter\n'),
    ).toThrow(/second TYPE/);
    expect(samples[0]?.labels['reason']).toBe('quote " backslash \\ newline \n end');
    expect(() =>
      formatMetrics([{ name: 'bad-name', help: '', type: 'gauge', samples: [{ value: 1 }] }]),
    ).toThrow(TypeError);
    expect(() =>
      formatMetrics([{ name: 'netrx_x', help: '', type: 'counter', samples: [{ value: 1 }] }]),
    ).toThrow(/_total/);
    expect(() =>
      formatMetrics([
        {
          name: 'netrx_x',
          help: '',
          type: 'gauge',
          samples: [{ labels: { 'a-b': '' }, value: 1 }],
        },
      ]),
    ).toThrow(TypeError);
  });

  it('serves the counters of every service, and they move after traffic', async () => {
    const config = validateHostConfig({
      http: { port: 0 },
      radius: { port: 0 },
      capture: { rpc: { port: 0 } },
      synthetic: { enabled: false },
    });
    const host = await startHost(config, { version: '0', services: servicesFromConfig(config) });
    hosts.push(host);
    const scrape = async () => {
      const response = await fetch(new URL('/metrics', host.url));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      return parseExposition(await response.text());
    };
    const before = await scrape();
    expect(before.types.get('netrx_radius_requests_received_total')).toBe('counter');
    expect(before.types.get('netrx_capture_delivered_events_total')).toBe('counter');
    expect(value(before.samples, 'netrx_capture_lost_events_total', { session: 'default' })).toBe(
      0,
    );
    expect(value(before.samples, 'netrx_websocket_connections')).toBe(0);

    // Traffic: one EAP-MD5 authentication, one WebSocket connection closed with 4001.
    const health = (await (await fetch(new URL('/health', host.url))).json()) as {
      services: { name: string; port?: number }[];
    };
    const radiusPort = health.services.find((s) => s.name === 'radius')?.port ?? 0;
    const result = await runRadiusEapTest({
      servers: [{ address: '127.0.0.1', port: radiusPort, secret: 'testing123' }],
      methods: [createMd5Method({ crypto: nodeCrypto })],
      identity: 'demo',
      password: 'demo',
    });
    expect(result.outcome).toBe('success');
    const ws = new WebSocket(new URL('/ws/echo', host.url.replace(/^http/, 'ws')));
    await new Promise((resolve) => ws.once('open', resolve));
    const during = await scrape();
    expect(value(during.samples, 'netrx_websocket_connections')).toBe(1);
    const closed = new Promise((resolve) => ws.once('close', resolve));
    ws.close(4001, 'done');
    await closed;
    // The server counts the close once its side has closed too.
    for (let i = 0; i < 50; i++) {
      const now = await scrape();
      if (value(now.samples, 'netrx_websocket_closes_total', { code: '4001' }) === 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }

    const after = await scrape();
    expect(value(after.samples, 'netrx_radius_requests_received_total')).toBeGreaterThan(
      value(before.samples, 'netrx_radius_requests_received_total'),
    );
    expect(
      value(after.samples, 'netrx_radius_eap_auths_total', {
        method: 'MD5-Challenge',
        result: 'success',
      }),
    ).toBe(1);
    expect(value(after.samples, 'netrx_radius_responses_total', { response: 'accept' })).toBe(1);
    expect(value(after.samples, 'netrx_websocket_connections_accepted_total')).toBe(1);
    expect(value(after.samples, 'netrx_websocket_closes_total', { code: '4001' })).toBe(1);
    expect(value(after.samples, 'netrx_websocket_connections')).toBe(0);
    expect(value(after.samples, 'netrx_http_requests_total')).toBeGreaterThan(
      value(before.samples, 'netrx_http_requests_total'),
    );
  });
});
