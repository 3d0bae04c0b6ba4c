/**
 * The few Bun APIs the adapter uses (Bun 1.x), declared by hand so the
 * project's tsc and eslint check runtimes/bun without bun-types.
 */
declare namespace Bun {
  interface Socket<Data> {
    data: Data;
    /** Bytes the kernel took now; the rest waits for the `drain` handler. */
    write(bytes: Uint8Array): number;
    end(): void;
    setNoDelay?(noDelay?: boolean): boolean;
    pause?(): void;
    resume?(): void;
  }
  interface SocketHandler<Data> {
    open?(socket: Socket<Data>): void;
    data?(socket: Socket<Data>, bytes: Uint8Array): void;
    drain?(socket: Socket<Data>): void;
    close?(socket: Socket<Data>): void;
    error?(socket: Socket<Data>, error: Error): void;
  }
  interface TcpListener {
    readonly port: number;
    stop(): void;
  }
  interface ServerWebSocket {
    send(data: string | Uint8Array): number;
  }
  interface Server {
    readonly port: number;
    upgrade(request: Request): boolean;
  }
  const version: string;
  const argv: readonly string[];
  function listen<Data>(options: {
    hostname: string;
    port: number;
    socket: SocketHandler<Data>;
  }): TcpListener;
  function connect<Data>(options: {
    hostname: string;
    port: number;
    socket: SocketHandler<Data>;
  }): Promise<Socket<Data>>;
  function serve(options: {
    hostname: string;
    port: number;
    fetch(request: Request, server: Server): Response | undefined;
    websocket: { message(ws: ServerWebSocket, message: string | Uint8Array): void };
  }): Server;
}
declare const process: { exit(code?: number): never };
