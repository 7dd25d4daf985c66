// Shared rollup setup: every package builds its entry points with esbuild (fast, no type check:
// `tsc -b` does that) and bundles its declarations with rollup-plugin-dts. Dependencies and Node
// built-ins stay external, so a package ships only its own code.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { resolve } from 'node:path';
import { dts } from 'rollup-plugin-dts';
import esbuild from 'rollup-plugin-esbuild';

/**
 * @param {string} dir package directory
 * @param {{ entries: Record<string, string>, formats: ('esm' | 'cjs')[], banner?: Record<string, string> }} opts
 */
export function packageConfig(dir, { entries, formats, banner = {} }) {
  const pkg = JSON.parse(readFileSync(resolve(dir, 'package.json'), 'utf8'));
  const deps = [
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.peerDependencies ?? {}),
    ...builtinModules,
  ];
  const external = (id) => id.startsWith('node:') || deps.some((d) => id === d || id.startsWith(`${d}/`));
  const input = Object.fromEntries(Object.entries(entries).map(([name, file]) => [name, resolve(dir, file)]));
  const js = {
    input,
    external,
    plugins: [esbuild({ target: 'node20', tsconfig: resolve(dir, 'tsconfig.json') })],
    output: formats.map((format) => ({
      dir: resolve(dir, 'dist'),
      format,
      entryFileNames: format === 'cjs' ? '[name].cjs' : '[name].js',
      chunkFileNames: format === 'cjs' ? 'chunks/[name]-[hash].cjs' : 'chunks/[name]-[hash].js',
      banner: (chunk) => banner[chunk.name] ?? '',
      sourcemap: false,
    })),
  };
  const types = {
    input,
    external,
    plugins: [dts({ tsconfig: resolve(dir, 'tsconfig.json') })],
    output: formats.map((format) => ({
      dir: resolve(dir, 'dist'),
      format: 'es',
      entryFileNames: format === 'cjs' ? '[name].d.cts' : '[name].d.ts',
      chunkFileNames: format === 'cjs' ? 'chunks/[name]-[hash].d.cts' : 'chunks/[name]-[hash].d.ts',
    })),
  };
  return [js, types];
}
