/**
 * The embedded default configuration as a commented YAML file: what `netrx up
 * --print-config` prints as a starting point, and the example in
 * docs/host.md. test/cli/host-docs.test.ts checks that it parses to exactly
 * `defaultHostConfig()` and that the docs show it unchanged.
 */
export const DEFAULT_CONFIG_YAML = `http:
  host: 127.0.0.1   # an IPv4 or IPv6 address, or localhost (never looked up in DNS otherwise)
  port: 7340        # 0 picks a free port
link:
  vxlan: []         # hosts on VXLAN segments, as \`netrx link vxlan\` runs them (docs/link.md)
websocket:
  echo:             # the WebSocket echo endpoint on the HTTP port
    enabled: true
    path: /ws/echo
    deflate: true           # offer permessage-deflate
    maxMessage: 16777216    # bytes; larger messages close with 1009
    keepAliveMs: 30000      # ping idle connections, drop them after twice this (0: off)
    allowedOrigins: []      # other sites' Origins a browser may connect from
ports: []          # login scripts to run on lines at start (docs/host.md)
trace:
  console: false    # print every trace event to stderr
  level: 4          # … up to this level (0 = all, 1 critical … 5 verbose)
`;
