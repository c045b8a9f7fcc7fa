import { useCallback, useEffect, useRef, useState } from 'react';
import { CommandError } from '../api';

/**
 * A value the screen keeps fresh: still loading, loaded (with the error of the last refresh, if it failed, so the
 * last good value stays on screen), or failed before anything loaded.
 */
export type Live<T> =
  | { state: 'loading' }
  | { state: 'ready'; value: T; error: CommandError | null }
  | { state: 'failed'; error: CommandError };

/**
 * Loads with `load` now and every `everyMs` while the component is shown; `null` loads nothing. A new `load`
 * (another session selected) starts over. A refresh never overlaps the previous one, and answers that arrive
 * after the component is gone are dropped. `refresh` loads again at once (after an action changed the data); `busy`
 * is true while a load runs.
 */
export function useLive<T>(
  load: (() => Promise<T>) | null,
  everyMs: number,
): { live: Live<T>; refresh: () => void; busy: boolean } {
  const [live, setLive] = useState<Live<T>>({ state: 'loading' });
  const [busy, setBusy] = useState(false);
  const tick = useRef<() => void>(() => undefined);

  useEffect(() => {
    setLive({ state: 'loading' });
    if (load === null) {
      tick.current = () => undefined;
      return undefined;
    }
    let gone = false;
    let running = false;
    const run = () => {
      if (running) {
        return;
      }
      running = true;
      setBusy(true);
      load().then(
        (value) => {
          running = false;
          if (!gone) {
            setBusy(false);
            setLive({ state: 'ready', value, error: null });
          }
        },
        (raw: unknown) => {
          running = false;
          if (!gone) {
            setBusy(false);
            const error = CommandError.from(raw);
            setLive((previous) => (previous.state === 'ready' ? { ...previous, error } : { state: 'failed', error }));
          }
        },
      );
    };
    tick.current = run;
    run();
    const timer = setInterval(run, everyMs);
    return () => {
      gone = true;
      clearInterval(timer);
    };
  }, [load, everyMs]);

  const refresh = useCallback(() => {
    tick.current();
  }, []);
  return { live, refresh, busy };
}
