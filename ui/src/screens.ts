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
  {
    id: 'verify',
    title: 'Verify',
    upcoming:
      'Verify will prove the whole loop with one click: a test conversation is handed off, a reply is posted in ' +
      'Zendesk and travels back to the session, each step timed, with the cause and the fix when one fails.',
  },
  {
    id: 'troubleshoot',
    title: 'Troubleshoot',
    upcoming:
      'Troubleshoot will list the common symptoms, such as failing credentials, no ticket on handoff or replies not ' +
      'reaching the customer; opening one runs its probes and answers with the cause, the fix and an action.',
  },
  {
    id: 'settings',
    title: 'Settings',
    upcoming:
      'Settings will hold the tag prefix, tickets for every conversation, the default assignee, the channel ' +
      'delivery URL, the AI field filler endpoint, key rotation, and the data and logs folders.',
  },
];
