// Plays an unprivileged user in a test process that runs as root: the effective ids are dropped
// to nobody (65534) around the call and taken back after.

/** Whether this test process runs as root (and so can play another user). */
export const isRoot = process.geteuid?.() === 0;

export function asNobody<T>(run: () => T): T {
  const { setegid, seteuid } = process;
  if (setegid === undefined || seteuid === undefined) throw new Error('Cannot change the effective ids on this platform');
  setegid(65534);
  seteuid(65534);
  try {
    return run();
  } finally {
    seteuid(0);
    setegid(0);
  }
}
