import { pcapInfo } from '../../node/link/index.js';
import type { CliCommand } from '../command.js';
import { fileErrorLine } from '../files.js';

export const pcapInfoCommand: CliCommand = {
  path: ['pcap', 'info'],
  summary: 'summarise a pcap or pcapng file as one JSON line',
  usage: 'pcap info FILE',
  options: {},
  positionals: { min: 1, max: 1, names: 'FILE' },
  async run(_values, [file], io) {
    const path = file as string;
    try {
      io.out(JSON.stringify(await pcapInfo(path)));
      return 0;
    } catch (error) {
      // A bad capture (PcapFileError) and a file that cannot be read alike: one line naming the file.
      io.err(`netrx pcap info: ${fileErrorLine(path, error)}`);
      return 1;
    }
  },
};
