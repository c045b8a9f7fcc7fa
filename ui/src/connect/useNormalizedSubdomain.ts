import { useEffect, useState } from 'react';
import { CommandError, normalizeSubdomain } from '../api';

/** How long typing must pause before the subdomain is normalized: quick enough to feel live. */
export const SUBDOMAIN_DEBOUNCE_MS = 150;

/** The subdomain field's live answer: nothing typed, the account's host, or why it is not a subdomain. */
export type Normalized = { state: 'none' } | { state: 'host'; host: string } | { state: 'invalid'; message: string };

/** Asks the app to normalize `input` once typing pauses; an answer for an older input never replaces a newer one. */
export function useNormalizedSubdomain(input: string): Normalized {
  const [normalized, setNormalized] = useState<Normalized>({ state: 'none' });
  const trimmed = input.trim();
  useEffect(() => {
    if (trimmed === '') {
      setNormalized({ state: 'none' });
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      normalizeSubdomain(trimmed).then(
        (result) => {
          if (current) setNormalized({ state: 'host', host: result.host });
        },
        (raw: unknown) => {
          if (current) setNormalized({ state: 'invalid', message: CommandError.from(raw).message });
        },
      );
    }, SUBDOMAIN_DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [trimmed]);
  return normalized;
}
