/** Big-endian writes into a frame being built: the wire module's, under the names the link code uses. */
export { writeU16 as putU16, writeU32 as putU32 } from '../wire/big-endian.js';
