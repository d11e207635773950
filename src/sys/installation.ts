// Where LogSphere is installed on this host, so that `logsphere doctor` checks the installation
// that is there, and `failed` knows which hook the PAM lines name: the Debian package's
// (scripts/build-deb.sh: the programs in /usr/lib/logsphere, the units in /usr/lib/systemd/system)
// or scripts/install.sh's (/usr/local/lib/logsphere, /usr/local/lib/systemd/system). The two
// refuse to be installed side by side.

import { existsSync } from 'node:fs';
import { installedHookPath } from '../pam/pam-stack.ts';

export interface Installation {
  /** What installed it, for the advice the checks give. */
  by: 'package' | 'install.sh';
  /** The hook as PAM lines and units name it. */
  hookPath: string;
  /** Where its units are. */
  unitDir: string;
}

export const packageInstallation: Installation = { by: 'package', hookPath: '/usr/lib/logsphere/logsphere-hook', unitDir: '/usr/lib/systemd/system' };

export const checkoutInstallation: Installation = { by: 'install.sh', hookPath: installedHookPath, unitDir: '/usr/local/lib/systemd/system' };

/**
 * The installation whose hook is there, the package's first; with none, install.sh's (the checks
 * then say what is missing where the README's first command would put it).
 */
export function installationOnHost(exists: (path: string) => boolean = existsSync): Installation {
  return [packageInstallation, checkoutInstallation].find((i) => exists(i.hookPath)) ?? checkoutInstallation;
}
