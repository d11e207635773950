// The account database: uids and gids by name, from passwd(5) and group(5) files.

import { fs } from './fs.ts';

/** The uid of a user from a passwd(5) text; null when absent. */
export function uidFromPasswd(passwd: string, user: string): number | null {
  const prefix = `${user}:`;
  for (const line of passwd.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const uid = Number(line.split(':')[2]);
    return Number.isSafeInteger(uid) && uid >= 0 ? uid : null;
  }
  return null;
}

/** The gid of a group from a group(5) text; null when absent. */
export function gidFromGroup(group: string, name: string): number | null {
  return uidFromPasswd(group, name);
}

/** uid of a user from /etc/passwd (null when the user is unknown or the file unreadable). */
export function lookupUid(user: string, passwdPath = '/etc/passwd'): number | null {
  if (user === '' || user.includes(':') || user.includes('\n')) return null;
  try {
    return uidFromPasswd(fs.readFileSync(passwdPath, 'utf8'), user);
  } catch {
    return null;
  }
}

/** gid of a group from /etc/group (null when absent or unreadable). */
export function lookupGid(name: string, groupPath = '/etc/group'): number | null {
  try {
    return gidFromGroup(fs.readFileSync(groupPath, 'utf8'), name);
  } catch {
    return null;
  }
}

/** The name of the entry with id `id` in a passwd(5) or group(5) text; null when absent. */
export function nameFromFile(text: string, id: number): string | null {
  for (const line of text.split('\n')) {
    const [name, , value] = line.split(':');
    if (name !== undefined && name !== '' && value !== undefined && Number(value) === id && value !== '') return name;
  }
  return null;
}

/** The user name of `uid` (/etc/passwd), else the number. */
export function userName(uid: number, passwdPath = '/etc/passwd'): string {
  try {
    return nameFromFile(fs.readFileSync(passwdPath, 'utf8'), uid) ?? String(uid);
  } catch {
    return String(uid);
  }
}

/** The group name of `gid` (/etc/group), else the number. */
export function groupName(gid: number, groupPath = '/etc/group'): string {
  try {
    return nameFromFile(fs.readFileSync(groupPath, 'utf8'), gid) ?? String(gid);
  } catch {
    return String(gid);
  }
}
