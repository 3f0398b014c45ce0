// Verification providers: the edge proxy's request samples, Prometheus, instance log error lines
// and crashes. Each implements a port of ports/metrics.ts and turns every failure into a
// measurement in error.

export { proxyProvider } from './proxy.js';
export { prometheusProvider, readAnswer, type PrometheusOptions } from './prometheus.js';
export { logErrorsProvider, isErrorText, ERROR_WORDS, ERROR_CLASSES, type LogCursor, type LogErrorsOptions } from './logs.js';
export { crashCounter, type CrashCursor, type CrashCounterOptions } from './crashes.js';
export { prometheusContract, CONTRACT_QUERIES } from './prometheus-contract.js';
export { gatherMeasurements, type GatherTarget, type GatherProviders } from './gather.js';
