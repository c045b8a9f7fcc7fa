/** The console's screens, in the order an admin meets them (SPEC §13), as the navigation lists them. */
export type ScreenId = 'connect' | 'setup' | 'ai-fields' | 'relay' | 'verify' | 'troubleshoot' | 'settings';

/** One screen: its id (also the suffix of its `nav-<id>` test id), title, and for screens not built yet, what it will hold. */
export interface Screen {
  id: ScreenId;
  title: string;
  /** One or two sentences on what the screen will hold; `null` for screens that are available. */
  upcoming: string | null;
}

export const SCREENS: readonly Screen[] = [
  { id: 'connect', title: 'Connect', upcoming: null },
  { id: 'setup', title: 'Setup', upcoming: null },
  {
    id: 'ai-fields',
    title: 'AI Fields',
    upcoming: null,
  },
  { id: 'relay', title: 'Relay', upcoming: null },
  { id: 'verify', title: 'Verify', upcoming: null },
  {
    id: 'troubleshoot',
    title: 'Troubleshoot',
    upcoming:
      'Troubleshoot will list the common symptoms, such as failing credentials, no ticket on handoff or replies not ' +
      'reaching the customer; opening one runs its probes and answers with the cause, the fix and an action.',
  },
  { id: 'settings', title: 'Settings', upcoming: null },
];
