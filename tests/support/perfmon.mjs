// perfmon.mjs — writes small PDH-CSV logs with per-CPU processor counters for tests.
import { execFileSync } from 'node:child_process';
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

// A Russian perfmon log as Windows writes it: Windows-1251 bytes (made with iconv from
// the UTF-8 text here). Two CPUs, two processes plus _Total and Idle; rows as given.
export const RU_P = '% загруженности процессора';
export const ruHeader = ['(PDH-CSV 4.0) (RTZ 2 (зима))(-180)',
  `\\\\SRV\\Процессор(0)\\${RU_P}`, `\\\\SRV\\Процессор(1)\\${RU_P}`, `\\\\SRV\\Процессор(_Total)\\${RU_P}`,
  `\\\\SRV\\Процесс(sqlservr)\\${RU_P}`, `\\\\SRV\\Процесс(svchost)\\${RU_P}`,
  `\\\\SRV\\Процесс(_Total)\\${RU_P}`, `\\\\SRV\\Процесс(Idle)\\${RU_P}`];
// time, cpu0, cpu1, total, sqlservr, svchost, _Total, Idle
export const ruRows = [
  ['03/01/2024 10:00:00.000', 10, 30, 20, 150, 5, 300, 9000],
  ['03/01/2024 10:00:01.000', 20, 40, 30, 100, 15, 300, 9000],
  ['03/01/2024 10:00:02.000', 30, 50, 40, 50, 40, 300, 9000],
];
export const ruUtf8 = [ruHeader, ...ruRows].map((r) => r.map((c) => `"${c}"`).join(',')).join('\r\n') + '\r\n';
export function ruCp1251Csv() {
  return execFileSync('iconv', ['-f', 'UTF-8', '-t', 'CP1251'], { input: ruUtf8 });
}
