import { defineConfig } from 'vitest/config';

// Tauri runs the dev server on a fixed port and shows its own errors, so Vite must neither pick another port
// nor clear the terminal. The window is WebKitGTK on Linux (Safari 13 level), which sets the build target.
const tauriDevHost = process.env.TAURI_DEV_HOST;

export default defineConfig({
  clearScreen: false,
  envPrefix: ['VITE_', 'TAURI_ENV_*'],
  // No React plugin: esbuild compiles TSX with the automatic JSX runtime.
  esbuild: { jsx: 'automatic' },
  server: {
    port: 1420,
    strictPort: true,
    host: tauriDevHost || false,
    hmr: tauriDevHost ? { protocol: 'ws', host: tauriDevHost, port: 1421 } : undefined,
  },
  build: {
    outDir: 'dist',
    target: 'safari13',
    sourcemap: false,
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
