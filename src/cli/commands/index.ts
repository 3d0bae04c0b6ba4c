import type { CliCommand } from '../command.js';
import { certsDemoCommand } from './certs-demo.js';
import { captureServeCommand } from './capture-serve.js';
import { captureTailCommand } from './capture-tail.js';
import { captureExtcapCommand } from './capture-extcap.js';
import { capturePublishCommand } from './capture-nats.js';
import { chatCommand } from './chat.js';
import { linkVxlanCommand } from './link-vxlan.js';
import { pcapInfoCommand } from './pcap-info.js';
import { scpCommand } from './scp.js';
import { radiusServeCommand } from './radius.js';
import { radiusTestCommand } from './radius-test.js';
import { upCommand } from './up.js';
import { websocketEchoCommand } from './websocket-echo.js';

/** Every command `netrx` knows, in the order `--help` lists them. */
export const commands: readonly CliCommand[] = [
  upCommand,
  linkVxlanCommand,
  pcapInfoCommand,
  websocketEchoCommand,
  chatCommand,
  scpCommand,
  certsDemoCommand,
  captureServeCommand,
  captureTailCommand,
  captureExtcapCommand,
  capturePublishCommand,
  radiusServeCommand,
  radiusTestCommand,
];
