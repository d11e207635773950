import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { sessionsCheckpointPath } from './checkpoint-file.ts';
import { asNobody, isRoot } from '../../test/helpers/as-nobody.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const scratch = () => (dir = mkdtempSync(`${tmpdir()}/ls-place-`));
const modeOf = (path: string) => lstatSync(path).mode & 0o7777;

// Root and another user: this test process runs as root, and plays the other user (as-nobody.ts).

describe.runIf(isRoot)('sessionsCheckpointPath() for root', () => {
  it('creates a missing state directory 0755 and keeps the checkpoint there, whatever HOME says', () => {
    const state = `${scratch()}/state`;
    mkdirSync(`${dir}/home`);
    expect(sessionsCheckpointPath(state, { HOME: `${dir}/home` })).toEqual({ path: `${state}/sessions.checkpoint` });
    expect(lstatSync(state).isDirectory()).toBe(true);
    expect(modeOf(state)).toBe(0o755);
    expect(existsSync(`${dir}/home/.cache`)).toBe(false);
  });

  it('keeps none when the state directory cannot be made, and never falls back to HOME', () => {
    const state = `${scratch()}/missing/state`;
    mkdirSync(`${dir}/home`);
    expect(sessionsCheckpointPath(state, { HOME: `${dir}/home`, XDG_CACHE_HOME: `${dir}/home/.cache` })).toEqual({
      path: null,
      why: `cannot create ${state}: its parent directory is missing (root keeps it in the state directory only, never under HOME)`,
    });
    expect(existsSync(`${dir}/missing`)).toBe(false);
    expect(existsSync(`${dir}/home/.cache`)).toBe(false);
  });

  it('refuses a state directory that is a link, or not its own, without following or changing it', () => {
    const target = `${scratch()}/elsewhere`;
    mkdirSync(target, { mode: 0o700 });
    symlinkSync(target, `${dir}/state`);
    expect(sessionsCheckpointPath(`${dir}/state`, {})).toEqual({
      path: null,
      why: `${dir}/state is a symbolic link (root keeps it in the state directory only, never under HOME)`,
    });
    expect(modeOf(target)).toBe(0o700);
    chmodSync(dir, 0o755);
    mkdirSync(`${dir}/theirs`);
    chmodSync(`${dir}/theirs`, 0o777);
    asNobody(() => mkdirSync(`${dir}/theirs/state`));
    expect(sessionsCheckpointPath(`${dir}/theirs/state`, {})).toMatchObject({ path: null, why: `${dir}/theirs/state is owned by uid 65534, not by this user (uid 0) (root keeps it in the state directory only, never under HOME)` });
  });
});

describe.runIf(isRoot)('sessionsCheckpointPath() for another user', () => {
  /** A root-owned state directory, and a home of nobody's own. */
  function layout() {
    scratch();
    chmodSync(dir, 0o755);
    mkdirSync(`${dir}/state`, { mode: 0o755 });
    mkdirSync(`${dir}/home`);
    chmodSync(`${dir}/home`, 0o777);
    return { state: `${dir}/state`, home: `${dir}/home` };
  }

  it('keeps it in the state directory when that is the user\'s own, made if missing', () => {
    scratch();
    chmodSync(dir, 0o777);
    expect(asNobody(() => sessionsCheckpointPath(`${dir}/mine`, {}))).toEqual({ path: `${dir}/mine/sessions.checkpoint` });
    expect(lstatSync(`${dir}/mine`).uid).toBe(65534);
  });

  it('keeps it in $XDG_CACHE_HOME/logsphere, else $HOME/.cache/logsphere (0700), when the state directory is root\'s', () => {
    const { state, home } = layout();
    expect(asNobody(() => sessionsCheckpointPath(state, { HOME: home }))).toEqual({ path: `${home}/.cache/logsphere/sessions.checkpoint` });
    expect(modeOf(`${home}/.cache/logsphere`)).toBe(0o700);
    // A relative XDG_CACHE_HOME is no cache directory (the XDG rule): HOME's is taken.
    expect(asNobody(() => sessionsCheckpointPath(state, { HOME: home, XDG_CACHE_HOME: 'relative' }))).toEqual({ path: `${home}/.cache/logsphere/sessions.checkpoint` });
    expect(asNobody(() => sessionsCheckpointPath(state, { HOME: home, XDG_CACHE_HOME: `${home}/xdg` }))).toEqual({ path: `${home}/xdg/logsphere/sessions.checkpoint` });
  });

  it('keeps none, saying why, with neither a state directory of its own nor a cache directory', () => {
    const { state } = layout();
    expect(asNobody(() => sessionsCheckpointPath(`${state}/sub`, {}))).toEqual({
      path: null,
      why: `cannot create or use ${state}/sub: permission denied (EACCES), and neither XDG_CACHE_HOME nor HOME names a cache directory`,
    });
    expect(asNobody(() => sessionsCheckpointPath(state, { HOME: '/nonexistent' }))).toEqual({
      path: null,
      why: `${state} is owned by uid 0, not by this user (uid 65534), and cannot create /nonexistent/.cache: its parent directory is missing`,
    });
  });
});
