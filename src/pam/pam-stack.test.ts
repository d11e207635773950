import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { fileLines, hookServicesReadingUserEnvironment, pamWords, type PamDirs } from './pam-stack.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function setup(): { dirs: PamDirs; hook: string } {
  dir = mkdtempSync(`${tmpdir()}/ls-pam-stack-`);
  mkdirSync(`${dir}/etc`);
  mkdirSync(`${dir}/vendor`);
  mkdirSync(`${dir}/lib`);
  writeFileSync(`${dir}/lib/logsphere-hook`, '#!/usr/bin/node\n');
  writeFileSync(`${dir}/etc/common-session`, `session optional pam_exec.so quiet seteuid ${dir}/lib/logsphere-hook\n`);
  return { dirs: { config: `${dir}/etc`, vendor: `${dir}/vendor` }, hook: `${dir}/lib/logsphere-hook` };
}

const exposed = (dirs: PamDirs, hook: string, hookIn: string[] = []) =>
  hookServicesReadingUserEnvironment(dirs, hook, hookIn).map((e) => `${e.service}:${e.line.file.slice(dir.length)}:${e.line.number}`);

describe('pamWords() and fileLines()', () => {
  it('read words, brackets, comments and continued lines as libpam does', () => {
    expect(pamWords('session [success=1 default=ignore] pam_env.so [user_readenv= 1] x\\]y')).toEqual(['session', '[success=1 default=ignore]', 'pam_env.so', '[user_readenv= 1]', 'x\\]y']);
    dir = mkdtempSync(`${tmpdir()}/ls-pam-stack-`);
    writeFileSync(`${dir}/f`, 'session required pam_env.so \\\n   user_readenv=1 # a comment \\\nauth required pam_deny.so # user_readenv=1\n# session x\n');
    expect(fileLines(`${dir}/f`).map((l) => [l.number, l.lastNumber, l.words])).toEqual([
      [1, 2, ['session', 'required', 'pam_env.so', 'user_readenv=1']],
      [3, 3, ['auth', 'required', 'pam_deny.so']],
    ]);
  });
});

describe('hookServicesReadingUserEnvironment()', () => {
  it.each([
    ['user_readenv=1', true], ['user_readenv=01', true], ['user_readenv=2', true], ['user_readenv=1x', true], ['user_readenv=+1', true],
    ['[user_readenv=1]', true], ['[user_readenv= 1]', true], ['user_readenv=1 user_readenv=0', false], ['user_readenv=0 user_readenv=1', true],
    ['user_readenv=0', false], ['readenv=1', false], ['', false], ['envfile=/etc/default/locale', false],
  ])('pam_env %s after the hook: %s', (args, reads) => {
    const { dirs, hook } = setup();
    writeFileSync(`${dir}/etc/sshd`, `@include common-session\nsession required pam_env.so ${args}\n`);
    expect(exposed(dirs, hook)).toEqual(reads ? ['sshd:/etc/sshd:2'] : []);
  });

  it.each([
    ['a continued line', 'session required pam_env.so \\\n   user_readenv=1\n'],
    ['[include]', 'session [include] envstack\n'],
    ['[substack]', 'session [substack] envstack\n'],
    ['include [name]', 'session include [envstack]\n'],
    ['a continued include', 'session \\\n include envstack\n'],
    ['a continued @include', '@include \\\nenvstack\n'],
    ['a trailing backslash', 'session include envstack\\\n'],
    ['an absolute include', `session include ${'ABS'}\n`],
  ])('finds user_readenv behind %s', (_what, text) => {
    const { dirs, hook } = setup();
    writeFileSync(`${dir}/etc/envstack`, 'session required pam_env.so user_readenv=1\n');
    mkdirSync(`${dir}/elsewhere`);
    writeFileSync(`${dir}/elsewhere/envstack`, 'session required pam_env.so user_readenv=1\n');
    writeFileSync(`${dir}/etc/svc`, `@include common-session\n${text.replace('ABS', `${dir}/elsewhere/envstack`)}`);
    expect(exposed(dirs, hook).filter((e) => e.startsWith('svc:'))).toHaveLength(1);
  });

  it('finds a service in the vendor directory, unless the configuration directory shadows it', () => {
    const { dirs, hook } = setup();
    writeFileSync(`${dir}/vendor/polkit-1`, '@include common-session\nsession required pam_env.so user_readenv=1\n');
    expect(exposed(dirs, hook)).toEqual(['polkit-1:/vendor/polkit-1:2']);
    writeFileSync(`${dir}/etc/polkit-1`, '@include common-session\nsession required pam_env.so\n');
    expect(exposed(dirs, hook)).toEqual([]);
  });

  it('knows the hook by any path that leads to it', () => {
    const { dirs, hook } = setup();
    symlinkSync(hook, `${dir}/hook-link`);
    writeFileSync(`${dir}/etc/a`, `session optional pam_exec.so quiet /usr/bin/node ${dir}/hook-link\nsession required pam_env.so user_readenv=1\n`);
    writeFileSync(`${dir}/etc/b`, `session optional pam_exec.so quiet ${dir}/lib//logsphere-hook\nsession required pam_env.so user_readenv=1\n`);
    writeFileSync(`${dir}/etc/c`, 'session optional pam_exec.so quiet /bin/true\nsession required pam_env.so user_readenv=1\n');
    expect(exposed(dirs, hook)).toEqual(['a:/etc/a:2', 'b:/etc/b:2']);
  });

  it('counts a file the hook is about to be added to as running it', () => {
    const { dirs, hook } = setup();
    writeFileSync(`${dir}/etc/common-auth`, 'auth required pam_permit.so\n');
    writeFileSync(`${dir}/etc/login`, '@include common-auth\nsession required pam_env.so user_readenv=1\n');
    expect(exposed(dirs, hook)).toEqual([]);
    expect(exposed(dirs, hook, [`${dir}/etc/common-auth`])).toEqual(['login:/etc/login:2']);
  });
});
