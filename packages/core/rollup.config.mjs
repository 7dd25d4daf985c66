import { packageConfig } from '../../scripts/rollup.mjs';

export default packageConfig(import.meta.dirname, {
  entries: { index: 'src/index.ts', testing: 'src/testing/index.ts' },
  formats: ['esm', 'cjs'],
});
