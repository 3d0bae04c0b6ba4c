export { md4, ntPasswordHash } from './md4.js';
export { desEncryptBlock, expandDesKey } from './des.js';
