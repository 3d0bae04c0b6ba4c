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

async function json<T>(path: string): Promise<T | undefined> {
  try {
    const response = await fetch(path, { cache: 'no-store' });
    return response.ok ? ((await response.json()) as T) : undefined;
  } catch {
    return undefined;
  }
}

async function refreshHealth(): Promise<void> {
  renderServices(info, await json<Health>('./health'));
}

async function boot(): Promise<void> {
  info = await json<DashboardInfo>('./api/dashboard');
  if (info === undefined) {
    byId('connection').textContent = 'The host did not answer ./api/dashboard; retrying…';
    setTimeout(() => void boot(), 2000);
    return;
  }
  manifest = new Manifest(info.providers);
  list.setProviders(manifest.providerNames());
  byId('session-name').textContent = info.session;
  renderWireshark(info);
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const client = new CaptureClient(
    `${scheme}//${location.host}${info.captureWebSocket}`,
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
  drawRates(byId<HTMLCanvasElement>('rate-chart'), store);
  if (!dirty) return;
  dirty = false;
  renderTotals(store);
  renderPanels(store);
  list.render();
}, REDRAW_MS);

void boot();
