import { cleanup } from '@testing-library/react';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach } from 'vitest';

// jsdom has no `matchMedia`; Garden asks it for the preferred color scheme when its module loads. The answer is
// "no preference matches", which is the light theme the console uses.
if (typeof window.matchMedia !== 'function') {
  const noPreference = (query: string) =>
    Object.assign(new EventTarget(), { matches: false, media: query, onchange: null }) as unknown as MediaQueryList;
  window.matchMedia = noPreference;
}

// jsdom does no layout, so it has no `scrollIntoView`; the console calls it to bring progress into view. Tests
// record the calls instead.
if (typeof Element.prototype.scrollIntoView !== 'function') {
  Element.prototype.scrollIntoView = function scrollIntoView() {
    scrolledIntoView.push(this);
  };
}

/** The elements the console scrolled into view, in order (jsdom cannot scroll). */
export const scrolledIntoView: Element[] = [];

// Vitest reuses one jsdom window per file: unmount what a test rendered and drop its IPC mock before the next.
afterEach(() => {
  cleanup();
  clearMocks();
  scrolledIntoView.length = 0;
});
