import { useState } from 'react';
import { CommandError, getConnection, type CheckEvent, type ConnectionView, type VerifyReport } from '../api';
import { upsertCheck } from './CheckList';
import type { Outcome } from './VerifyOutcome';

/** A command that streams its checks to `onCheck` and ends with the report: "Verify & Save", "Sign in with Zendesk". */
export type CheckCommand = (onCheck: (event: CheckEvent) => void) => Promise<VerifyReport>;

/** One form's run of a check command: its checks as they arrive, whether it runs, and how it ended. */
export interface CheckRun {
  running: boolean;
  checks: CheckEvent[];
  outcome: Outcome;
  /** Runs `command` from a clean slate; calls `onConnected` once the connection is saved and read. */
  start: (command: CheckCommand) => Promise<void>;
  /** Reports a failure beside the run (cancelling it, say) as the run's outcome. */
  fail: (raw: unknown) => void;
}

/**
 * Runs a check command and reports it: each streamed check updates the list in place, the report then replaces the
 * list, and a run that did not connect ends as "Nothing was saved" or with the command's error.
 */
export function useCheckRun(onConnected: (connection: ConnectionView) => void): CheckRun {
  const [running, setRunning] = useState(false);
  const [checks, setChecks] = useState<CheckEvent[]>([]);
  const [outcome, setOutcome] = useState<Outcome>({ state: 'none' });

  async function start(command: CheckCommand) {
    setRunning(true);
    setChecks([]);
    setOutcome({ state: 'none' });
    try {
      const report = await command((check) => {
        setChecks((previous) => upsertCheck(previous, check));
      });
      // The report's list is the final word: it holds every check even if an event was missed.
      setChecks(report.checks);
      // A save that did not send the connection back is read back rather than assumed.
      const connection = report.saved ? (report.connection ?? (await getConnection())) : null;
      setRunning(false);
      if (connection !== null) {
        onConnected(connection);
      } else if (report.saved) {
        setOutcome({
          state: 'failed',
          error: new CommandError('internal', 'The connection was saved but could not be read back. Restart the app.'),
        });
      } else {
        setOutcome({ state: 'not_saved' });
      }
    } catch (raw) {
      setRunning(false);
      setOutcome({ state: 'failed', error: CommandError.from(raw) });
    }
  }

  function fail(raw: unknown) {
    setOutcome({ state: 'failed', error: CommandError.from(raw) });
  }

  return { running, checks, outcome, start, fail };
}
