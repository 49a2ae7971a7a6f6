/** Histogram buckets for latencies, in seconds: 0.5 ms to 30 s. */
export const LATENCY_BUCKETS_SECONDS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** Histogram buckets for long operations (training rounds, node boot), in seconds: 0.1 s to 30 min. */
export const LONG_DURATION_BUCKETS_SECONDS = [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800];
