/**
 * The embedded default configuration as a commented YAML file: what `netrx up
 * --print-config` prints as a starting point, and the example in
 * docs/host.md. test/cli/host-docs.test.ts checks that it parses to exactly
 * `defaultHostConfig()` and that the docs show it unchanged.
 */
export const DEFAULT_CONFIG_YAML = `http:
  host: 127.0.0.1   # an IPv4 or IPv6 address, or localhost (never looked up in DNS otherwise)
  port: 7340        # 0 picks a free port
  tls:              # HTTPS (PEM files); required, with token, on a non-loopback host
    cert: ''
    key: ''
  token: ''         # a bearer token every request must carry, at least 16 characters ('' for none)
  sessionMinutes: 720  # with a token: how long a dashboard login lasts
  login:            # with a token: how fast a client may guess it (docs/host.md, "The dashboard login")
    attempts: 5             # wrong tokens an address may send before it must wait
    backoffSeconds: 1       # the first wait, doubled after each further wrong token
    maxBackoffSeconds: 900
    globalPerMinute: 120    # wrong tokens from all addresses together, before those that failed wait
    maxAddresses: 4096      # addresses remembered (least recently failed forgotten first)
    maxSessions: 64         # login sessions kept; when full a login ends the biggest holder's oldest
    maxSessionsPerAddress: 16   # a login from an address holding this many ends its own oldest
  limits:           # against slow or piled-up clients
    headersTimeoutMs: 5000  # a request's headers must arrive within this (slowloris)
    requestTimeoutMs: 10000
    maxConnections: 1024
    maxConnectionsPerAddress: 128   # WebSockets included; all of loopback is one address
    maxWebSockets: 256      # WebSocket connections at once (capture, viewers, echo)
link:
  vxlan: []         # hosts on VXLAN segments, as \`netrx link vxlan\` runs them (docs/link.md)
  pcapReplay: []    # capture files replayed as adapters' wires: { name, file, ipv4, speed, loops }
websocket:
  echo:             # the WebSocket echo endpoint on the HTTP port
    enabled: true
    path: /ws/echo
    deflate: true           # offer permessage-deflate
    maxMessage: 16777216    # bytes; larger messages close with 1009
    keepAliveMs: 30000      # ping idle connections, drop them after twice this (0: off)
    allowedOrigins: []      # other sites' Origins a browser may connect from
ports: []          # login scripts to run on lines at start (docs/host.md)
radius:            # the RADIUS/EAP server; the defaults are DEMO ONLY (refused off loopback)
  enabled: true
  host: 127.0.0.1
  port: 1812        # 0 picks a free port
  clients:          # NASes allowed to ask; the demo secret is refused off loopback
    - { address: 127.0.0.0/8, secret: testing123 }
    - { address: '::1', secret: testing123 }
  users:            # or usersFile (FreeRADIUS users format), not both; demo is refused off loopback
    - { name: demo, password: demo }
  usersFile: ''
  methods: [md5, mschapv2]  # EAP methods in policy order; peap, ttls, tls need tls below
  tls:              # for peap, ttls and tls (EAP-TLS): PEM files, re-read on a reload
    certificate: '' # this server's certificate chain, key, and the EAP-TLS clients' CA
    privateKey: ''
    ca: ''
    minVersion: TLSv1.2
    maxVersion: TLSv1.3
    resumeSeconds: 0   # EAP-TLS session resumption lifetime (0: off; never PEAP/TTLS)
  radsec:           # RadSec (RADIUS over TLS, RFC 6614) beside UDP: mutual TLS, secret radsec
    enabled: false
    host: 127.0.0.1
    port: 2083      # 0 picks a free port
    certificate: '' # this server's certificate chain, key, and the clients' CA (PEM files)
    privateKey: ''
    ca: ''
    clients: []     # { name, commonName, dnsName, address }: the first whose criteria all hold
    idleTimeoutMs: 120000    # close a connection its peer left silent this long
    maxConnections: 256
    maxConnectionsPerClient: 16
  workers: 1        # threads serving authentication (auto: one per core)
  cluster:          # one of a cluster of servers on the host's NATS connection (cluster.nats below)
    enabled: false
    id: netrx       # servers with the same id answer each other's conversations
    serverId: ''    # this server's id, unique in the cluster
    forwardTimeoutMs: 1000   # a forwarded round waits this long for its owner
    stateKey: ''    # 64 hex digits or a file of 32 random octets: MD5/MSCHAPv2 state sealed in KV
    previousStateKey: ''   # during a key rotation: the old key, still accepted (same forms)
    replicas: 1     # copies of that KV bucket (3 in a three-node JetStream cluster)
capture:
  rpc:              # the MS-LREC DCE/RPC transport; unauthenticated, so loopback only
    enabled: true
    host: 127.0.0.1
    port: 7341
  sessions:         # event sessions, each fed by the named providers (*: every provider)
    - { name: default, providers: ['*'], level: 5, queueEvents: 4096 }
  maxViewers: 8     # dashboard pages at once, each reading its own copy of the sessions
  ws:               # the capture WebSocket endpoints /capture and /capture/viewer
    maxConnectionsPerAddress: 16  # upgraded /capture connections per remote address (429 past it)
    keepAliveIntervalMs: 30000    # ping every connection this often (0: off)
    keepAliveTimeoutMs: 10000     # no pong this long after a ping: the peer is cut, its sessions stop
  nats:             # capture fan-in over the host's NATS connection (cluster.nats below)
    host: ''        # this host's name in subjects, events and durables ('': this machine's)
    publish: []     # sessions above whose events this host publishes
    serve: []       # sessions read from streams: { name: fleet, stream: default, hosts: 'lab-*' }
    maxBuffered: 4096   # events held while NATS is away; past it dropped and counted
    replicas: 1     # copies of the streams this host creates (3 in a three-node cluster)
    streamBytes: 0  # the streams' byte budget (0: from queueEvents, an existing stream's kept)
    streamMessages: 0  # each host and provider's message limit (0: from the budget)
    batchBytes: 8192   # a publisher batch closes before this many bytes (8192 to 65536): one stream message
    batchEvents: 64    # or at this many events (1 to 65536); docs/cluster.md "Choosing the cut"
    pullBudgetBytes: 8388608  # bytes each served entry's hosts may pull at once (at least 131072)
cluster:            # what this host shares with others (docs/cluster.md)
  nats:             # the host's one NATS connection, for radius.cluster and capture.nats
    servers: []     # nats://HOST:PORT or tls://HOST:PORT URLs, no credentials in them; none: no NATS
    name: netrx up  # the connection's name, as the server lists it
    user: ''        # credentials, at most one kind: user and password,
    password: ''
    token: ''       # or a token,
    nkeySeed: ''    # or a file holding an NKey user seed (SU...),
    credsFile: ''   # or a .creds file (user JWT and seed)
    tls:            # with tls:// URLs: PEM files
      ca: ''        # the servers' CA ('': the system's roots)
      certificate: ''   # a client certificate and key, for servers that verify clients
      privateKey: ''
      serverName: ''    # the name the servers' certificates carry ('': each URL's host)
synthetic:          # a peer authenticating against radius every intervalMs (needs radius enabled)
  enabled: true
  intervalMs: 5000
  identity: demo
  password: demo
  secret: testing123
  websocket: true   # … and opens a WebSocket to websocket.echo each round (send, echo, close 1000)
  port: true        # … and runs a chat login script on an in-memory port pair each round
log:
  level: info       # fatal, error, warn, info, debug, trace or silent
trace:
  console: false    # print every trace event to stderr
  level: 4          # … up to this level (0 = all, 1 critical … 5 verbose)
`;
