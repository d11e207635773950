import { describe, expect, it } from 'vitest';
import { blockedInKernel, threadStates } from './threads.ts';

describe('blockedInKernel()', () => {
  it('counts threads waiting on a filesystem, not idle or runnable ones', () => {
    const states = [
      { tid: '1', state: 'S', wchan: 'do_epoll_wait' },
      { tid: '2', state: 'S', wchan: 'futex_wait_queue' },
      { tid: '3', state: 'R', wchan: '0' },
      { tid: '4', state: 'S', wchan: 'request_wait_answer' },
      { tid: '5', state: 'D', wchan: 'fuse_get_req' },
      { tid: '6', state: 'D', wchan: 'jbd2_log_wait_commit' },
    ];
    expect(blockedInKernel(states).map((t) => t.tid)).toEqual(['4', '5', '6']);
  });

  it('reads this process: nothing blocked while it runs', () => {
    const states = threadStates();
    expect(states.length).toBeGreaterThan(0);
    expect(states.find((t) => t.tid === String(process.pid))?.state).toBe('R');
  });
});
