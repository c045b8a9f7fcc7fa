/** The console's screens, in the order an admin meets them (SPEC §13), as the navigation lists them. */
export type ScreenId = 'connect' | 'setup' | 'ai-fields' | 'relay' | 'verify' | 'troubleshoot' | 'settings';

/** One screen: its id (also the suffix of its `nav-<id>` test id) and title. */
export interface Screen {
  id: ScreenId;
  title: string;
}

export const SCREENS: readonly Screen[] = [
  { id: 'connect', title: 'Connect' },
  { id: 'setup', title: 'Setup' },
  { id: 'ai-fields', title: 'AI Fields' },
  { id: 'relay', title: 'Relay' },
  { id: 'verify', title: 'Verify' },
  { id: 'troubleshoot', title: 'Troubleshoot' },
  { id: 'settings', title: 'Settings' },
];
