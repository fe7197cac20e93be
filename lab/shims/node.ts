// What the browser build gets for node:fs, node:fs/promises, node:path and node:url: the model touches
// them only when it writes to disk or reads the scenario library from it, which the lab never asks
// for (it runs with no output directory, and the library is bundled). Each export says so if called.

const absent =
  (name: string) =>
  (..._args: unknown[]): never => {
    throw new Error(`${name} is not available in the browser`);
  };

// node:fs
export const closeSync = absent('fs.closeSync');
export const existsSync = absent('fs.existsSync');
export const fstatSync = absent('fs.fstatSync');
export const ftruncateSync = absent('fs.ftruncateSync');
export const openSync = absent('fs.openSync');
export const readdirSync = absent('fs.readdirSync');
export const readFileSync = absent('fs.readFileSync');
export const readSync = absent('fs.readSync');
export const rmSync = absent('fs.rmSync');
export const statfsSync = absent('fs.statfsSync');
export const writeSync = absent('fs.writeSync');
export const writevSync = absent('fs.writevSync');
// node:fs/promises
export const mkdir = absent('fs.mkdir');
export const open = absent('fs.open');
export const rename = absent('fs.rename');
export const rm = absent('fs.rm');
export const stat = absent('fs.stat');
export const utimes = absent('fs.utimes');
export const writeFile = absent('fs.writeFile');
// node:path (POSIX joins are all the model needs of it)
export const basename = (p: string, ext = ''): string => {
  const b = p.slice(p.lastIndexOf('/') + 1);
  return ext && b.endsWith(ext) ? b.slice(0, -ext.length) : b;
};
export const dirname = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) || '/' : '.');
export const join = (...parts: string[]): string => parts.filter((p) => p !== '').join('/');
// node:url
export const fileURLToPath = absent('url.fileURLToPath');
