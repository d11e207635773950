// The accounts of a passwd(5) file, in its order: name and uid, what lastlog lists its
// "**Never logged in**" lines from. A line that is not an account is counted, never fatal.

import { inputErrorOf } from '../input/input-error.ts';
import { fs } from './fs.ts';

export const passwdPath = '/etc/passwd';

export interface Account {
  name: string;
  uid: number;
}

export interface PasswdAccounts {
  /** In the file's order; a name given twice counts once, as getpwnam(3) finds the first. */
  accounts: Account[];
  /** Lines that are neither an account, nor blank, nor a NIS compat entry (`+`, `-`). */
  odd: number;
}

/** The highest uid: (uid_t) -1 is no account's. */
const maxUid = 0xfffffffe;

/** The accounts of a passwd(5) text. */
export function passwdAccounts(text: string): PasswdAccounts {
  const accounts: Account[] = [];
  const names = new Set<string>();
  let odd = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    // `+user`, `+@netgroup`, `-user`: nsswitch's compat entries, which name no account of this file.
    if (line.startsWith('+') || line.startsWith('-')) continue;
    const fields = line.split(':');
    const [name, , uidText] = fields;
    if (fields.length !== 7 || name === undefined || name === '' || uidText === undefined || !/^\d{1,10}$/.test(uidText) || Number(uidText) > maxUid) {
      odd++;
      continue;
    }
    if (names.has(name)) continue;
    names.add(name);
    accounts.push({ name, uid: Number(uidText) });
  }
  return { accounts, odd };
}

/** The accounts of the passwd file at `path`; an InputError when it cannot be read. */
export function readPasswdAccounts(path = passwdPath): PasswdAccounts {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (error) {
    throw inputErrorOf(path, error);
  }
  return passwdAccounts(text);
}

/** The warning for the lines of a passwd file that are not accounts. */
export function oddLinesWarning(path: string, odd: number): string {
  return `skipped ${odd} line${odd === 1 ? '' : 's'} of ${path} that name no account`;
}
