import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDemoCertificates } from '../certs/demo.js';
import { ConfigError, validateHostConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'netrx-config-checks-'));
const certs = createDemoCertificates();
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function problem(value: unknown): string {
  try {
    validateHostConfig(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

const vxlan = {
  bind: '127.0.0.1:4789',
  remote: '127.0.0.1:4790',
  vni: 42,
  mac: '02:00:00:00:00:02',
};
const publicRadius = {
  enabled: true,
  host: '192.0.2.10',
  clients: [{ address: '192.0.2.0/24', secret: 'a-real-shared-secret' }],
  users: [{ name: 'alice', password: 'pw' }],
};

describe('host configuration: checks across the service sections', () => {
  it('a port two services want names the second key and the first', () => {
    expect(problem({ radius: { enabled: true, port: 4789 }, link: { vxlan: [vxlan] } })).toBe(
      'link.vxlan[0].bind: udp port 4789 on 127.0.0.1 is already radius.port (127.0.0.1); pick another port',
    );
    expect(problem({ http: { port: 7341 }, capture: { rpc: { enabled: true } } })).toBe(
      'capture.rpc.port: tcp port 7341 on 127.0.0.1 is already http.port (127.0.0.1); pick another port',
    );
    // A wildcard covers the loopback address; localhost is 127.0.0.1.
    expect(
      problem({
        radius: { enabled: true, host: 'localhost', port: 4789 },
        link: { vxlan: [vxlan] },
      }),
    ).toMatch(/^link\.vxlan\[0\]\.bind: udp port 4789 on 127\.0\.0\.1 is already radius\.port/);
    expect(
      problem({
        link: {
          vxlan: [vxlan, { ...vxlan, vni: 43, bind: '0.0.0.0:4789', mac: '02:00:00:00:00:03' }],
        },
      }),
    ).toMatch(
      /^link\.vxlan\[1\]\.bind: udp port 4789 on 0\.0\.0\.0 is already link\.vxlan\[0\]\.bind/,
    );
  });

  it('the same port on another protocol, another address, port 0 or a disabled service is no clash', () => {
    const ok = (value: unknown) => expect(() => validateHostConfig(value)).not.toThrow();
    ok({ http: { port: 1812 }, radius: { enabled: true } }); // tcp and udp
    ok({ http: { port: 7341 }, capture: { rpc: { enabled: false } } }); // a disabled service binds nothing
    ok({ radius: { enabled: true, host: '::1', port: 4789 }, link: { vxlan: [vxlan] } });
    ok({ http: { port: 0 }, capture: { rpc: { enabled: true, port: 0 } } });
  });

  it('a file that is not there names its key', () => {
    const missing = join(dir, 'no-such.pem');
    expect(problem({ http: { tls: { cert: missing, key: file('key.pem', 'KEY') } } })).toBe(
      `http.tls.cert: no such file: ${JSON.stringify(missing)}`,
    );
    expect(problem({ http: { tls: { cert: file('cert.pem', 'CERT'), key: dir } } })).toBe(
      `http.tls.key: ${JSON.stringify(dir)} is not a file`,
    );
    expect(problem({ http: { tls: { cert: file('cert.pem', 'CERT') } } })).toBe(
      'http.tls.key: give both tls.cert and tls.key (PEM files), or neither',
    );
    expect(problem({ radius: { enabled: true, users: [], usersFile: missing } })).toBe(
      `radius.usersFile: no such file: ${JSON.stringify(missing)}`,
    );
  });

  it('D5: a PEM file that does not hold what its key says is refused naming the key and the file', () => {
    const cert = file('d5-cert.pem', certs.server.certPem);
    const key = file('d5-key.pem', certs.server.keyPem);
    const garbage = file('d5-garbage.pem', 'not a certificate at all\n');
    const broken = file(
      'd5-broken.pem',
      '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
    );
    expect(problem({ http: { tls: { cert: garbage, key } } })).toBe(
      `http.tls.cert: ${JSON.stringify(garbage)} is not a PEM certificate (no BEGIN CERTIFICATE block)`,
    );
    expect(problem({ http: { tls: { cert: broken, key } } })).toBe(
      `http.tls.cert: ${JSON.stringify(broken)} certificate 1 of 1 does not parse`,
    );
    expect(problem({ http: { tls: { cert, key: garbage } } })).toBe(
      `http.tls.key: ${JSON.stringify(garbage)} is not a PEM private key (no BEGIN … PRIVATE KEY block)`,
    );
    const other = file('d5-other-key.pem', certs.client.keyPem);
    expect(problem({ http: { tls: { cert, key: other } } })).toBe(
      `http.tls.key: ${JSON.stringify(other)} is not the private key of the certificate in http.tls.cert (${JSON.stringify(cert)})`,
    );
    const radsec = {
      enabled: true,
      certificate: cert,
      privateKey: key,
      ca: garbage,
      clients: [{ name: 'ap', commonName: 'ap' }],
    };
    expect(problem({ radius: { radsec } })).toBe(
      `radius.radsec.ca: ${JSON.stringify(garbage)} is not a PEM certificate (no BEGIN CERTIFICATE block)`,
    );
    expect(problem({ radius: { radsec: { ...radsec, ca: cert, privateKey: garbage } } })).toMatch(
      /^radius\.radsec\.privateKey: .* is not a PEM private key/,
    );
    expect(() => validateHostConfig({ http: { tls: { cert, key } } })).not.toThrow();
  });

  it('D5: a login script file that is not there names its key', () => {
    const missing = join(dir, 'no-such.scp');
    const port = { name: 'p', port: 'tcp:127.0.0.1:9' };
    expect(
      problem({
        ports: [
          { ...port, script: { scp: file('ok.scp', 'transmit "x"\n') } },
          { ...port, name: 'q', script: { scp: missing } },
        ],
      }),
    ).toBe(`ports[1].script.scp: no such file: ${JSON.stringify(missing)}`);
    expect(problem({ ports: [{ ...port, script: { chat: missing } }] })).toBe(
      `ports[0].script.chat: no such file: ${JSON.stringify(missing)}`,
    );
  });

  it('the demo secret and the demo user are refused on a non-loopback radius.host', () => {
    expect(
      problem({
        radius: { ...publicRadius, clients: [{ address: '192.0.2.0/24', secret: 'testing123' }] },
      }),
    ).toBe(
      'radius.clients[0].secret: the demo secret testing123 is refused on a non-loopback radius.host (192.0.2.10)',
    );
    expect(
      problem({ radius: { ...publicRadius, users: [{ name: 'demo', password: 'demo' }] } }),
    ).toBe(
      'radius.users[0].name: the demo user demo is refused on a non-loopback radius.host (192.0.2.10)',
    );
    expect(validateHostConfig({ radius: publicRadius }).radius.host).toBe('192.0.2.10');
    // On loopback the demo defaults are fine.
    expect(validateHostConfig({ radius: { enabled: true } }).radius.enabled).toBe(true);
  });

  it('D4: two link.vxlan entries with one adapter name (vxlanVNI or name) are refused, naming the key', () => {
    const other = { ...vxlan, bind: '127.0.0.1:4791', remote: '127.0.0.1:4792' };
    expect(problem({ link: { vxlan: [vxlan, other] } })).toBe(
      'link.vxlan[1].vni: adapter vxlan42 is already link.vxlan[0]; give this entry another vni or its own name',
    );
    expect(problem({ link: { vxlan: [vxlan, { ...other, vni: 7, name: 'vxlan42' }] } })).toBe(
      'link.vxlan[1].name: adapter vxlan42 is already link.vxlan[0]; give this entry another vni or its own name',
    );
    expect(
      validateHostConfig({ link: { vxlan: [vxlan, { ...other, name: 'b' }] } }).link.vxlan,
    ).toHaveLength(2);
    expect(
      validateHostConfig({ link: { vxlan: [vxlan, { ...other, vni: 43 }] } }).link.vxlan,
    ).toHaveLength(2);
  });

  it('S3: the demo user and secret are refused off loopback wherever they come from', () => {
    const noUsers = { ...publicRadius, users: [] };
    const demoFile = file(
      'users-demo',
      'alice Cleartext-Password := "pw"\ndemo Cleartext-Password := "demo"\n',
    );
    expect(problem({ radius: { ...noUsers, usersFile: demoFile } })).toBe(
      'radius.usersFile: the demo user demo is refused on a non-loopback radius.host (192.0.2.10)',
    );
    const cleanFile = file('users-clean', 'alice Cleartext-Password := "pw"\n');
    expect(
      validateHostConfig({ radius: { ...noUsers, usersFile: cleanFile } }).radius.usersFile,
    ).toBe(cleanFile);
    // On loopback the demo user in a file is fine.
    expect(
      validateHostConfig({ radius: { enabled: true, users: [], usersFile: demoFile } }).radius
        .enabled,
    ).toBe(true);
    expect(
      problem({
        radius: { ...publicRadius, clients: [{ address: '192.0.2.0/24', secret: 'testing123 ' }] },
      }),
    ).toBe(
      'radius.clients[0].secret: the demo secret testing123 is refused on a non-loopback radius.host (192.0.2.10)',
    );
    const authenticator = { enabled: true, users: [{ name: 'demo', password: 'demo' }] };
    expect(
      problem({
        link: {
          vxlan: [{ ...vxlan, bind: '0.0.0.0:24041', remote: '192.0.2.1:4789', authenticator }],
        },
      }),
    ).toBe(
      'link.vxlan[0].authenticator.users[0].name: the demo user demo is refused on a non-loopback bind (0.0.0.0)',
    );
    expect(
      validateHostConfig({ link: { vxlan: [{ ...vxlan, authenticator }] } }).link.vxlan,
    ).toHaveLength(1);
    const passThrough = {
      enabled: true,
      radius: { servers: [{ address: '192.0.2.5', secret: 'testing123' }] },
    };
    expect(problem({ link: { vxlan: [{ ...vxlan, authenticator: passThrough }] } })).toBe(
      'link.vxlan[0].authenticator.radius.servers[0].secret: the demo secret is refused for a non-loopback RADIUS server (192.0.2.5)',
    );
  });

  it('an enabled radius needs users and clients with good addresses; a disabled one is not checked', () => {
    expect(problem({ radius: { enabled: true, users: [] } })).toBe(
      'radius.users: an enabled RADIUS server needs users (or usersFile)',
    );
    expect(problem({ radius: { enabled: true, usersFile: file('users', 'x') } })).toBe(
      'radius.usersFile: the default users (demo) are still set: add `users: []` beside usersFile',
    );
    expect(
      problem({
        radius: {
          enabled: true,
          users: [{ name: 'a', password: 'b' }],
          usersFile: file('users', 'x'),
        },
      }),
    ).toBe('radius.usersFile: give users or usersFile, not both');
    expect(problem({ radius: { enabled: true, clients: [] } })).toBe(
      'radius.clients: an enabled RADIUS server needs at least one client',
    );
    for (const address of ['host.example', '10.0.0.0/33', '10.0.0.0/8/1', '::1/129', '10.0.0.0/x'])
      expect(problem({ radius: { enabled: true, clients: [{ address, secret: 's' }] } })).toBe(
        `radius.clients[0].address: expected an IP address or ADDRESS/NN prefix, got ${JSON.stringify(address)}`,
      );
    expect(
      problem({
        radius: {
          enabled: true,
          users: [
            { name: 'a', password: '1' },
            { name: 'a', password: '2' },
          ],
        },
      }),
    ).toBe('radius.users[1].name: "a" is listed twice');
    expect(problem({ radius: { enabled: true, methods: ['md5', 'md5'] } })).toBe(
      'radius.methods: list each method once, at least one',
    );
    expect(
      validateHostConfig({ radius: { enabled: false, users: [], clients: [] } }).radius.enabled,
    ).toBe(false);
  });

  it('capture.rpc is loopback only; sessions are unique and name a provider', () => {
    expect(problem({ capture: { rpc: { enabled: true, host: '0.0.0.0' } } })).toMatch(
      /^capture\.rpc\.host: 0\.0\.0\.0 is not loopback: the RPC transport has no authentication/,
    );
    expect(() =>
      validateHostConfig({ capture: { rpc: { enabled: false, host: '0.0.0.0' } } }),
    ).not.toThrow();
    expect(problem({ capture: { sessions: [{ name: 's' }, { name: 's' }] } })).toBe(
      'capture.sessions[1].name: "s" is listed twice',
    );
    expect(problem({ capture: { sessions: [{ name: 's', providers: [] }] } })).toBe(
      'capture.sessions[0].providers: name at least one provider (or *)',
    );
  });

  it('a session provider must be one the host has, by name (any case) or GUID (review M5)', () => {
    expect(
      problem({ capture: { sessions: [{ name: 'default', providers: ['*', 'netrx-radus'] }] } }),
    ).toMatch(
      /^capture\.sessions\[0\]\.providers\[1\]: no provider is named "netrx-radus" \(did you mean "netrx-radius"\?\)/,
    );
    expect(problem({ capture: { sessions: [{ name: 's', providers: ['wifi'] }] } })).toMatch(
      /^capture\.sessions\[0\]\.providers\[0\]: no provider is named "wifi"; the providers are: /,
    );
    expect(() =>
      validateHostConfig({
        capture: {
          sessions: [
            {
              name: 's',
              providers: [
                'NETRX-RADIUS',
                '{6e1b2a4c-0000-4000-8000-000000000001}',
                '6e1b2a4c-0000-4000-8000-000000000002',
              ],
            },
          ],
        },
      }),
    ).not.toThrow();
  });

  it('the echo endpoint may not take a path the host serves itself (review H3)', () => {
    for (const path of ['/capture', '/capture/viewer', '/health', '/metrics', '/api/x', '/trace']) {
      expect(problem({ websocket: { echo: { path } } })).toMatch(
        /^websocket\.echo\.path: .* is the host's own /,
      );
    }
    expect(() => validateHostConfig({ websocket: { echo: { path: '/captured' } } })).not.toThrow();
    expect(() =>
      validateHostConfig({ websocket: { echo: { enabled: false, path: '/capture' } } }),
    ).not.toThrow();
  });

  it('http.token with white space at either end is refused: a Bearer header cannot carry it (review L2)', () => {
    expect(problem({ http: { token: ' '.repeat(20) } })).toBe(
      'http.token: starts or ends with white space',
    );
    expect(problem({ http: { token: 'a-long-enough-token ' } })).toBe(
      'http.token: starts or ends with white space',
    );
  });

  it('synthetic traffic needs radius enabled: asked for explicitly, an error; by default, no peer', () => {
    expect(problem({ http: { port: 7341 } })).toBe(
      'capture.rpc.port: tcp port 7341 on 127.0.0.1 is already http.port (127.0.0.1); pick another port',
    );
    expect(problem({ radius: { enabled: false }, synthetic: { enabled: true } })).toBe(
      'synthetic.enabled: the synthetic traffic authenticates against radius: enable radius or set this to false',
    );
    expect(
      validateHostConfig({ synthetic: { enabled: true }, radius: { enabled: true } }).synthetic
        .enabled,
    ).toBe(true);
    // The default peer with radius turned off: valid (servicesFromConfig runs no peer).
    expect(validateHostConfig({ radius: { enabled: false } }).synthetic.enabled).toBe(true);
  });
});

describe('radius.radsec', () => {
  const pem = {
    certificate: file('radsec.pem', certs.server.certPem),
    privateKey: file('radsec-key.pem', certs.server.keyPem),
    ca: file('radsec-ca.pem', certs.ca.certPem),
  };
  const radsec = (extra: Record<string, unknown>) => ({
    radius: { radsec: { enabled: true, ...pem, ...extra } },
  });

  it('an enabled listener needs its PEM files and at least one client', () => {
    expect(problem({ radius: { radsec: { enabled: true } } })).toMatch(
      /^radius\.radsec\.certificate: an enabled RadSec listener needs it/,
    );
    expect(problem(radsec({}))).toMatch(
      /^radius\.radsec\.clients: an enabled RadSec listener needs at least one client/,
    );
    expect(problem(radsec({ clients: [{ name: 'ap', address: 'nowhere' }] }))).toMatch(
      /^radius\.radsec\.clients\[0\]\.address: expected an IP address/,
    );
  });

  it('accepts a listener with a client by CN', () => {
    const config = validateHostConfig(
      radsec({ clients: [{ name: 'ap', commonName: 'ap.example.net' }] }),
    );
    expect(config.radius.radsec.clients).toEqual([
      { name: 'ap', commonName: 'ap.example.net', dnsName: '', address: '' },
    ]);
    expect(config.radius.radsec.port).toBe(2083);
  });

  it('is accepted beside more than one RADIUS worker (RadSec goes through the pool)', () => {
    const clients = [{ name: 'ap', commonName: 'ap.example.net' }];
    const withWorkers = radsec({ clients });
    const config = validateHostConfig({ radius: { ...withWorkers.radius, workers: 2 } });
    expect(config.radius.workers).toBe(2);
    expect(config.radius.radsec.enabled).toBe(true);
  });
});

describe('radius.cluster', () => {
  const nats = { nats: { servers: ['nats://127.0.0.1:4222'] } };
  const enabled = {
    radius: { cluster: { enabled: true, serverId: 's1' } },
    cluster: nats,
  };

  it('is off by default and takes enabled, id, serverId, forwardTimeoutMs, stateKey and replicas', () => {
    expect(validateHostConfig({}).radius.cluster).toEqual({
      enabled: false,
      id: 'netrx',
      serverId: '',
      forwardTimeoutMs: 1000,
      stateKey: '',
      previousStateKey: '',
      replicas: 1,
    });
    expect(validateHostConfig(enabled).radius.cluster).toMatchObject({ serverId: 's1' });
  });

  it('takes a 64-hex-digit stateKey; refuses a wrong length or no servers, naming the key, never showing it', () => {
    const hex = 'ab'.repeat(32);
    const withKey = (stateKey: string) => ({
      radius: { cluster: { ...enabled.radius.cluster, stateKey } },
      cluster: nats,
    });
    expect(validateHostConfig(withKey(hex)).radius.cluster.stateKey).toBe(hex);
    const short = problem(withKey('ab'.repeat(16)));
    expect(short).toMatch(/^radius\.cluster\.stateKey: /);
    expect(short).not.toContain('ab'.repeat(16));
    expect(problem({ radius: { cluster: { stateKey: hex } } })).toMatch(
      /^radius\.cluster\.stateKey: shared conversation state needs radius\.cluster\.enabled/,
    );
  });

  it('takes a previousStateKey for a key rotation, beside stateKey only, checked the same way', () => {
    const hex = 'ab'.repeat(32);
    const old = 'cd'.repeat(32);
    const withKeys = (stateKey: string, previousStateKey: string) => ({
      radius: { cluster: { ...enabled.radius.cluster, stateKey, previousStateKey } },
      cluster: nats,
    });
    expect(validateHostConfig(withKeys(hex, old)).radius.cluster.previousStateKey).toBe(old);
    const short = problem(withKeys(hex, 'cd'.repeat(16)));
    expect(short).toMatch(/^radius\.cluster\.previousStateKey: /);
    expect(short).not.toContain('cd'.repeat(16));
    expect(problem(withKeys('', old))).toMatch(
      /^radius\.cluster\.previousStateKey: a previous key is only accepted beside radius\.cluster\.stateKey/,
    );
  });

  it('takes 1 to 5 bucket replicas', () => {
    const withReplicas = (replicas: number) => ({
      ...enabled,
      radius: { cluster: { ...enabled.radius.cluster, replicas } },
    });
    expect(validateHostConfig(withReplicas(3)).radius.cluster.replicas).toBe(3);
    expect(problem(withReplicas(0))).toMatch(/^radius\.cluster\.replicas: expected an integer/);
    expect(problem(withReplicas(6))).toMatch(/^radius\.cluster\.replicas: expected an integer/);
  });

  it('needs cluster.nats.servers when enabled', () => {
    expect(problem({ radius: enabled.radius })).toMatch(
      /^radius\.cluster\.enabled: needs cluster\.nats\.servers/,
    );
  });

  it('refuses servers, which moved to cluster.nats.servers', () => {
    expect(problem({ radius: { cluster: { servers: ['nats://127.0.0.1:4222'] } } })).toMatch(
      /^radius\.cluster\.servers: moved to cluster\.nats\.servers/,
    );
  });

  it('needs a server id, one worker, and ids that are subject tokens', () => {
    expect(problem({ radius: { cluster: { enabled: true } }, cluster: nats })).toMatch(
      /^radius\.cluster\.serverId: a clustered server needs its own id/,
    );
    expect(problem({ ...enabled, radius: { ...enabled.radius, workers: 2 } })).toMatch(
      /^radius\.workers: a RADIUS cluster is served with one worker only/,
    );
    expect(
      problem({ radius: { cluster: { ...enabled.radius.cluster, serverId: 'a.b' } } }),
    ).toMatch(/^radius\.cluster\.serverId/);
    expect(problem({ radius: { cluster: { ...enabled.radius.cluster, id: '' } } })).toMatch(
      /^radius\.cluster\.id/,
    );
  });
});

describe('radius.tls', () => {
  const pem = file('eap-tls.pem', '-----BEGIN CERTIFICATE-----\n');
  const tls = (methods: string[], extra: Record<string, unknown> = {}, radius = {}) => ({
    radius: { methods, tls: { certificate: pem, privateKey: pem, ca: pem, ...extra }, ...radius },
  });

  it('the TLS-based methods need the three PEM files, readable', () => {
    expect(problem({ radius: { methods: ['md5', 'peap'] } })).toBe(
      'radius.tls.certificate: methods peap need it (a PEM file; `netrx certs demo DIR` makes demo ones)',
    );
    expect(problem(tls(['tls', 'ttls'], { ca: '' }))).toMatch(
      /^radius\.tls\.ca: methods tls, ttls need it/,
    );
    expect(problem(tls(['tls'], { privateKey: join(dir, 'absent.pem') }))).toMatch(
      /^radius\.tls\.privateKey: /,
    );
    // Without a TLS method the files are not asked for.
    expect(validateHostConfig({ radius: { methods: ['mschapv2'] } }).radius.tls.certificate).toBe(
      '',
    );
    expect(validateHostConfig(tls(['peap', 'ttls', 'tls', 'md5'])).radius.methods).toEqual([
      'peap',
      'ttls',
      'tls',
      'md5',
    ]);
  });

  it('refuses versions out of order, unknown methods, and resumption with workers', () => {
    expect(problem(tls(['tls'], { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.2' }))).toBe(
      'radius.tls.minVersion: is above maxVersion',
    );
    expect(problem(tls(['tls'], { maxVersion: 'TLSv1.1' }))).toMatch(
      /^radius\.tls\.maxVersion: expected one of "TLSv1\.2", "TLSv1\.3"/,
    );
    expect(problem(tls(['ttls-pap']))).toMatch(/^radius\.methods\[0\]: expected one of/);
    expect(problem(tls(['tls'], { resumeSeconds: 3600 }, { workers: 2 }))).toMatch(
      /^radius\.tls\.resumeSeconds: with workers: the session cache is per process/,
    );
    expect(validateHostConfig(tls(['tls'], { resumeSeconds: 3600 })).radius.tls.resumeSeconds).toBe(
      3600,
    );
  });
});
