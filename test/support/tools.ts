// Finds the external tools the interop tests use. Outside CI a missing tool skips its tests with one
// line naming the install command; with CI=true a missing tool is an error, so CI never goes green
// without running them.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const announced = new Set<string>();

function onPath(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The path of a tool, or undefined when it is missing outside CI. `install` is the command that
 * provides it (printed when it is missing).
 */
export function tool(name: string, install: string): string | undefined {
  const found = onPath(name) ?? (existsSync(`/usr/sbin/${name}`) ? `/usr/sbin/${name}` : undefined);
  if (found) return found;
  if (process.env.CI === 'true') throw new Error(`${name} is required under CI=true: ${install}`);
  if (!announced.has(name)) {
    announced.add(name);
    console.warn(`skipping tests that need ${name}: install it with \`${install}\``);
  }
  return undefined;
}

const APT = (pkg: string) => `apt-get install -y ${pkg}`;

export const tools = {
  readelf: () => tool('readelf', APT('binutils')),
  euReadelf: () => tool('eu-readelf', APT('elfutils')),
  gdb: () => tool('gdb-multiarch', APT('gdb-multiarch')),
  vmcoreDmesg: () => tool('vmcore-dmesg', APT('kexec-tools')),
  dtc: () => tool('dtc', APT('device-tree-compiler')),
  /** Debian's headless Chromium, driven by playwright-core in the report tests. */
  chromium: () => tool('chromium-headless-shell', APT('--no-install-recommends chromium-headless-shell')),
  /** The ppc64el makedumpfile under qemu-user; needs its sysroot prepared (scripts/makedumpfile-ppc64le --setup). */
  makedumpfile: (): string | undefined => makedumpfileFrom('bookworm'),
  /**
   * Trixie's makedumpfile 1.7.6, the first Debian release that reads the vmemmap of ppc64 kernels 6.9
   * and later (NUMBER(VMALLOC_START)); run it as `env MAKEDUMPFILE_SUITE=trixie <script>`.
   */
  makedumpfileTrixie: (): string | undefined => makedumpfileFrom('trixie'),
  /** The ppc64el crash under qemu-user; needs its sysroot prepared (scripts/crash-ppc64le --setup). */
  crash: (): string | undefined => {
    const script = join(REPO, 'scripts', 'crash-ppc64le');
    if (
      onPath('qemu-ppc64le-static') &&
      existsSync(join(cacheDir(), 'ppc64el-crash-sysroot', 'usr', 'bin', 'crash'))
    )
      return script;
    return tool('crash-ppc64le (sysroot)', `${script} --setup (as root)`);
  },
};

/** Where the ppc64el sysroots are prepared (the scripts' $FADUMP_SIM_CACHE). */
function cacheDir(): string {
  return (
    process.env.FADUMP_SIM_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '/root', '.cache'), 'fadump-sim')
  );
}

/**
 * One crash session in --minimal mode (the only mode a model's dump allows): `commands` on stdin,
 * the output less the banner crash prints first ("NOTE: minimal mode commands: …" and a blank line).
 */
export function crashMinimal(vmlinux: string, vmcore: string, commands: readonly string[]): string {
  const script = tools.crash();
  if (!script) throw new Error('crash is not prepared');
  const r = spawnSync(script, ['-s', '--minimal', vmlinux, vmcore], {
    encoding: 'utf8',
    input: `${[...commands, 'exit'].join('\n')}\n`,
    timeout: 120_000,
    maxBuffer: 2 ** 27,
  });
  if (r.status !== 0) throw new Error(`crash exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout.replace(/^NOTE: minimal mode commands:.*\n\n/, '');
}

/** The makedumpfile-ppc64le script when the sysroot of that Debian suite is prepared. */
function makedumpfileFrom(suite: 'bookworm' | 'trixie'): string | undefined {
  const script = join(REPO, 'scripts', 'makedumpfile-ppc64le');
  const cache = cacheDir();
  const root = suite === 'bookworm' ? 'ppc64el-sysroot' : `ppc64el-sysroot-${suite}`;
  if (onPath('qemu-ppc64le-static') && existsSync(join(cache, root, 'usr', 'bin', 'makedumpfile')))
    return script;
  return tool(
    `makedumpfile-ppc64le (${suite} sysroot)`,
    `MAKEDUMPFILE_SUITE=${suite} ${script} --setup (as root)`,
  );
}

/** Runs makedumpfile of that Debian suite (its sysroot must be prepared; see tools.makedumpfile*). */
export function makedumpfile(
  suite: 'bookworm' | 'trixie',
  args: readonly string[],
): { code: number | null; out: string } {
  const script = makedumpfileFrom(suite);
  if (!script) throw new Error(`makedumpfile (${suite}) is not prepared`);
  const r = spawnSync(script, args, {
    encoding: 'utf8',
    timeout: 300_000,
    maxBuffer: 2 ** 27,
    env: { ...process.env, MAKEDUMPFILE_SUITE: suite },
  });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.replaceAll('\r', '\n') };
}

/**
 * A log as makedumpfile 1.7.3 and later print it, less the caller id they add after the timestamp
 * when VMCOREINFO exports printk_info.caller_id ("[    0.000000] [      T0] Linux version …"),
 * which vmcore-dmesg 2.0.26 and makedumpfile 1.7.2 do not print.
 */
export function withoutCaller(log: string): string {
  return log.replace(/^(\[[ \d.]+\]) \[ *[TC]\d+\] /gm, '$1 ');
}
