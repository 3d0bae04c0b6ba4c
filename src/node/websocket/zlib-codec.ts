// TEMP STUB until the deflate branch lands.
import type { DeflateCodec } from '../../websocket/index.js';
export const zlibDeflateCodec: DeflateCodec = {
  createInflater() {
    throw new Error('stub');
  },
  createDeflater() {
    throw new Error('stub');
  },
};
