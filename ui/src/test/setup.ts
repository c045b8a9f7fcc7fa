import { cleanup } from '@testing-library/react';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach } from 'vitest';

// Vitest reuses one jsdom window per file: unmount what a test rendered and drop its IPC mock before the next.
afterEach(() => {
  cleanup();
  clearMocks();
});
