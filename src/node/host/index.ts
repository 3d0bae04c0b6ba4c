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
export {
  HttpStatusServer,
  type JsonRoute,
  type TextRoute,
  type UpgradeRoute,
} from './http-status.js';
export { servicesFromConfig } from './services.js';
export { captureService, queueLimits, type CaptureService } from './capture-service.js';
export { radiusService, type RadiusService } from './radius-service.js';
export {
  SYNTHETIC_PEER_PROVIDER,
  SyntheticPeerEvent,
  syntheticService,
} from './synthetic-service.js';
export {
  PRINTED_SECRET,
  REDACTED,
  createHostLogger,
  redactConfig,
  secretsOf,
  type HostLogger,
  type HostLoggerOptions,
} from './logger.js';
export {
  METRICS_CONTENT_TYPE,
  formatMetrics,
  type MetricFamily,
  type MetricSample,
} from './metrics.js';
export type { ReloadResult } from './reload.js';
export { parsePortSpec, portService, type PortConfig } from './port-service.js';
export { hostConfigJsonSchema, hostConfigJsonSchemaText } from './json-schema.js';
