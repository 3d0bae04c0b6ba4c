/**
 * The netrx up dashboard. It asks the host what to show (./api/dashboard),
 * opens the capture session over the capture WebSocket, and redraws at most
 * a few times a second however fast events arrive.
 */
import { CaptureClient, type ConnectionState } from './capture-client.js';
import { byId, h } from './dom.js';
import { Manifest, type DashboardInfo } from './manifest.js';
import { Store, type HostSnapshot } from './store.js';
import { clock } from './views/events.js';
import { drawRates } from './views/chart.js';
import { EventList } from './views/events.js';
import {
  renderPanels,
  renderServices,
  renderTotals,
  renderWireshark,
  type Health,
} from './views/panels.js';

const REDRAW_MS = 250;
const HEALTH_MS = 5000;

const store = new Store();
let manifest = new Manifest([]);
let info: DashboardInfo | undefined;
let dirty = true;
const list = new EventList(store, () => {
  dirty = true;
});

/**
 * Once the page has lost the host it says "Disconnected" until it is live
 * again, through every reconnection attempt (a "Connecting…" in between
 * would hide that the page is missing events), in a sticky header.
 */
function showConnection(state: ConnectionState): void {
  const element = byId('connection');
  if (state.state === 'open') {
    store.downSinceMs = undefined;
    element.dataset['state'] = 'open';
    element.textContent = `Live: session ${state.session}`;
    return;
  }
  if (state.state === 'closed') {
    store.downSinceMs ??= Date.now();
    lastReason = state.reason;
    // Greyed at once, not at the next /health poll.
    if (lastHealth !== undefined) renderServices(info, lastHealth.health, lastHealth.atMs);
  }
  const down = store.downSinceMs;
  if (down === undefined) {
    element.dataset['state'] = 'connecting';
    element.textContent = `Connecting (attempt ${state.state === 'connecting' ? state.attempt : 1})…`;
    return;
  }
  element.dataset['state'] = 'closed';
  element.textContent =
    state.state === 'closed'
      ? `Disconnected since ${clock(down)}: ${state.reason}; retrying in ${Math.round(state.retryInMs / 1000)} s`
      : `Disconnected since ${clock(down)}: ${lastReason}; reconnecting (attempt ${state.attempt})…`;
}
let lastReason = '';

/** Set when the host answered 401: the page shows its login form instead. */
let unauthorised = false;
let client: CaptureClient | undefined;

async function json<T>(path: string): Promise<T | undefined> {
  try {
    const response = await fetch(path, { cache: 'no-store', credentials: 'same-origin' });
    if (response.status === 401) showLogin();
    return response.ok ? ((await response.json()) as T) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The host wants a login (`http.token`): the page is replaced by the login
 * form (a plain form POST to ./login, which sets the session cookie and
 * comes back here). Also when a session expires while the page is open.
 */
function showLogin(): void {
  if (unauthorised) return;
  unauthorised = true;
  client?.stop();
  byId('dashboard').hidden = true;
  byId('logout').hidden = true;
  byId('login').hidden = false;
  byId('connection').textContent = 'Not logged in';
  byId('connection').dataset['state'] = 'closed';
  byId('login-failed').hidden = new URLSearchParams(location.search).get('login') !== 'failed';
  byId<HTMLInputElement>('login-token').focus();
}

/** What /health last answered, and when: shown greyed while the host is away. */
let lastHealth: { readonly health: Health; readonly atMs: number } | undefined;

async function refreshHealth(): Promise<void> {
  const health = await json<Health>('./health');
  if (unauthorised) return;
  if (health !== undefined) lastHealth = { health, atMs: Date.now() };
  if (health === undefined && lastHealth !== undefined)
    renderServices(info, lastHealth.health, lastHealth.atMs);
  else renderServices(info, health);
}

/** The host's counters since its start (review D8): on every connection and with /health. */
async function refreshSnapshot(): Promise<void> {
  // A snapshot asked for before a reconnection must not settle its gap (gap-loss.ts).
  const askedUnder = store.gapLoss.connection;
  const snapshot = await json<HostSnapshot>(info?.snapshot ?? './api/dashboard/snapshot');
  if (snapshot === undefined || unauthorised) return;
  store.applySnapshot(snapshot, askedUnder);
  dirty = true;
}

let session = 'default';

/** Opens `name` (a fresh page's worth of state: the list, charts and panels start again). */
function watch(name: string): void {
  if (info === undefined) return;
  client?.stop();
  session = name;
  store.reset(name);
  dirty = true;
  byId('session-name').textContent = name;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  // Each page reads its own copy of the session (the host's viewer path), so tabs do not compete.
  client = new CaptureClient(
    `${scheme}//${location.host}${info.viewerWebSocket ?? info.captureWebSocket}`,
    name,
    {
      onItems(items) {
        for (const item of items) {
          if (item.kind === 'event') store.add(manifest.decode(item));
          else if (item.kind === 'lost') store.addLost(item.lostEventCount);
        }
        dirty = true;
      },
      onState(state) {
        showConnection(state);
        // A restarted host may run other services: ask again.
        if (state.state === 'open') {
          void refreshHealth();
          void refreshSnapshot();
        }
      },
      onGap(ms) {
        store.addGap(ms);
        dirty = true;
      },
    },
  );
  client.start();
}

async function boot(): Promise<void> {
  info = await json<DashboardInfo>('./api/dashboard');
  if (unauthorised) return;
  if (info === undefined) {
    byId('connection').textContent = 'The host did not answer ./api/dashboard; retrying…';
    setTimeout(() => void boot(), 2000);
    return;
  }
  // A login that worked leaves ?login=… behind: tidy the address bar.
  if (location.search !== '') history.replaceState(null, '', location.pathname);
  byId('logout').hidden = info.login !== true;
  manifest = new Manifest(info.providers);
  list.setProviders(manifest.providerNames());
  renderWireshark(info);
  const sessions = info.sessions ?? [info.session];
  const select = byId<HTMLSelectElement>('session-select');
  select.replaceChildren(...sessions.map((name) => h('option', { value: name }, name)));
  select.value = info.session;
  // A selector only when there is a choice (review D10).
  byId('session-picker').hidden = sessions.length < 2;
  select.addEventListener('change', () => watch(select.value));
  watch(info.session);
  setInterval(() => {
    void refreshHealth();
    void refreshSnapshot();
  }, HEALTH_MS);
}

setInterval(() => {
  if (unauthorised) return;
  const chart = document.getElementById('rate-chart');
  if (chart instanceof SVGSVGElement) drawRates(chart, store);
  if (!dirty) return;
  dirty = false;
  renderTotals(store, session);
  renderPanels(store);
  list.render();
}, REDRAW_MS);

void boot();
