import { packageConfig } from '../../scripts/rollup.mjs';
import { webConfig } from './web/rollup.web.mjs';

export default [
  ...packageConfig(import.meta.dirname, {
    entries: { index: 'src/index.ts', cli: 'src/cli.ts', 'ws-echo': 'src/ws-echo.ts' },
    formats: ['esm'],
    banner: { cli: '#!/usr/bin/env node', 'ws-echo': '#!/usr/bin/env node' },
  }),
  // The demo web app served at `/` (docs/demo.md).
  webConfig(import.meta.dirname),
];
