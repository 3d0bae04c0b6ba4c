/**
 * The few Deno APIs the adapter uses (Deno 2.x), declared by hand so the
 * project's tsc and eslint check runtimes/deno without Deno's own types.
 */
declare namespace Deno {
  interface NetAddr {
    readonly hostname: string;
    readonly port: number;
  }
  interface Conn {
    read(buffer: Uint8Array): Promise<number | null>;
    write(bytes: Uint8Array): Promise<number>;
    close(): void;
    setNoDelay(noDelay?: boolean): void;
  }
  interface Listener extends AsyncIterable<Conn> {
    readonly addr: NetAddr;
    close(): void;
  }
  interface HttpServer {
    readonly addr: NetAddr;
    shutdown(): Promise<void>;
  }
  interface WebSocketUpgrade {
    readonly socket: WebSocket;
    readonly response: Response;
  }
  const args: readonly string[];
  const version: { readonly deno: string; readonly v8: string };
  function listen(options: { hostname: string; port: number }): Listener;
  function connect(options: { hostname: string; port: number }): Promise<Conn>;
  function serve(
    options: { hostname: string; port: number; onListen?: (addr: NetAddr) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): HttpServer;
  function upgradeWebSocket(request: Request): WebSocketUpgrade;
  function exit(code?: number): never;
}
