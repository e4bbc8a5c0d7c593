/**
 * `tessera_http_request_duration_seconds`: the one metric every request
 * touches. prom-client's Histogram.observe() converts, validates and hashes
 * the label set on each call (about 1.8 µs, measured in docs/performance.md):
 * a cost the cheapest routes cannot carry. Here each series (method, route
 * pattern, status class) is found through two map lookups and an array slot,
 * made once, and an observation is one bucket increment, a sum and a count.
 *
 * The registry still writes the exposition: this object is a prom-client
 * metric as far as `Registry.registerMetric` and `registry.metrics()` need
 * (name, help, type, and `get()` giving the values, cumulative per bucket as
 * Prometheus wants them), so the lines are the ones a prom-client Histogram
 * prints.
 */
import type { Metric, Registry } from "prom-client";

type Labels = { method: string; route: string; status: string };

/** One exposition line's worth, as prom-client's registry reads it. */
interface Value {
  metricName: string;
  labels: Record<string, string | number>;
  sharedLabels?: Labels;
  value: number;
}

interface Exported {
  name: string;
  help: string;
  type: "histogram";
  aggregator: "sum";
  values: Value[];
}

interface Series {
  labels: Labels;
  /** Observations per bucket, not cumulative; the last slot is above every bound (+Inf only). */
  counts: Float64Array;
  sum: number;
  count: number;
}

export class RequestDurations {
  readonly name = "tessera_http_request_duration_seconds";
  readonly help = "Time to answer an HTTP request, by method, route pattern and status class.";
  readonly type = "histogram" as const;
  readonly aggregator = "sum" as const;
  readonly #bounds: readonly number[];
  readonly #byRoute = new Map<string, Map<string, Series[]>>();

  constructor(bounds: readonly number[], registry: Registry) {
    this.#bounds = [...bounds].sort((a, b) => a - b);
    registry.registerMetric(this as unknown as Metric);
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    let byMethod = this.#byRoute.get(route);
    if (byMethod === undefined) this.#byRoute.set(route, byMethod = new Map());
    let classes = byMethod.get(method);
    if (classes === undefined) byMethod.set(method, classes = []);
    const statusClass = Math.floor(status / 100);
    const series = classes[statusClass] ??= {
      labels: { method, route, status: `${statusClass}xx` }, counts: new Float64Array(this.#bounds.length + 1), sum: 0, count: 0,
    };
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    series.counts[i]!++;
    series.sum += seconds;
    series.count++;
  }

  /** What `registry.metrics()` reads: labels as prom-client's Histogram gives them (le first, then the series' labels). */
  getForPromString(): Promise<Exported> {
    const values: Value[] = [];
    const bucket = `${this.name}_bucket`;
    for (const byMethod of this.#byRoute.values()) {
      for (const classes of byMethod.values()) {
        for (const series of classes) {
          if (series === undefined) continue;
          let cumulative = 0;
          this.#bounds.forEach((le, i) => {
            cumulative += series.counts[i]!;
            values.push({ labels: { le }, sharedLabels: series.labels, value: cumulative, metricName: bucket });
          });
          values.push({ labels: { le: "+Inf" }, sharedLabels: series.labels, value: series.count, metricName: bucket });
          values.push({ labels: {}, sharedLabels: series.labels, value: series.sum, metricName: `${this.name}_sum` });
          values.push({ labels: {}, sharedLabels: series.labels, value: series.count, metricName: `${this.name}_count` });
        }
      }
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  /** The values with every label in `labels` (prom-client's `get()`, used by `getMetricsAsJSON`). */
  async get(): Promise<Exported> {
    const data = await this.getForPromString();
    data.values = data.values.map((v) => {
      const { sharedLabels, ...rest } = v;
      return { ...rest, labels: { ...rest.labels, ...sharedLabels } };
    });
    return data;
  }

  /** The Registry calls these on some paths (reset, clear); nothing is kept elsewhere. */
  reset(): void {
    this.#byRoute.clear();
  }
}
