/**
 * The members of an `AbortSignal` the cores use, declared here so the cores'
 * published declarations need no DOM or Node types: a user compiling with
 * `"lib": ["es2022"]` and `"types": []` can still import netrx/receive. Any
 * real `AbortSignal` (Node's, a browser's, `AbortSignal.timeout()`) is one.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}
