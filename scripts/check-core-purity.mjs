#!/usr/bin/env node
// Fails when packages/core/src reaches for IO by itself: a Node built-in import, a DOM global, or a
// clock, timer or random global. Core is handed those (see core/src/io.ts); tests and the
// testing/ fakes are exempt only from the Node-import rule where they need it, never the rest.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';

const root = new URL('../packages/core/src/', import.meta.url).pathname;
const builtins = new Set(builtinModules.filter((m) => !m.startsWith('_')));

const rules = [
  {
    name: 'Node built-in import',
    test: (spec) => spec.startsWith('node:') || builtins.has(spec.split('/')[0]),
  },
];
const globals = [
  [/\bDate\.now\s*\(/, 'Date.now() (use the injected Clock)'],
  [/\bnew Date\s*\(\s*\)/, 'new Date() (use the injected Clock)'],
  [/\bperformance\.now\s*\(/, 'performance.now() (use the injected Clock)'],
  [/\bMath\.random\s*\(/, 'Math.random() (use the injected Random)'],
  [/\bcrypto\.(getRandomValues|randomUUID|subtle)\b/, 'Web Crypto (use the injected Random)'],
  [
    /\b(setTimeout|setInterval|setImmediate|clearTimeout|clearInterval|requestAnimationFrame)\s*\(/,
    'a timer global (use the injected Timers)',
  ],
  [
    /\b(window|document|navigator|localStorage|sessionStorage|indexedDB|location|XMLHttpRequest)\s*[.[]/,
    'a DOM global',
  ],
  [/\bnew\s+WebSocket\s*\(/, 'the WebSocket global (use the injected transport)'],
  [/\bfetch\s*\(/, 'the fetch global (use the injected HTTP function)'],
  [/\bprocess\.(env|exit|nextTick|hrtime|memoryUsage|on)\b/, 'the Node process global'],
  [/\b(require|__dirname|__filename|Buffer)\b\s*[.(]/, 'a Node-only global'],
];

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (name.endsWith('.ts')) yield path;
  }
}

// Strip comments and string contents so that prose ("call fetch() yourself") is not flagged.
function code(text) {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/\/\/.*$/gm, '')
    .replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g, "''");
}

const problems = [];
for (const file of walk(root)) {
  const rel = relative(root, file);
  const isTest = /\.(test|bench)\.ts$/.test(file);
  const text = readFileSync(file, 'utf8');
  const importRe = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (!isTest && rules[0].test(spec)) problems.push(`${rel}: imports ${spec} (${rules[0].name})`);
  }
  if (isTest) continue;
  const lines = code(text).split('\n');
  lines.forEach((line, i) => {
    for (const [re, what] of globals) if (re.test(line)) problems.push(`${rel}:${i + 1}: uses ${what}`);
  });
}

if (problems.length > 0) {
  console.error(`packages/core must stay pure; found ${problems.length} problem(s):`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log('core purity: ok (no Node import, DOM, clock, timer or random global in packages/core/src)');
