import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';

/** The metrics a run must always write, however it ended. */
export const ALWAYS_WRITTEN = [
  'arcadia_last_run_timestamp_seconds',
  'arcadia_run_duration_seconds',
  'arcadia_run_exit_code',
  'arcadia_sagas',
  'arcadia_api_requests_total',
];

/** Parsed by a real Prometheus text-format parser; a family's samples by name. */
export function parseMetrics(text: string): Map<string, ParsedFamily> {
  return new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]));
}

/** The one value of a family's sample whose labels include `labels`. */
export function valueOf(
  families: Map<string, ParsedFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const family = families.get(name);
  if (!family) throw new Error(`no ${name} in the metrics`);
  const sample = family.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  if (!sample || sample.value === undefined) throw new Error(`no ${name}${JSON.stringify(labels)} sample`);
  return Number(sample.value);
}
