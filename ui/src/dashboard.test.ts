/**
 * The dashboard's logic without a browser: decoding events through the
 * manifest (netrx's own EVENT_BUFFER and payload encoders on the other side),
 * the store's bounds and folds, and the filters. The page itself is tested in
 * headless Chromium by test/interop/dashboard.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodePayload } from '../../src/trace/payload.js';
import {
  encodeEventBuffer,
  filetimeFromUnixMs,
  parseEventBuffer,
} from '../../src/wire/lrec/index.js';
import { Manifest, type ManifestProvider, type UiEvent } from './manifest.js';
import { MAX_EVENTS, RATE_WINDOW_SECONDS, Store } from './store.js';
import { matches, parseKeywordMask } from './views/events.js';

const RADIUS = '5e7a0c1d-8b2f-4c3e-9d10-6f4b2a1c1001';
const sessionEnded = {
  id: 3,
  name: 'RadiusSessionEnded',
  level: 4,
  keywords: '4',
  fields: [
    { name: 'outcome', type: 'string' },
    { name: 'identity', type: 'string' },
    { name: 'method', type: 'string' },
  ],
} as const;
const providers: ManifestProvider[] = [
  { guid: RADIUS.toUpperCase(), name: 'netrx-radius', events: [sessionEnded] },
];

function buffer(userData: Uint8Array, id = 3, providerId = RADIUS) {
  const bytes = encodeEventBuffer([
    {
      kind: 'event',
      record: {
        providerId,
        id,
        level: 4,
        keyword: 4n,
        timeStamp: filetimeFromUnixMs(1_700_000_000_000),
      },
      userData,
    },
    { kind: 'lost', lostEventCount: 7 },
  ]);
  const parsed = parseEventBuffer(bytes);
  if (!parsed.ok) throw new Error(parsed.failure.message);
  return parsed.value;
}

function uiEvent(overrides: Partial<UiEvent> = {}): UiEvent {
  return {
    seq: 0,
    timeMs: 0,
    provider: 'netrx-radius',
    providerGuid: RADIUS,
    name: 'RadiusSessionEnded',
    id: 3,
    level: 4,
    keywords: 4n,
    fields: {},
    haystack: 'netrx-radius radiussessionended',
    ...overrides,
  };
}

describe('Manifest', () => {
  it('names and decodes an event by provider GUID (any case) and id', () => {
    const payload = encodePayload(sessionEnded.fields, {
      outcome: 'success',
      identity: 'demo',
      method: 'MSCHAPv2',
    });
    const [item, lost] = buffer(payload);
    expect(lost).toMatchObject({ kind: 'lost', lostEventCount: 7 });
    if (item?.kind !== 'event') throw new Error('expected an event item');
    const event = new Manifest(providers).decode(item);
    expect(event).toMatchObject({
      provider: 'netrx-radius',
      name: 'RadiusSessionEnded',
      timeMs: 1_700_000_000_000,
      fields: { outcome: 'success', identity: 'demo', method: 'MSCHAPv2' },
    });
    expect(event.haystack).toContain('mschapv2');
  });

  it('shows unknown providers and events by GUID and id, with the raw payload', () => {
    const [item] = buffer(Uint8Array.of(1, 2, 3), 99, '11111111-2222-3333-4444-555555555555');
    if (item?.kind !== 'event') throw new Error('expected an event item');
    const event = new Manifest(providers).decode(item);
    expect(event.provider).toBe('11111111-2222-3333-4444-555555555555');
    expect(event.name).toBe('event 99');
    expect(event.fields).toEqual({ payload: '010203' });
  });

  it('never throws on any payload, and says when one does not decode', () => {
    const manifest = new Manifest(providers);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (userData) => {
        const [item] = buffer(userData);
        if (item?.kind !== 'event') return false;
        const event = manifest.decode(item);
        return event.name === 'RadiusSessionEnded' && typeof event.fields === 'object';
      }),
    );
    const [item] = buffer(Uint8Array.of(0xff));
    if (item?.kind !== 'event') throw new Error('expected an event item');
    expect(manifest.decode(item).fields['payload']).toMatch(/^undecodable/);
  });
});

describe('Store', () => {
  it('keeps at most MAX_EVENTS events, the newest, in arrival order', () => {
    const store = new Store();
    for (let seq = 0; seq < MAX_EVENTS + 250; seq++) store.add(uiEvent({ seq }));
    const events = store.ordered();
    expect(events).toHaveLength(MAX_EVENTS);
    expect(events[0]?.seq).toBe(250);
    expect(events[events.length - 1]?.seq).toBe(MAX_EVENTS + 249);
    expect(store.received).toBe(MAX_EVENTS + 250);
  });

  it('bounds every table whatever the events say', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            name: fc.constantFrom(
              'ConnectionOpened',
              'ConnectionClosed',
              'NeighborStateChanged',
              'FrameAccepted',
              'ScriptFinished',
              'EapStateChanged',
              'EapSessionEnded',
            ),
            key: fc.string({ maxLength: 6 }),
          }),
          { maxLength: 800 },
        ),
        (events) => {
          const store = new Store();
          for (const e of events) {
            store.add(
              uiEvent({
                name: e.name,
                fields: {
                  connection: e.key,
                  address: e.key,
                  adapter: e.key,
                  port: e.key,
                  session: e.key,
                  code: e.key,
                },
              }),
            );
          }
          return (
            store.openConnections.size <= 200 &&
            store.neighbours.size <= 200 &&
            store.adapters.size <= 200 &&
            store.scripts.size <= 200 &&
            store.closeCodes.size <= 64 &&
            store.authentications.length <= 20 &&
            store.rates.length <= RATE_WINDOW_SECONDS
          );
        },
      ),
    );
  });

  it('folds authentications with their duration, connections and close codes', () => {
    const store = new Store();
    store.add(
      uiEvent({
        name: 'EapStateChanged',
        timeMs: 1000,
        fields: { session: '7', role: 'authenticator' },
      }),
    );
    store.add(
      uiEvent({
        name: 'EapStateChanged',
        timeMs: 1010,
        fields: { session: '7', role: 'authenticator' },
      }),
    );
    store.add(
      uiEvent({
        name: 'EapSessionEnded',
        timeMs: 1042,
        fields: {
          session: '7',
          role: 'authenticator',
          outcome: 'success',
          method: 'MD5-Challenge',
        },
      }),
    );
    store.add(
      uiEvent({
        name: 'RadiusSessionEnded',
        timeMs: 1043,
        fields: { outcome: 'success', identity: 'demo', method: 'MD5-Challenge' },
      }),
    );
    store.add(uiEvent({ name: 'ConnectionOpened', fields: { connection: 'c1', role: 'server' } }));
    store.add(uiEvent({ name: 'ConnectionOpened', fields: { connection: 'c2', role: 'server' } }));
    store.add(uiEvent({ name: 'ConnectionClosed', fields: { connection: 'c1', code: '1000' } }));
    store.addLost(5);
    expect(store.authentications).toHaveLength(1);
    expect(store.authentications[0]).toMatchObject({
      identity: 'demo',
      outcome: 'success',
      durationMs: 42,
    });
    expect([...store.openConnections.keys()]).toEqual(['c2']);
    expect(store.closeCodes.get('1000')).toBe(1);
    expect(store.lost).toBe(5);
  });

  it("takes RadiusSessionEnded's own durationMs over the EAP events' pairing, and -1 as not known (review L4)", () => {
    const store = new Store();
    const ended = (durationMs: string) =>
      uiEvent({
        name: 'RadiusSessionEnded',
        timeMs: 2000,
        fields: { outcome: 'success', identity: 'demo', method: 'MD5-Challenge', durationMs },
      });
    store.add(uiEvent({ name: 'EapStateChanged', timeMs: 1990, fields: { session: '8' } }));
    store.add(uiEvent({ name: 'EapSessionEnded', timeMs: 1999, fields: { session: '8' } }));
    store.add(ended('250'));
    store.add(uiEvent({ name: 'EapStateChanged', timeMs: 1990, fields: { session: '9' } }));
    store.add(uiEvent({ name: 'EapSessionEnded', timeMs: 1995, fields: { session: '9' } }));
    store.add(ended('-1'));
    store.add(ended('-1'));
    expect(store.authentications.map((a) => a.durationMs)).toEqual([undefined, 5, 250]);
  });
});

describe('filters', () => {
  const filter = { provider: '', maxLevel: 5, keywordMask: 0n, search: '', polling: false };
  it('match by provider, level, keyword bits and text', () => {
    const event = uiEvent({ level: 3, keywords: 0x4n, haystack: 'netrx-radius reject demo' });
    expect(matches(event, filter)).toBe(true);
    expect(matches(event, { ...filter, provider: 'netrx-link' })).toBe(false);
    expect(matches(event, { ...filter, maxLevel: 2 })).toBe(false);
    expect(matches(event, { ...filter, keywordMask: 0x3n })).toBe(false);
    expect(matches(event, { ...filter, keywordMask: 0x6n })).toBe(true);
    expect(matches(event, { ...filter, search: 'demo' })).toBe(true);
    expect(matches(event, { ...filter, search: 'alice' })).toBe(false);
  });

  it("leave the dashboard's own polling out unless asked for (review L4)", () => {
    const request = (path: string) =>
      uiEvent({
        provider: 'netrx-host',
        name: 'HttpRequest',
        level: 5,
        fields: { method: 'GET', path, status: '200' },
      });
    for (const path of ['/health', '/api/dashboard/snapshot', '/api/dashboard/snapshot?x=1']) {
      expect(matches(request(path), filter)).toBe(false);
      expect(matches(request(path), { ...filter, polling: true })).toBe(true);
    }
    // Other requests, and other providers' events with such a path, stay.
    expect(matches(request('/metrics'), filter)).toBe(true);
    expect(matches(request('/api/capture.pcapng'), filter)).toBe(true);
    expect(matches(uiEvent({ fields: { path: '/health' } }), filter)).toBe(true);
  });

  it('read the keyword box as hex, refusing anything else', () => {
    expect(parseKeywordMask('')).toBe(0n);
    expect(parseKeywordMask('0x10')).toBe(16n);
    expect(parseKeywordMask('ff')).toBe(255n);
    expect(parseKeywordMask('xyz')).toBeUndefined();
    expect(parseKeywordMask('1'.repeat(17))).toBeUndefined();
    fc.assert(fc.property(fc.string(), (text) => parseKeywordMask(text) !== null));
  });
});
