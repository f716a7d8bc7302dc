/**
 * Runs Debian's real Prometheus (/usr/bin/prometheus) for tests: own config, temporary TSDB, 127.0.0.1 port.
 * The launcher is the one `abrec experiment` uses (src/pipeline/prometheus.ts); tests give their own rule files.
 */
export { PROMETHEUS_BINARY, startPrometheus, type RunningPrometheus } from "../../src/pipeline/prometheus";
export { freePort } from "../../src/core/ports";
