/** NATS subject filters as the fake JetStream matches them (`*` one token, `>` the rest). */

/** A NATS filter subject as a regex: `*` one token, `>` the rest. */
export function subjectRegex(filter: string): RegExp {
  const parts = filter.split('.').map((token) => {
    if (token === '*') return '[^.]+';
    if (token === '>') return '.+';
    return token.replace(/[-]/g, '\\-');
  });
  return new RegExp(`^${parts.join('\\.')}$`);
}

/** Whether some subject matches both filters (token by token; `>` takes one or more). */
export function filtersOverlap(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; ; i++) {
    const p = x[i];
    const q = y[i];
    if (p === '>' || q === '>') return p !== undefined && q !== undefined;
    if (p === undefined || q === undefined) return p === q;
    if (p !== '*' && q !== '*' && p !== q) return false;
  }
}
