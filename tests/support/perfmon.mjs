// perfmon.mjs — writes small PDH-CSV logs with per-CPU processor counters for tests.
export function perCpuCsv({ cpus = 4, seconds = 60, machine = 'TESTHOST', pegged = [0, 2], counterName = '% Processor Time' } = {}) {
  const cols = [];
  for (let c = 0; c < cpus; c++) cols.push(`\\\\${machine}\\Processor(${c})\\${counterName}`);
  cols.push(`\\\\${machine}\\Processor(_Total)\\${counterName}`);
  const lines = [[`(PDH-CSV 4.0) (Coordinated Universal Time)(0)`, ...cols]];
  for (let t = 0; t < seconds; t++) {
    const ss = String(t % 60).padStart(2, '0'), mm = String(Math.floor(t / 60)).padStart(2, '0');
    const vals = [];
    for (let c = 0; c < cpus; c++) vals.push(pegged.includes(c) ? 99.5 : 10 + ((t * 3 + c * 11) % 40));
    vals.push(vals.reduce((a, b) => a + b, 0) / cpus);
    lines.push([`01/15/2026 10:${mm}:${ss}.000`, ...vals.map((v) => v.toFixed(6))]);
  }
  return lines.map((l) => l.map((x) => `"${x}"`).join(',')).join('\r\n') + '\r\n';
}
