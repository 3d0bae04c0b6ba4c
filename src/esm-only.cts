// netrx is ESM-only. Every subpath's `require` condition points here, so
// `require('netrx/…')` fails with this one clear line instead of Node's
// ERR_PACKAGE_PATH_NOT_EXPORTED (which reads as if the subpath were missing).
const error = new Error(
  "netrx is ESM-only: use import (import { … } from 'netrx/…'), or await import('netrx/…') from CommonJS",
) as Error & { code: string };
error.code = 'ERR_NETRX_ESM_ONLY';
throw error;
