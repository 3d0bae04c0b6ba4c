// `npm run build`: tsc -p tsconfig.build.json, then the same bookkeeping as
// the build `npm start` and `npm test` do (the bin made executable, the build
// stamp written), so a later `npm start` sees dist/ is fresh and starts at
// once instead of building again.
import { ensureBuild } from './lib/setup.mjs';

process.exit(await ensureBuild({ force: true }));
