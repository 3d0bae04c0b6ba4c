export { md4, ntPasswordHash } from './md4.js';
export { desEncryptBlock, expandDesKey } from './des.js';
export {
  challengeHash,
  challengeResponse,
  generateAuthenticatorResponse,
  generateNtResponse,
  mppeAsymmetricStartKey,
  mppeMasterKey,
  mschapV2Msk,
} from './mschapv2.js';
