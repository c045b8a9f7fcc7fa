import type { ChecklistItem, FixView } from '../api';
import type { ScreenId } from '../screens';

/**
 * What an item's fix button does:
 * - `setup`: runs setup with the fix's scope (a consent first for Zendesk's own triggers);
 * - `navigate`: opens the screen where the admin fixes it (start the relay, sign in again, map fields...);
 * - `explain`: shows how to fix it by hand, with the command that does it;
 * - `refresh`: reads the checklist again.
 */
export type FixPlan =
  | { kind: 'setup'; scope: string; label: string; consent: boolean }
  | { kind: 'navigate'; screen: ScreenId; label: string }
  | { kind: 'explain'; label: string; text: string }
  | { kind: 'refresh'; label: string };

const SETUP_LABELS: Record<string, string> = {
  all: 'Run setup',
  webhook: 'Repair webhook',
  trigger: 'Repair trigger',
  'signing-secret': 'Fetch signing secret',
  'double-delivery': 'Add the guard…',
};

/** The button an item's fix becomes. */
export function planFix(fix: FixView): FixPlan {
  if (fix.scope !== null) {
    return {
      kind: 'setup',
      scope: fix.scope,
      label: SETUP_LABELS[fix.scope] ?? 'Repair',
      consent: fix.scope === 'double-delivery',
    };
  }
  switch (fix.id) {
    case 'serve':
      return { kind: 'navigate', screen: 'relay', label: 'Start the relay' };
    case 'connect':
      return { kind: 'navigate', screen: 'connect', label: 'Sign in again' };
    case 'connect:oauth':
      return { kind: 'navigate', screen: 'connect', label: 'Move to OAuth' };
    case 'fields':
      return { kind: 'navigate', screen: 'ai-fields', label: 'Open AI Fields' };
    case 'verify':
      return { kind: 'navigate', screen: 'verify', label: 'Open Verify' };
    case 'refresh':
      return { kind: 'refresh', label: 'Check again' };
    case 'config:public-url':
      return { kind: 'navigate', screen: 'settings', label: 'Set the public URL' };
    default:
      return { kind: 'explain', label: 'How to fix', text: 'Run the command below from a terminal.' };
  }
}

/** Whether something setup makes is missing (then "Create for me" leads the screen). */
export function anythingMissing(items: readonly ChecklistItem[]): boolean {
  return items.some((item) => item.fix?.id === 'setup');
}
