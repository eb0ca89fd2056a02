// io_window.mjs — the etlgen scenario of the window/CPU filter tests of /syscalls,
// /scheduling, /diskio and /fileio (integration/io_window.test.mjs works out its numbers
// by hand; browser/io_window.test.mjs shows them in the panels).
export const ioWindowScenario = {
  cpus: 4, pointer_size: 8, buffer_size: 65536, duration_s: 0, seed: 1, sample_rate_hz: 0,
  modules: [{ name: 'ntoskrnl.exe', base: '0xfffff80000000000', size: 8388608 },
    { name: 'ndis.sys', base: '0xfffff80020000000', size: 1048576 }],
  syscalls: { count: 100, cpu: 0, tid: 2000, module: 'ntoskrnl.exe', offset: 4096,
              duration_us: 1000, gap_us: 1000, sample_every: 0 },
  ready_wait: { count: 150, cpu: 1, tid: 3000, wait_reason: 15, dpc_module: 'ndis.sys',
                run_us: 50, wait_us: 450, ready_us: 500 },
  diskio: { reads: 30, writes: 12, cpu: 2, tid: 4100, disk: 2, file: 'C:\\data\\orders.mdf',
            file_object: '0xffffa0008a001000', read_size: 8192, write_size: 65536,
            read_latency_us: 5000, write_latency_us: 1500, gap_us: 5000,
            file_reads: 40, file_read_size: 4096, file_latency_us: 2000 },
};
