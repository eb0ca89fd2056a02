-- wrk_pct.lua — wrk reporter for bench/run.sh: one line with requests/s and the latency
-- percentiles (ms) wrk measured, plus non-2xx answers, so the script can parse it.
done = function(summary, latency, requests)
  io.write(string.format("WRK rps=%.1f p50=%.3f p95=%.3f p99=%.3f max=%.3f n=%d errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
