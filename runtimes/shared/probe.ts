/**
 * The client half of the runtime probe: a seeded mix of text and binary
 * messages (empty to 200 KiB, compressible and not) sent through a pump,
 * every echo compared, then a close with a drawn code whose echo is
 * checked. Runs in any runtime (no Node); the Node side of the same probe
 * is test/interop/runtimes.test.ts.
 */
import type { CloseStatus } from '../../src/websocket/index.js';
import type { HandlePump, PumpEvents } from './pump.js';

export interface ProbeVerdict {
  readonly ok: boolean;
  readonly sent: number;
  readonly echoed: number;
  readonly problems: readonly string[];
  readonly close: CloseStatus | undefined;
}

/** mulberry32: small and deterministic, so a failing seed reproduces. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function drawMessages(
  seed: number,
  count: number,
): { type: 'text' | 'binary'; data: Uint8Array }[] {
  const random = seeded(seed);
  const sizes = [0, 1, 125, 126, 65_535, 65_536, 200_000];
  return Array.from({ length: count }, () => {
    const size =
      random() < 0.3
        ? (sizes[Math.floor(random() * sizes.length)] as number)
        : Math.floor(random() * 5000);
    const text = random() < 0.5;
    const compressible = random() < 0.5;
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i++) {
      data[i] =
        text || compressible
          ? 0x61 + Math.floor(random() * (compressible ? 4 : 26))
          : Math.floor(random() * 256);
    }
    return { type: text ? 'text' : 'binary', data };
  });
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export async function runProbe(
  open: (events: PumpEvents) => Promise<HandlePump>,
  seed = 0x5eed,
  count = 60,
): Promise<ProbeVerdict> {
  const messages = drawMessages(seed, count);
  const echoes: { type: 'text' | 'binary'; data: Uint8Array }[] = [];
  let allEchoed: () => void = () => undefined;
  let closedWith: (status: CloseStatus | undefined) => void = () => undefined;
  const echoed = new Promise<void>((resolve) => (allEchoed = resolve));
  const closed = new Promise<CloseStatus | undefined>((resolve) => (closedWith = resolve));
  const pump = await open({
    message(type, data) {
      echoes.push({ type, data });
      if (echoes.length === messages.length) allEchoed();
    },
    closed: (status) => {
      allEchoed();
      closedWith(status);
    },
  });
  for (const m of messages) pump.send(m.type, m.data);
  await echoed;
  const code = 3000 + Math.floor(seeded(seed + 1)() * 1999);
  pump.close(code, 'probe done');
  const close = await closed;
  const problems: string[] = [];
  messages.forEach((m, i) => {
    const e = echoes[i];
    if (e === undefined) problems.push(`message ${i}: no echo`);
    else if (e.type !== m.type || !same(e.data, m.data))
      problems.push(`message ${i}: echo differs`);
  });
  if (close?.code !== code) problems.push(`close: sent ${code}, got ${String(close?.code)}`);
  return {
    ok: problems.length === 0,
    sent: messages.length,
    echoed: echoes.length,
    problems,
    close,
  };
}
