import { describe, expect, it } from 'vitest';
import { checkoutInstallation, installationOnHost, packageInstallation } from './installation.ts';

describe('installationOnHost()', () => {
  it("takes the Debian package's installation where its hook is, with its unit directory", () => {
    const found = installationOnHost((path) => path === '/usr/lib/logsphere/logsphere-hook');
    expect(found).toBe(packageInstallation);
    expect(found).toMatchObject({ by: 'package', unitDir: '/usr/lib/systemd/system' });
  });

  it("takes scripts/install.sh's where its hook is", () => {
    expect(installationOnHost((path) => path === '/usr/local/lib/logsphere/logsphere-hook')).toBe(checkoutInstallation);
  });

  it("names install.sh's where no hook is installed, for the checks to report it missing", () => {
    expect(installationOnHost(() => false)).toEqual({ by: 'install.sh', hookPath: '/usr/local/lib/logsphere/logsphere-hook', unitDir: '/usr/local/lib/systemd/system' });
  });
});
