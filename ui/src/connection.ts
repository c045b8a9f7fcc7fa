import type { CommandError, ConnectionView } from './api';

/** What the app knows of the saved connection: still asking, could not tell, or the answer (`null` = none saved). */
export type ConnectionState =
  | { state: 'loading' }
  | { state: 'failed'; error: CommandError }
  | { state: 'ready'; connection: ConnectionView | null };
