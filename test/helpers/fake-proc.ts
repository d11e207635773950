// A made-up /proc for unit tests of what reads processes: each process with its parent, start
// time, audit session and standard descriptors, and (unless told not to) the kernel's children lists.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

export interface FakeProcess {
  pid: number;
  ppid: number;
  /** The audit session; unset when absent. */
  sid?: number;
  /** Targets of fd 0, 1, 2. */
  fds?: string[];
  start?: number;
}

/** Writes the processes under a new directory and returns it (the caller removes it). */
export function fakeProc(processes: FakeProcess[], children = true): string {
  const root = mkdtempSync(`${tmpdir()}/ls-proc-`);
  for (const p of processes) addProcess(root, p, children ? processes.filter((c) => c.ppid === p.pid).map((c) => c.pid) : null);
  return root;
}

/** Adds (or replaces) one process; `children` null leaves out its children list. */
export function addProcess(root: string, p: FakeProcess, children: number[] | null): void {
  const dir = `${root}/${p.pid}`;
  rmSync(`${dir}/fd`, { recursive: true, force: true });
  mkdirSync(`${dir}/fd`, { recursive: true });
  mkdirSync(`${dir}/task/${p.pid}`, { recursive: true });
  // Field 4 is the parent, field 22 the start time; the command name may hold ") ".
  const after = ['S', p.ppid, ...Array(17).fill(0), p.start ?? 1000 + p.pid, 0];
  writeFileSync(`${dir}/stat`, `${p.pid} (x) y) ${after.join(' ')}\n`);
  writeFileSync(`${dir}/sessionid`, String(p.sid ?? 4294967295));
  (p.fds ?? []).forEach((target, fd) => symlinkSync(target, `${dir}/fd/${fd}`));
  if (children !== null) writeFileSync(`${dir}/task/${p.pid}/children`, children.map((c) => `${c} `).join(''));
}
