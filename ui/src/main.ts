/**
 * The netrx up dashboard. It asks the host what to show (./api/dashboard),
 * opens the capture session over the capture WebSocket, and redraws at most
 * a few times a second however fast events arrive.
 */
import { CaptureClient, type ConnectionState } from './capture-client.js';
import { byId } from './dom.js';
import { Manifest, type DashboardInfo } from './manifest.js';
import { Store } from './store.js';
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

function showConnection(state: ConnectionState): void {
  const element = byId('connection');
  element.dataset['state'] = state.state;
  element.textContent =
    state.state === 'open'
      ? `Live: session ${state.session}`
      : state.state === 'connecting'
        ? `Connecting (attempt ${state.attempt})…`
        : `Disconnected (${state.reason}); retrying in ${Math.round(state.retryInMs / 1000)} s`;
}

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

async function refreshHealth(): Promise<void> {
  const health = await json<Health>('./health');
  if (!unauthorised) renderServices(info, health);
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
  byId('session-name').textContent = info.session;
  renderWireshark(info);
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  // Each page reads its own copy of the session (the host's viewer path), so tabs do not compete.
  client = new CaptureClient(
    `${scheme}//${location.host}${info.viewerWebSocket ?? info.captureWebSocket}`,
    info.session,
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
        if (state.state === 'open') void refreshHealth();
      },
      onGap(ms) {
        store.addGap(ms);
        dirty = true;
      },
    },
  );
  client.start();
  void refreshHealth();
  setInterval(() => void refreshHealth(), HEALTH_MS);
}

setInterval(() => {
  if (unauthorised) return;
  drawRates(byId<HTMLCanvasElement>('rate-chart'), store);
  if (!dirty) return;
  dirty = false;
  renderTotals(store);
  renderPanels(store);
  list.render();
}, REDRAW_MS);

void boot();
