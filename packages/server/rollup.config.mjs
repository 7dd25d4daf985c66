import { packageConfig } from '../../scripts/rollup.mjs';

export default packageConfig(import.meta.dirname, {
  entries: { index: 'src/index.ts', cli: 'src/cli.ts', 'ws-echo': 'src/ws-echo.ts' },
  formats: ['esm'],
  banner: { cli: '#!/usr/bin/env node', 'ws-echo': '#!/usr/bin/env node' },
});
