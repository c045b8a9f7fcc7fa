import type { CommandError, RelayUseView, Verification, VerifyEventView, VerifyStep } from '../api';

/** A verification as the screen shows it while it runs, built from the streamed events, then its result. */
export interface VerifyProgress {
  /** The steps in the order they first appeared; a step reported again keeps its place. */
  steps: VerifyStep[];
  relay: RelayUseView | null;
  /** Manual mode: the ticket the admin must reply to, until the reply step ends. */
  awaitingTicket: number | null;
  running: boolean;
  result: Verification | null;
  /** The verification could not run at all (not connected, the data folder unreadable). */
  error: CommandError | null;
}

export function startProgress(): VerifyProgress {
  return { steps: [], relay: null, awaitingTicket: null, running: true, result: null, error: null };
}

/** Folds one streamed event into the progress. */
export function applyVerifyEvent(progress: VerifyProgress, event: VerifyEventView): VerifyProgress {
  switch (event.kind) {
    case 'relay':
      return { ...progress, relay: event.relay };
    case 'awaitingReply':
      return { ...progress, awaitingTicket: event.ticketId };
    case 'step': {
      const index = progress.steps.findIndex((step) => step.id === event.step.id);
      const steps =
        index === -1
          ? [...progress.steps, event.step]
          : progress.steps.map((step, position) => (position === index ? event.step : step));
      const replyEnded = event.step.id === 'reply' && event.step.state !== 'running';
      return { ...progress, steps, awaitingTicket: replyEnded ? null : progress.awaitingTicket };
    }
  }
}

/** The result in the shape of a finished run, so the last kept verification and a new one show alike. */
export function finished(result: Verification): VerifyProgress {
  return {
    steps: result.steps,
    relay: result.relay,
    awaitingTicket: null,
    running: false,
    result,
    error: null,
  };
}

/** "412 ms", "3.4 s", "1 min 5 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  if (ms < 60_000) {
    return `${(ms / 1000).toFixed(1)} s`;
  }
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** The first step that failed, if one did. */
export function failedStep(steps: readonly VerifyStep[]): VerifyStep | null {
  return steps.find((step) => step.state === 'failed') ?? null;
}
