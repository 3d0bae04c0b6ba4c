/**
 * The standard RADIUS worker setup (see RadiusWorkerSetup): EAP methods by
 * name and the users as a list or a FreeRADIUS users file's text, built in
 * each worker. `netrx radius serve --workers` and `netrx up`'s radius
 * service use it.
 */
import {
  StaticUserStore,
  usersFileStore,
  type StaticUser,
  type UserStore,
} from '../../eap/index.js';
import {
  createServerMethod,
  type ServerMethodOptions,
  type ServerTlsPem,
  type StandardMethodName,
} from './server-methods.js';
import type { RadiusWorkerBuilt, RadiusWorkerSetup } from './worker-protocol.js';

export type { StandardMethodName };

export interface StandardWorkerSetupData {
  readonly methods: readonly StandardMethodName[];
  /** Users as a list, or `usersFile`: the text of a FreeRADIUS users file. */
  readonly users?: readonly StaticUser[];
  readonly usersFile?: string;
  /** PEM text, for the TLS-based methods. */
  readonly tls?: ServerTlsPem;
  /** TLS versions (resumption stays per process: not in workers). */
  readonly tlsOptions?: Pick<ServerMethodOptions, 'minVersion' | 'maxVersion'>;
}

/** The users of a `RadiusWorkerPool.updateUsers` with the standard setup: a list or a users file's text. */
export type StandardWorkerUsers = Pick<StandardWorkerSetupData, 'users' | 'usersFile'>;

/** Runs in each worker. */
export function createRadiusWorkerOptions(data: StandardWorkerSetupData): RadiusWorkerBuilt {
  return {
    methods: data.methods.map((name) => createServerMethod(name, data.tls, data.tlsOptions)),
    users: createRadiusWorkerUsers(data),
  };
}

/** Runs in each worker, at the start and for every users update in place. */
export function createRadiusWorkerUsers(data: StandardWorkerUsers): UserStore {
  return data.usersFile === undefined
    ? new StaticUserStore(data.users ?? [])
    : usersFileStore(data.usersFile);
}

/** The setup to give `startRadiusServer({ workers, workerSetup })`. */
export function standardWorkerSetup(data: StandardWorkerSetupData): RadiusWorkerSetup {
  return { module: new URL('./worker-setup.js', import.meta.url).href, data };
}
