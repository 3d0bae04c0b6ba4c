/**
 * tshark capturing live through `netrx capture extcap` over wss://: the
 * server is netrx's WebSocket capture server with TLS (`netrx certs demo`
 * certificates) and a bearer token; the extcap's config arguments `ca` and
 * `servername` are set with tshark's `-o extcap.netrx.…` preferences, the
 * token through NETRX_CAPTURE_TOKEN (TShark 4.0 does not pass a password
 * preference given with -o; Wireshark's dialog does), and the capture filter
 * uses `udp dst port` (new in the subset). The frames tshark wrote must be
 * the host's UDP frames to port 9, byte for byte (first 128).
 */
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { DEMO_SERVER_NAME } from '../../src/node/certs/index.js';
import { startCaptureLab } from './support/capture-lab.js';
import {
  expected,
  EXTCAP_TEST_TIMEOUT_MS,
  extcapHome,
  extcapTiming,
  extcapPeers,
  feedUntilClosed,
  io,
  netrxCapture,
  problems,
  spawnTshark,
  tsharkFrames,
  until,
} from './support/extcap-tools.js';

const peers = extcapPeers('capture-extcap-wss.test.ts');
const TOKEN = 'a-wss-extcap-token-of-32-chars!!';

describe.skipIf(peers.skip)('capture extcap: tshark -i netrx over wss:// with a token', () => {
  it(
    'captures through TLS with the CA and server name preferences; -f "udp dst port 9" keeps the UDP frames',
    async () => {
      const home = await extcapHome();
      const { openBudget } = extcapTiming(home);
      const certs = join(home.home, 'certs');
      expect(await runCli(['certs', 'demo', '--out', certs], io().cli)).toBe(0);
      chmodSync(certs, 0o755);
      chmodSync(join(certs, 'ca.pem'), 0o644); // tshark runs the extcap as nobody when we are root
      const lab = await startCaptureLab(
        'netrx-ce-wss',
        { timerMs: 100 },
        {
          token: TOKEN,
          tls: {
            cert: new Uint8Array(readFileSync(join(certs, 'server.pem'))),
            key: new Uint8Array(readFileSync(join(certs, 'server-key.pem'))),
          },
        },
      );
      const out = join(home.home, 'wss.pcapng');
      const count = 10;
      const tshark = spawnTshark(
        home,
        netrxCapture(String(lab.wsUrl), lab.session, [
          '-o',
          `extcap.netrx.ca:${join(certs, 'ca.pem')}`,
          '-o',
          `extcap.netrx.servername:${DEMO_SERVER_NAME}`,
          '-f',
          'udp dst port 9',
          '-c',
          String(count),
          '-w',
          out,
        ]),
        { env: { ...home.env, NETRX_CAPTURE_TOKEN: TOKEN } },
      );
      try {
        await until(
          () => lab.openHandles() > 0 || tshark.finished,
          openBudget,
          `the extcap opening: ${tshark.stderr}`,
        );
        expect(tshark.finished, tshark.stderr).toBe(false);
        await feedUntilClosed(tshark, () => lab.traffic(3));
        expect(await tshark.exited, tshark.stderr).toBe(0);
      } finally {
        tshark.interrupt();
        await until(() => lab.openHandles() === 0, 10_000, 'the extcap closing its handle');
        await lab.close();
      }
      expect(lab.unauthorized()).toBe(0);
      const udp = lab.seen.filter(
        (f) =>
          f.data[12] === 0x08 &&
          f.data[13] === 0 &&
          f.data[23] === 17 &&
          f.data[36] === 0 &&
          f.data[37] === 9,
      );
      expect(udp.length).toBeLessThan(lab.seen.length);
      expect(tsharkFrames(out)).toEqual(expected(udp.slice(0, count)));
      expect(problems(out)).toEqual([]);
    },
    EXTCAP_TEST_TIMEOUT_MS,
  );
});
