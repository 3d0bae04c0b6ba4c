/** The event list: filters by provider, level and keyword, a search box, newest first. */
import { byId, h } from '../dom.js';
import type { UiEvent } from '../manifest.js';
import type { Store } from '../store.js';

const SHOWN = 200;
const LEVELS = ['always', 'critical', 'error', 'warning', 'information', 'verbose'];

export interface EventFilter {
  provider: string;
  maxLevel: number;
  /** Events must share at least one bit with it; 0n = any. */
  keywordMask: bigint;
  search: string;
  /** Show the dashboard's own polling (`isPolling`); off by default. */
  polling: boolean;
}

/**
 * The requests every open dashboard page makes every few seconds: left out
 * of the list by default, or the page mostly watches itself (review L4).
 * By path, so a `curl /health` is left out with them.
 */
const POLLED_PATHS = new Set(['/health', '/api/dashboard/snapshot']);

export function isPolling(event: UiEvent): boolean {
  return (
    event.provider === 'netrx-host' &&
    event.name === 'HttpRequest' &&
    POLLED_PATHS.has((event.fields['path'] ?? '').split('?')[0] ?? '')
  );
}

export function matches(event: UiEvent, filter: EventFilter): boolean {
  if (!filter.polling && isPolling(event)) return false;
  if (filter.provider !== '' && event.provider !== filter.provider) return false;
  if (event.level > filter.maxLevel) return false;
  if (filter.keywordMask !== 0n && (event.keywords & filter.keywordMask) === 0n) return false;
  return filter.search === '' || event.haystack.includes(filter.search);
}

/** Parses the keyword box: hex with or without 0x; undefined when it is not hex. */
export function parseKeywordMask(text: string): bigint | undefined {
  const trimmed = text.trim().replace(/^0x/i, '');
  if (trimmed === '') return 0n;
  return /^[0-9a-f]{1,16}$/i.test(trimmed) ? BigInt(`0x${trimmed}`) : undefined;
}

/** What is wrong with a keyword box that `parseKeywordMask` refused, in words. */
export function keywordProblem(text: string): string {
  const digits = text.trim().replace(/^0x/i, '');
  return digits.length > 16
    ? `"${text.trim()}" has more than 16 hex digits: not filtering by keyword`
    : `"${text.trim()}" is not hex (digits 0-9, a-f, optionally 0x): not filtering by keyword`;
}

export class EventList {
  readonly filter: EventFilter = {
    provider: '',
    maxLevel: 5,
    keywordMask: 0n,
    search: '',
    polling: false,
  };
  paused = false;
  private readonly onChange: () => void;
  private readonly rows = byId<HTMLTableSectionElement>('event-rows');
  private readonly count = byId('event-count');
  /**
   * The list itself changes several times a second, too often for a screen
   * reader to follow: it is not a live region. What a filter change did is
   * announced once, politely, here.
   */
  private readonly status = byId('filter-status');
  private announce = false;
  private readonly providerSelect = byId<HTMLSelectElement>('filter-provider');
  private readonly keywordInput = byId<HTMLInputElement>('filter-keyword');

  constructor(
    private readonly store: Store,
    onChange: () => void,
  ) {
    this.onChange = () => {
      this.announce = true;
      onChange();
    };
    this.providerSelect.addEventListener('change', () => {
      this.filter.provider = this.providerSelect.value;
      this.onChange();
    });
    const level = byId<HTMLSelectElement>('filter-level');
    level.addEventListener('change', () => {
      this.filter.maxLevel = Number(level.value);
      this.onChange();
    });
    const keywordError = byId('filter-keyword-error');
    this.keywordInput.addEventListener('input', () => {
      const mask = parseKeywordMask(this.keywordInput.value);
      const problem = mask === undefined ? keywordProblem(this.keywordInput.value) : '';
      this.keywordInput.setCustomValidity(problem);
      // Said next to the field, not only as a red outline (an ignored mask looked like a filter that matched).
      this.keywordInput.setAttribute('aria-invalid', String(mask === undefined));
      keywordError.textContent = problem;
      keywordError.hidden = mask !== undefined;
      // Not hex: the list is not filtered by keyword until it is.
      this.filter.keywordMask = mask ?? 0n;
      this.onChange();
    });
    const search = byId<HTMLInputElement>('filter-search');
    search.addEventListener('input', () => {
      this.filter.search = search.value.trim().toLowerCase();
      this.onChange();
    });
    const polling = byId<HTMLInputElement>('filter-polling');
    polling.addEventListener('change', () => {
      this.filter.polling = polling.checked;
      this.onChange();
    });
    const pause = byId<HTMLButtonElement>('pause');
    pause.addEventListener('click', () => {
      this.paused = !this.paused;
      pause.setAttribute('aria-pressed', String(this.paused));
      pause.textContent = this.paused ? 'Resume' : 'Pause';
      this.onChange();
    });
    byId<HTMLFormElement>('filters').addEventListener('submit', (e) => e.preventDefault());
  }

  setProviders(names: readonly string[]): void {
    for (const name of names) {
      if ([...this.providerSelect.options].some((o) => o.value === name)) continue;
      this.providerSelect.append(h('option', { value: name }, name));
    }
  }

  render(): void {
    if (this.paused) return;
    const all = this.store.ordered();
    const shown: UiEvent[] = [];
    let matched = 0;
    for (let i = all.length - 1; i >= 0; i--) {
      const event = all[i] as UiEvent;
      if (!matches(event, this.filter)) continue;
      matched++;
      if (shown.length < SHOWN) shown.push(event);
    }
    this.count.textContent = `${matched} of the last ${all.length} events match; showing ${shown.length}.`;
    if (this.announce) {
      this.announce = false;
      this.status.textContent = `${matched} events match the filters.`;
    }
    this.rows.replaceChildren(...shown.map(row));
  }
}

/** The details cell: the host of origin first when there is one (as `capture tail` prints it), then the fields. */
export function detailsText(event: UiEvent): string {
  const fields = Object.entries(event.fields).map(([k, v]) => `${k}=${v}`);
  return (event.host === undefined ? fields : [`host=${event.host}`, ...fields]).join('  ');
}

function row(event: UiEvent): HTMLTableRowElement {
  const details = detailsText(event);
  return h(
    'tr',
    {
      'data-provider': event.provider,
      'data-event': event.name,
      ...(event.host === undefined ? {} : { 'data-host': event.host }),
      class: `level-${event.level}`,
    },
    h('td', {}, h('time', { datetime: new Date(event.timeMs).toISOString() }, clock(event.timeMs))),
    h('td', {}, event.provider),
    h('td', {}, event.name),
    h('td', {}, LEVELS[event.level] ?? String(event.level)),
    h('td', { class: 'details' }, details),
  );
}

export function clock(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
