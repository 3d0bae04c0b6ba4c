/** One panel per module, from the store's folded state and the host's /health. */
import { byId, facts, h, table, type Column } from '../dom.js';
import type { DashboardInfo } from '../manifest.js';
import { lostFigure } from '../gap-loss.js';
import type { Store, TranscriptLine } from '../store.js';
import { clock } from './events.js';

export interface Health {
  readonly status?: string;
  readonly services?: readonly {
    readonly name: string;
    readonly status?: string;
  }[];
}

function body(id: string): HTMLElement {
  const panel = byId(id);
  const element = panel.querySelector<HTMLElement>('.body');
  if (element === null) throw new Error(`#${id} has no .body`);
  return element;
}

/**
 * The services as /health last said. `lastSeenMs` set: the host does not
 * answer now, and these are what it ran then, greyed (review M3: "No
 * services yet" was false, the page knew them a second ago).
 */
export function renderServices(
  info: DashboardInfo | undefined,
  health: Health | undefined,
  lastSeenMs?: number,
): void {
  const services = health?.services ?? [];
  const stale = lastSeenMs !== undefined;
  const panel = body('panel-services');
  panel.classList.toggle('stale', stale);
  panel.replaceChildren(
    facts([
      [
        'Host',
        stale
          ? `connection lost (host stopped?); last seen ${clock(lastSeenMs)}`
          : (health?.status ?? 'unknown'),
      ],
    ]),
    table(
      'Services',
      ['Service', 'Status', 'Where'],
      services.map((s) => [
        s.name,
        s.status ?? '',
        info?.services.find((i) => i.name === s.name)?.address ?? '',
      ]),
    ),
  );
}

/** A column that never wraps (a time, a duration), and one that may break anywhere (dom.ts). */
const KEPT = (heading: string): Column => ({ heading, class: 'kept' });
const FREE = (heading: string): Column => ({ heading, class: 'free' });

/** An authentication's duration as the server timed it, or a dash said in words. */
function duration(ms: number | undefined): HTMLElement | string {
  if (ms === undefined)
    return h(
      'span',
      { class: 'muted', title: 'not known: begun on another server of a cluster' },
      '–',
    );
  return `${ms < 1 ? '< 1' : Math.round(ms)} ms`;
}

export function renderPanels(store: Store): void {
  body('panel-eap').replaceChildren(
    table(
      'Authentications',
      [KEPT('Time'), FREE('Identity'), 'Method', 'Result', KEPT('Duration')],
      store.authentications.map((a) => [
        clock(a.timeMs),
        a.identity,
        a.method,
        h('span', { class: a.outcome.startsWith('success') ? 'ok' : 'bad' }, a.outcome),
        duration(a.durationMs),
      ]),
    ),
  );
  body('panel-link').replaceChildren(
    table(
      'Adapters',
      [FREE('Adapter or binding'), 'Frames accepted', 'Dropped'],
      [...store.adapters].map(([name, c]) => [name, c.accepted, c.dropped]),
    ),
    table(
      'Neighbours (ARP and ND)',
      [FREE('Address'), 'Protocol', FREE('MAC'), 'State'],
      [...store.neighbours].map(([address, n]) => [address, n.protocol, n.mac, n.state]),
    ),
  );
  body('panel-websocket').replaceChildren(
    facts([
      ['Open connections', store.openConnections.size],
      ...(store.host === undefined
        ? []
        : ([
            ['Echo endpoint: open (host)', store.host.websocket.open],
            ['Echo endpoint: accepted since start', store.host.websocket.accepted],
          ] as const)),
    ]),
    table(
      'Close codes',
      ['Code', 'Connections closed'],
      [...store.closeCodes].map(([code, n]) => [code, n]),
    ),
  );
  body('panel-port').replaceChildren(
    table(
      'Scripts',
      [FREE('Port'), KEPT('Finished'), 'Result'],
      [...store.scripts].map(([port, s]) => [port, clock(s.timeMs), s.result]),
    ),
    ...[...store.transcripts].map(([port, lines]) => transcript(port, lines)),
  );
}

export function renderTotals(store: Store, session: string): void {
  const gaps = store.gaps.length;
  const pairs = (rows: readonly (readonly [string, number | string])[]) =>
    rows.flatMap(([label, value]) => [h('dt', {}, label), h('dd', {}, String(value))]);
  byId('totals').replaceChildren(
    ...pairs([
      ['Received by this page', store.received],
      ['Lost by this page', lostFigure(store.lost, store.gapLoss)],
      ['Host restarts seen', gaps],
    ]),
  );
  // What the host counted since it started (review D8), so a page opened
  // late does not show only what it saw itself.
  const host = store.host;
  const shared = host?.sessions.find((s) => s.name === session);
  byId('host-totals').replaceChildren(
    ...(host === undefined
      ? []
      : pairs([
          ['Events written by the host', host.eventsWritten],
          ['Authentications since the host started', host.authentications.total],
          ...(shared === undefined
            ? []
            : ([
                [
                  `Shared session ${session}: delivered / lost`,
                  `${shared.delivered} / ${shared.lost}`,
                ],
              ] as const)),
          ['Host up since', clock(host.startedAtMs)],
        ])),
  );
}

export function renderWireshark(info: DashboardInfo): void {
  // `netrx` is on PATH only after npm link or an install; the host says what works (review L4).
  const cli = info.extcap.command ?? 'netrx';
  const command = `tshark -i netrx -o extcap.netrx.server:${info.extcap.server} -o extcap.netrx.session:${info.extcap.session}`;
  byId('wireshark')
    .querySelector('.body')
    ?.replaceChildren(
      h(
        'p',
        {},
        'Wireshark and tshark capture live from this host through the netrx extcap interface. Link ',
        h('code', {}, 'netrx capture extcap'),
        "'s launcher into Wireshark's personal extcap folder (from where the host runs: ",
        h('code', {}, `${cli} capture extcap --install ~/.local/lib/wireshark/extcap`),
        '), restart Wireshark and pick the "netrx remote capture" interface, or run:',
      ),
      h('pre', {}, h('code', {}, command)),
    );
}

/** What each transcript step looks like: who speaks, in words a person reads. */
const STEP_LABEL: Readonly<Record<string, string>> = {
  send: 'sent',
  expect: 'waiting for',
  received: 'received',
  matched: 'got',
  timeout: 'timed out waiting for',
  failed: 'aborted on',
};

/** One port's live transcript: a log region, newest last, that assistive tech does not read out on every line. */
function transcript(port: string, lines: readonly TranscriptLine[]): HTMLElement {
  return h(
    'figure',
    { class: 'transcript' },
    h('figcaption', {}, `Transcript of ${port}`),
    // A log region, scrollable and so focusable (keyboard scrolling); not
    // live: the panel is redrawn as a whole, which must not re-announce it.
    h(
      'div',
      {
        role: 'log',
        'aria-live': 'off',
        'aria-label': `Script transcript of ${port}`,
        tabindex: '0',
        class: 'transcript-log',
        'data-port': port,
      },
      h(
        'ol',
        {},
        ...lines.map((line) =>
          h(
            'li',
            { class: `step-${line.step}` },
            h('span', { class: 'step' }, STEP_LABEL[line.step] ?? line.step),
            ' ',
            h('code', {}, line.text === '' ? '(nothing)' : line.text),
            line.truncated ? h('span', { class: 'muted' }, ' (cut)') : null,
          ),
        ),
      ),
    ),
  );
}
