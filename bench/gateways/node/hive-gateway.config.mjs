// Hive Gateway's settings in the graphql-gateways-benchmark: identical
// requests that arrive while one is running share its execution.
export const gatewayConfig = {
  inboundInflightRequestDeduplication: process.env.BENCH_HIVE_DEDUPLICATION !== "off",
};
