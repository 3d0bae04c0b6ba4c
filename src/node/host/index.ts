/**
 * netrx/node host: `netrx up`. It starts the trace bus, the HTTP status
 * endpoint (`GET /health` on 127.0.0.1:7340 by default) and the services its
 * configuration names, and stops them in reverse order. Configuration is JSON
 * or YAML, validated with errors that name the bad key; unknown keys are
 * errors.
 */
export {
  ConfigError,
  defaultHostConfig,
  hostConfigSchema,
  loadHostConfig,
  validateHostConfig,
  type HostConfig,
} from './config.js';
export { DEFAULT_CONFIG_YAML } from './config-template.js';
export { HOST_PROVIDER, HostEvent, HostKeyword } from './events.js';
export {
  startHost,
  type HostContext,
  type HostService,
  type RunningHost,
  type StartHostOptions,
} from './host.js';
export { HttpStatusServer, type JsonRoute, type UpgradeRoute } from './http-status.js';
export { servicesFromConfig } from './services.js';
export { parsePortSpec, portService, type PortConfig } from './port-service.js';
