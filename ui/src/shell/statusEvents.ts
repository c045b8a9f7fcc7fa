/**
 * Screens tell the status bar that something it shows has changed (the checklist was read again, the relay started
 * or stopped), so it reads the app again at once rather than at its next tick and never contradicts the screen.
 */
const listeners = new Set<() => void>();

/** Runs `listener` on every change until the returned function is called. */
export function subscribeStatus(listener: () => void): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

export function statusChanged(): void {
  for (const listener of listeners) {
    listener();
  }
}
