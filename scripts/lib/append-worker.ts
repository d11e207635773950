// A writer or a rotator for scripts/lib/bench-follow.mjs, bundled by it with esbuild.
//   append-worker writer DIR COUNT MAX_BYTES   appends COUNT records one at a time through the
//                                              writer (fsync on) and prints the latencies (µs)
//   append-worker rotator DIR                  rotates DIR's log whenever it has 16 KiB (about
//                                              every 40 appends), checking every millisecond,
//                                              until SIGTERM; prints how many rotations
import { appendLines } from '../../src/store/append.ts';
import type { LogTarget } from '../../src/store/log-file.ts';
import { rotateLog } from '../../src/store/rotate-log.ts';
import * as build from '../../src/record/build.ts';

const [mode, dir, count = '0', maxBytes = '0'] = process.argv.slice(2);
const target: LogTarget = { logDir: `${dir}/log`, logFile: `${dir}/log/sessions.jsonl`, runDir: `${dir}/run`, fsync: true, maxBytes: Number(maxBytes) };

if (mode === 'writer') {
  const origin = { host: 'bench', boot_id: '00000000-0000-4000-8000-000000000003', source: 'pam' } as const;
  const latencies: number[] = [];
  for (let i = 0; i < Number(count); i++) {
    const at = Date.now() * 1000 + i;
    const record = build.sessionOpen(origin, { user: `user${i % 100}`, uid: 1000, tty: 'ssh', rhost: '192.0.2.1', ruser: null, service: 'sshd', pid: 1000 + i, pid_start: i }, at);
    const start = process.hrtime.bigint();
    const result = await appendLines(target, [{ order: at, id: record.event_id, line: build.toLine(record) }]);
    latencies.push(Number(process.hrtime.bigint() - start) / 1000);
    if (result.status !== 'written') throw new Error(`append ${i}: ${result.status}`);
  }
  process.stdout.write(JSON.stringify(latencies));
} else if (mode === 'rotator') {
  let rotations = 0;
  let stop = false;
  process.on('SIGTERM', () => (stop = true));
  while (!stop) {
    const r = await rotateLog(target, { minBytes: 16384, waitMs: 5000, now: () => new Date() });
    if (r.status === 'rotated') rotations++;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  process.stdout.write(String(rotations));
} else {
  throw new Error('usage: append-worker writer DIR COUNT MAX_BYTES | rotator DIR');
}
