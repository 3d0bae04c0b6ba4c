// The README stays true: every example in it runs as written against the
// packed package, installed into a fresh project the way npm would (the
// tarball's files under node_modules/netrx, its bin linked), and what it
// prints is what the README says it prints. The package ships what the
// README links to and what its source maps point at.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPacked } from './support/packed.js';
import { ensureBuilt, root } from './support/processes.js';

const readme = readFileSync(join(root, 'README.md'), 'utf8');
let project = '';
let installed = '';
let packedFiles: string[] = [];

interface Example {
  readonly language: 'js' | 'ts';
  readonly line: number;
  readonly code: string;
  /** The `prints:` block after it, if any. */
  readonly prints: string | undefined;
}

/** Every ```js and ```ts block of the README, with the ```text block a `prints:` line puts after it. */
function examples(text: string): Example[] {
  const lines = text.split('\n');
  const found: Example[] = [];
  const block = (start: number): { body: string; end: number } => {
    let end = start + 1;
    while (end < lines.length && lines[end] !== '```') end++;
    return { body: lines.slice(start + 1, end).join('\n'), end };
  };
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(js|ts)$/.exec(lines[i] ?? '');
    if (fence === null) continue;
    const { body, end } = block(i);
    let next = end + 1;
    while (lines[next] === '') next++;
    let prints: string | undefined;
    if (lines[next] === 'prints:') {
      next++;
      while (lines[next] === '') next++;
      if (lines[next] === '```text') prints = block(next).body;
    }
    found.push({ language: fence[1] as 'js' | 'ts', line: i + 1, code: body, prints });
    i = end;
  }
  return found;
}

function node(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, args, { cwd: project, encoding: 'utf8', timeout: 20_000 });
}

beforeAll(() => {
  expect(ensureBuilt()).toBe(0);
  // The real tarball, installed by npm into a project set up as the README
  // says: `"type": "module"`, and @types/node for netrx/node (TypeScript
  // itself is the clone's).
  const typesNode = JSON.parse(
    readFileSync(join(root, 'node_modules', '@types', 'node', 'package.json'), 'utf8'),
  ) as { version: string };
  const packed = installPacked('readme', { type: 'module' }, [`@types/node@${typesNode.version}`]);
  project = packed.dir;
  packedFiles = packed.files;
  installed = join(project, 'node_modules', 'netrx');
}, 120_000);

// The unpacked package is 2.5 MB: leave nothing behind.
afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('README examples, run as written against the packed package', () => {
  const all = examples(readme);

  it('the README has its examples (and each one that prints says what)', () => {
    expect(all.filter((e) => e.language === 'js').length).toBeGreaterThanOrEqual(2);
    expect(all.filter((e) => e.language === 'ts').length).toBeGreaterThanOrEqual(5);
    expect(all.filter((e) => e.prints === undefined).map((e) => e.line)).toEqual([]);
  });

  // Compiled once, by whichever test needs it first: under --sequence.shuffle
  // (or -t) an example's run came before the compile test and found no output.
  let compiled: { readonly output: string; readonly status: number | null } | undefined;
  const compileExamples = (): { readonly output: string; readonly status: number | null } => {
    if (compiled !== undefined) return compiled;
    const sources = all.filter((e) => e.language === 'ts');
    const files = sources.map((e) => {
      const file = `example-${e.line}.ts`;
      writeFileSync(join(project, file), e.code);
      return file;
    });
    // What `tsc --init` (TypeScript 6) writes, plus the one change the
    // README asks for ("types": ["node"]); libraries are checked too.
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          target: 'esnext',
          types: ['node'],
          sourceMap: true,
          declaration: true,
          declarationMap: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
          strict: true,
          jsx: 'react-jsx',
          verbatimModuleSyntax: true,
          isolatedModules: true,
          noUncheckedSideEffectImports: true,
          moduleDetection: 'force',
          skipLibCheck: false,
          outDir: 'out',
        },
        files,
      }),
    );
    const tsc = spawnSync(
      process.execPath,
      [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project],
      { cwd: project, encoding: 'utf8', timeout: 60_000 },
    );
    compiled = { output: tsc.stdout + tsc.stderr, status: tsc.status };
    return compiled;
  };

  it('every TypeScript example compiles under strict + noUncheckedIndexedAccess', () => {
    const { output, status } = compileExamples();
    expect(output).toBe('');
    expect(status).toBe(0);
  }, 60_000);

  it("the cores' declarations need neither DOM nor Node types (lib es2022, types [])", () => {
    const cores = ['netrx', 'netrx/bytes', 'netrx/runtime', 'netrx/receive', 'netrx/trace'];
    cores.push('netrx/wire', 'netrx/link', 'netrx/port', 'netrx/websocket', 'netrx/capture');
    cores.push('netrx/testing');
    writeFileSync(
      join(project, 'cores-only.ts'),
      cores
        .map((c, i) => `import type * as m${i} from '${c}';\nexport type T${i} = typeof m${i};`)
        .join('\n'),
    );
    writeFileSync(
      join(project, 'tsconfig.cores.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          target: 'es2022',
          lib: ['es2022'],
          types: [],
          strict: true,
          skipLibCheck: false,
          noEmit: true,
        },
        files: ['cores-only.ts'],
      }),
    );
    const tsc = spawnSync(
      process.execPath,
      [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.cores.json'],
      { cwd: project, encoding: 'utf8', timeout: 60_000 },
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 60_000);

  for (const example of all) {
    it(`the ${example.language} example at README.md:${example.line} prints what the README says`, () => {
      let result;
      if (example.language === 'js') {
        const file = `example-${example.line}.mjs`;
        writeFileSync(join(project, file), example.code);
        result = node([file]);
      } else {
        compileExamples();
        const output = join('out', `example-${example.line}.js`);
        expect(existsSync(join(project, output))).toBe(true);
        result = node([output]);
      }
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout.trimEnd()).toBe(example.prints);
    }, 90_000);
  }
});

describe('the packed package', () => {
  it('the installed bin runs: npx netrx --help', () => {
    const result = spawnSync(join(project, 'node_modules', '.bin', 'netrx'), ['--help'], {
      cwd: project,
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('netrx websocket echo');
  });

  it('netrx pcap info on the five-minute capture prints what the README says', () => {
    // two-hosts.pcapng is what the five-minute example writes: run it here
    // too, so this test stands alone (vitest -t).
    const twoHosts = examples(readme).find((e) => e.code.startsWith('// two-hosts.mjs'));
    expect(twoHosts).toBeDefined();
    writeFileSync(join(project, 'two-hosts.mjs'), twoHosts!.code);
    expect(node(['two-hosts.mjs']).status).toBe(0);
    const line = readme
      .split('\n')
      .find((l) => l.startsWith('npx netrx pcap info two-hosts.pcapng'));
    expect(line).toBeDefined();
    const expected = line!.slice(line!.indexOf('#') + 1).trim();
    const result = spawnSync(
      join(project, 'node_modules', '.bin', 'netrx'),
      ['pcap', 'info', 'two-hosts.pcapng'],
      { cwd: project, encoding: 'utf8' },
    );
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(expected);
  });

  it('npx netrx up --print-config > netrx.yaml gives a file npx netrx up --config netrx.yaml runs', () => {
    const bin = join(project, 'node_modules', '.bin', 'netrx');
    expect(readme).toContain('npx netrx up --print-config > netrx.yaml');
    expect(readme).toContain('npx netrx up --config netrx.yaml');
    const printed = spawnSync(bin, ['up', '--print-config'], { cwd: project, encoding: 'utf8' });
    expect(printed.status).toBe(0);
    writeFileSync(join(project, 'netrx.yaml'), printed.stdout);
    const checked = spawnSync(bin, ['up', '--config', 'netrx.yaml', '--print-config'], {
      cwd: project,
      encoding: 'utf8',
    });
    expect({ status: checked.status, stderr: checked.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it('require() says the package is ESM-only', () => {
    for (const subpath of ['netrx', 'netrx/link', 'netrx/node']) {
      const result = node(['-e', `require(${JSON.stringify(subpath)})`]);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('netrx is ESM-only: use import');
      expect(result.stderr).toContain('ERR_NETRX_ESM_ONLY');
    }
  });

  it('ships every file the README links to', () => {
    const links = [...readme.matchAll(/\]\(([^)#]+)(?:#[^)]*)?\)/g)]
      .map((m) => m[1]!)
      .filter((target) => !/^[a-z]+:/.test(target));
    expect(links.length).toBeGreaterThan(5);
    for (const target of links) expect(packedFiles).toContain(normalize(target));
  });

  it('ships the sources its source maps point at, and no tests', () => {
    const maps = packedFiles.filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(50);
    const missing: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(installed, map), 'utf8')) as {
        sources: string[];
      };
      for (const source of sources) {
        const target = normalize(join(dirname(map), source));
        if (!packedFiles.includes(target)) missing.push(`${map} -> ${target}`);
      }
    }
    expect(missing).toEqual([]);
    expect(packedFiles.filter((f) => /\.test\./.test(f))).toEqual([]);
  });

  it('the README lists the Debian packages npm test installs', async () => {
    const { debianPackages } = (await import(join(root, 'scripts', 'lib', 'setup.mjs'))) as {
      debianPackages: { name: string }[];
    };
    const line = readme.split('\n').find((l) => l.startsWith('sudo apt-get install '));
    expect(line).toBeDefined();
    const listed = line!
      .split(' ')
      .filter((word) => !word.startsWith('-'))
      .slice(3);
    expect(listed.sort()).toEqual(debianPackages.map((p) => p.name).sort());
  });
});
