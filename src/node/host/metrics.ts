/**
 * `GET /metrics`: the counters the services keep, in the Prometheus text
 * exposition format (version 0.0.4): per family one `# HELP` and one
 * `# TYPE` line, then its samples `name{label="value"} number`. Names match
 * `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names `[a-zA-Z_][a-zA-Z0-9_]*`; a label
 * value escapes `\`, `"` and newline, a HELP text `\` and newline. Counters
 * end in `_total`. A family with no samples is left out (its HELP and TYPE
 * too), and two families of one name (two services) merge.
 */

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface MetricSample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly samples: readonly MetricSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function escapeLabelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** The exposition text of `families`; TypeError for a bad metric or label name (a bug here). */
export function formatMetrics(families: readonly MetricFamily[]): string {
  const merged = new Map<string, MetricFamily & { samples: MetricSample[] }>();
  for (const family of families) {
    if (!METRIC_NAME.test(family.name))
      throw new TypeError(`Not a metric name: ${JSON.stringify(family.name)}`);
    if (family.type === 'counter' && !family.name.endsWith('_total'))
      throw new TypeError(`A counter's name ends in _total: ${family.name}`);
    const existing = merged.get(family.name);
    if (existing === undefined)
      merged.set(family.name, { ...family, samples: [...family.samples] });
    else existing.samples.push(...family.samples);
  }
  const lines: string[] = [];
  for (const family of merged.values()) {
    if (family.samples.length === 0) continue;
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels ?? {});
      for (const [name] of labels)
        if (!LABEL_NAME.test(name) || name.startsWith('__'))
          throw new TypeError(`Not a label name: ${JSON.stringify(name)}`);
      const text =
        labels.length === 0
          ? ''
          : `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
      lines.push(`${family.name}${text} ${formatValue(sample.value)}`);
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** One sample per entry of a `{ reason: count }` record, labelled `label`. */
export function samplesOf(
  record: Readonly<Record<string, number>>,
  label: string,
  extra: Readonly<Record<string, string>> = {},
): MetricSample[] {
  return Object.entries(record).map(([key, value]) => ({
    labels: { ...extra, [label]: key },
    value,
  }));
}
