/** A small element builder: the page has no framework, and text is always set as text (never HTML). */
type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Readonly<Record<string, string>> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'number' ? String(child) : child);
  }
  return element;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** A definition list from label/value pairs. */
export function facts(pairs: readonly (readonly [string, Child])[]): HTMLDListElement {
  const list = h('dl', { class: 'facts' });
  for (const [label, value] of pairs) list.append(h('dt', {}, label), h('dd', {}, value));
  return list;
}

/**
 * A column of `table`: its heading, and a class its heading and cells share
 * (style.css, review L4: a panel's table fits its panel): a `kept` column
 * (a time, a duration) never wraps; a `free` one (a name, an address) may
 * break anywhere, so a long one cannot push the table out; the others wrap
 * at spaces and hyphens.
 */
export interface Column {
  readonly heading: string;
  readonly class?: 'kept' | 'free';
}

export function table(
  caption: string,
  columns: readonly (string | Column)[],
  rows: readonly (readonly Child[])[],
): HTMLTableElement | HTMLParagraphElement {
  if (rows.length === 0) return h('p', { class: 'muted' }, `No ${caption.toLowerCase()} yet.`);
  const shaped = columns.map((c) => (typeof c === 'string' ? { heading: c } : c));
  const classOf = (i: number): Readonly<Record<string, string>> => {
    const name = shaped[i]?.class;
    return name === undefined ? {} : { class: name };
  };
  return h(
    'table',
    {},
    h('caption', { class: 'visually-hidden' }, caption),
    h(
      'thead',
      {},
      h('tr', {}, ...shaped.map((c, i) => h('th', { scope: 'col', ...classOf(i) }, c.heading))),
    ),
    h(
      'tbody',
      {},
      ...rows.map((cells) => h('tr', {}, ...cells.map((c, i) => h('td', classOf(i), c)))),
    ),
  );
}
