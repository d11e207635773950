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
