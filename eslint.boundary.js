// The core boundary (DESIGN.md, "Cores are sans-I/O"): outside src/node and
// src/cli no file may import Node built-ins or touch Buffer, timers, the wall
// clock or Math.random. Kept in its own file so test/lint/boundary.test.ts can
// run exactly these rules against probe sources.
import { builtinModules } from 'node:module';

const builtins = builtinModules.filter((name) => !name.startsWith('_'));

export const coreFiles = ['src/**/*.ts'];
export const coreExempt = ['src/node/**', 'src/cli/**', 'src/**/*.test.ts'];

const why = 'cores are sans-I/O (DESIGN.md): only src/node and src/cli may';

export const boundaryRules = {
  'no-restricted-imports': [
    'error',
    {
      paths: builtins.map((name) => ({ name, message: `${why} import Node built-ins` })),
      patterns: [{ group: ['node:*'], message: `${why} import Node built-ins` }],
    },
  ],
  'no-restricted-globals': [
    'error',
    ...[
      'Buffer',
      'process',
      'require',
      'setTimeout',
      'setInterval',
      'setImmediate',
      'clearTimeout',
      'clearInterval',
      'clearImmediate',
      'performance',
      'crypto',
    ].map((name) => ({ name, message: `${why} use ${name}; inject a Clock or Crypto instead` })),
  ],
  'no-restricted-properties': [
    'error',
    { object: 'Date', property: 'now', message: `${why} read the clock; take a Clock` },
    { object: 'Math', property: 'random', message: `${why} use randomness; take a Crypto` },
  ],
  'no-restricted-syntax': [
    'error',
    {
      selector: "NewExpression[callee.name='Date'][arguments.length=0]",
      message: `${why} read the clock; take a Clock`,
    },
    {
      selector: 'ImportExpression > Literal[value=/^node:/]',
      message: `${why} import Node built-ins`,
    },
  ],
};

/** Flat-config entries that apply the boundary to the cores. */
export const boundaryConfig = [
  {
    files: coreFiles,
    ignores: coreExempt,
    rules: boundaryRules,
  },
];
