import { describe, expect, it } from 'vitest';
import { uidFromPasswd } from './accounts.ts';

describe('uidFromPasswd()', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\nal:x:1001:1001::/:/bin/sh\n';
  it('finds exact user names only', () => {
    expect(uidFromPasswd(passwd, 'alice')).toBe(1000);
    expect(uidFromPasswd(passwd, 'al')).toBe(1001);
    expect(uidFromPasswd(passwd, 'ali')).toBeNull();
    expect(uidFromPasswd(passwd, 'root')).toBe(0);
  });
});
