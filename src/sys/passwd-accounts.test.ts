import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { InputError } from '../input/input-error.ts';
import { oddLinesWarning, passwdAccounts, readPasswdAccounts } from './passwd-accounts.ts';

describe('passwdAccounts()', () => {
  it('lists the accounts in the file order, the first of a name only', () => {
    const text = 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice,,,:/home/alice:/bin/sh\nbob:x:1001:1001::/home/bob:\nalice:x:2000:2000::/:/bin/sh\n';
    expect(passwdAccounts(text)).toEqual({ accounts: [{ name: 'root', uid: 0 }, { name: 'alice', uid: 1000 }, { name: 'bob', uid: 1001 }], odd: 0 });
  });

  it('counts the lines that name no account, and passes over blank lines and NIS compat entries', () => {
    const text = [
      'root:x:0:0:root:/root:/bin/bash',
      '',
      '   ',
      '# a comment',
      'short:x:1',
      'nouid:x::0::/:/bin/sh',
      'word:x:abc:0::/:/bin/sh',
      'huge:x:4294967295:0::/:/bin/sh',
      'many:x:5:0::/:/bin/sh:extra',
      ':x:6:0::/:/bin/sh',
      '+@admins::::::',
      '-mallory',
      '+',
      'carol:x:1002:1002::/home/carol:/bin/sh\r',
      'dave:x:1003:1003::/home/dave:/bin/sh',
    ].join('\n');
    expect(passwdAccounts(text)).toEqual({ accounts: [{ name: 'root', uid: 0 }, { name: 'carol', uid: 1002 }, { name: 'dave', uid: 1003 }], odd: 7 });
  });

  it('takes a file without a final newline, and an empty one', () => {
    expect(passwdAccounts('root:x:0:0::/:/bin/sh').accounts).toEqual([{ name: 'root', uid: 0 }]);
    expect(passwdAccounts('')).toEqual({ accounts: [], odd: 0 });
  });
});

describe('readPasswdAccounts()', () => {
  it('reads a file, and names the file it cannot read', () => {
    const dir = mkdtempSync(`${tmpdir()}/ls-passwd-`);
    try {
      writeFileSync(`${dir}/passwd`, 'root:x:0:0::/:/bin/sh\nodd\n');
      expect(readPasswdAccounts(`${dir}/passwd`)).toEqual({ accounts: [{ name: 'root', uid: 0 }], odd: 1 });
      expect(() => readPasswdAccounts(`${dir}/none`)).toThrow(new InputError(`${dir}/none`, 'ENOENT', 'no such file or directory'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('words the warning for odd lines', () => {
    expect(oddLinesWarning('/etc/passwd', 1)).toBe('skipped 1 line of /etc/passwd that name no account');
    expect(oddLinesWarning('/etc/passwd', 3)).toBe('skipped 3 lines of /etc/passwd that name no account');
  });
});
