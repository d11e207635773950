import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../config/config.ts';
import * as build from '../record/build.ts';
import { failedLogins, type FailedLoginsRequest } from './failed-logins.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const request: FailedLoginsRequest = { inputs: [], since: null, until: null, user: null, host: null, keepRecords: false };

function setup(): { config: Config; pam: { dirs: { config: string; vendor: null }; hookPath: string } } {
  dir = mkdtempSync(`${tmpdir()}/ls-failed-logins-`);
  mkdirSync(`${dir}/log`);
  mkdirSync(`${dir}/pam.d`);
  writeFileSync(`${dir}/log/sessions.jsonl`, build.toLine(build.boot({ host: 'web1', boot_id: 'b', source: 'systemd' }, Date.UTC(2026, 10, 20) * 1000, '6.1', Date.UTC(2026, 10, 20) * 1000)));
  const config = {
    logDir: `${dir}/log`, logFile: `${dir}/log/sessions.jsonl`, runDir: `${dir}/run`, stateDir: `${dir}/state`, hostname: null, ignoreServices: [],
    fsync: false, maxBytes: 0, keepDays: 0, configPath: null, rulesPath: `${dir}/rules.json`, webhook: null, mail: null,
  } as Config;
  return { config, pam: { dirs: { config: `${dir}/pam.d`, vendor: null }, hookPath: `${dir}/hook` } };
}

describe('failedLogins()', () => {
  it('says, when this host\'s log has none, that failed logins are not recorded here while no auth-failure line runs the hook', () => {
    const { config, pam } = setup();
    expect(failedLogins(request, config, pam).notes).toEqual([
      'failed logins are not recorded on this host: no auth-failure line runs the hook (scripts/install.sh --with-auth-failures turns it on; see logsphere doctor)',
    ]);
    // Not about files named by --input, which may come from anywhere.
    expect(failedLogins({ ...request, inputs: [config.logFile] }, config, pam).notes).toEqual([]);
    writeFileSync(`${dir}/pam.d/common-auth`, `auth [success=2 default=ignore] pam_unix.so\nauth optional pam_exec.so quiet seteuid ${pam.hookPath} auth-failure\n`);
    expect(failedLogins(request, config, pam).notes).toEqual([]);
  });
});
