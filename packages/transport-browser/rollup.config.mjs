import { packageConfig } from '../../scripts/rollup.mjs';

export default packageConfig(import.meta.dirname, {
  entries: { index: 'src/index.ts' },
  formats: ['esm'],
});
