import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// The build goes straight into the Go package that embeds it, so that a
// fresh clone builds without Node. No inline scripts (the server's CSP
// forbids them): the module-preload polyfill is off.
export default defineConfig({
  plugins: [preact()],
  build: {
    outDir: '../internal/webui/dist',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1500,
    sourcemap: false,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:18080' } },
  test: { environment: 'jsdom', globals: true, include: ['src/**/*.test.ts', 'src/**/*.test.tsx'] },
});
