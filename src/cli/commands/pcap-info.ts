import { PcapFileError, pcapInfo } from '../../node/link/index.js';
import type { CliCommand } from '../command.js';

export const pcapInfoCommand: CliCommand = {
  path: ['pcap', 'info'],
  summary: 'summarise a pcap or pcapng file as one JSON line',
  usage: 'pcap info FILE',
  options: {},
  positionals: { min: 1, max: 1, names: 'FILE' },
  async run(_values, [file], io) {
    try {
      io.out(JSON.stringify(await pcapInfo(file as string)));
      return 0;
    } catch (error) {
      if (error instanceof PcapFileError) {
        io.err(`netrx pcap info: ${error.message}`);
        return 1;
      }
      throw error;
    }
  },
};
