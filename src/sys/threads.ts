// Whether one of this process's threads is blocked inside the kernel on something other than its
// own idle waits (futexes, epoll, timers): a filesystem that does not answer. Read from
// /proc/self/task, which never blocks. The hook uses it to tell a hung filesystem from a login
// storm, where calls are slow only because every thread waits for CPU (state R).

import { fs } from './fs.ts';

const { readdirSync, readFileSync } = fs;

const idleWaits = /futex|epoll|poll_schedule|select|hrtimer|nanosleep|pipe_read|^0$/;

export interface ThreadState {
  tid: string;
  state: string;
  wchan: string;
}

export function threadStates(procSelf = '/proc/self'): ThreadState[] {
  const states: ThreadState[] = [];
  for (const tid of readdirSync(`${procSelf}/task`)) {
    try {
      const stat = readFileSync(`${procSelf}/task/${tid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      const wchan = readFileSync(`${procSelf}/task/${tid}/wchan`, 'utf8').trim();
      states.push({ tid, state, wchan });
    } catch {
      // the thread ended while being read
    }
  }
  return states;
}

export function blockedInKernel(states: readonly ThreadState[]): ThreadState[] {
  return states.filter((t) => t.state === 'D' || (t.state === 'S' && !idleWaits.test(t.wchan)));
}
