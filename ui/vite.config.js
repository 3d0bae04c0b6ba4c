import { defineConfig } from 'vite';

// Built with ui/ as the working directory (`npm run build -w ui`). Relative
// asset URLs, so the host can serve the build under any path; no inline
// scripts, so the host's Content-Security-Policy can forbid them.
export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
});
