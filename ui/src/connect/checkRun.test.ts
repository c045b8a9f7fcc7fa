import { act, renderHook } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { CommandError, type CheckEvent, type VerifyReport } from '../api';
import { CONNECTION, callsOf, check, deferred, mockCommands } from '../test/ipc';
import { useCheckRun, type CheckCommand } from './checkRun';

const SUBDOMAIN_RUNNING = check('subdomain', 'Subdomain', 'running');
const SUBDOMAIN_PASSED = check('subdomain', 'Subdomain', 'passed', 'acme.zendesk.com is a Zendesk account');
const CREDENTIALS_RUNNING = check('credentials', 'Credentials', 'running');
const CREDENTIALS_FAILED = check('credentials', 'Credentials', 'failed');

/** A command the test drives: it streams what the test sends and ends when the test settles `report`. */
function drivenCommand() {
  const report = deferred<VerifyReport>();
  const sent: { onCheck: (event: CheckEvent) => void } = { onCheck: () => undefined };
  const command: CheckCommand = (onCheck) => {
    sent.onCheck = onCheck;
    return report.promise;
  };
  return {
    command,
    report,
    send(event: CheckEvent) {
      sent.onCheck(event);
    },
  };
}

function renderRun() {
  const onConnected = vi.fn();
  const { result } = renderHook(() => useCheckRun(onConnected));
  return { result, onConnected };
}

describe('useCheckRun', () => {
  it('shows each streamed check in its place, then the report replaces the list and the connection is passed on', async () => {
    const spy = mockCommands({});
    const { result, onConnected } = renderRun();
    const driven = drivenCommand();

    let finished: Promise<void> = Promise.resolve();
    act(() => {
      finished = result.current.start(driven.command);
    });
    expect(result.current.running).toBe(true);
    act(() => {
      driven.send(SUBDOMAIN_RUNNING);
      driven.send(CREDENTIALS_RUNNING);
      driven.send(SUBDOMAIN_PASSED);
    });
    expect(result.current.checks).toEqual([SUBDOMAIN_PASSED, CREDENTIALS_RUNNING]);

    const finalChecks = [SUBDOMAIN_PASSED, check('credentials', 'Credentials', 'passed')];
    await act(async () => {
      driven.report.resolve({ saved: true, checks: finalChecks, connection: CONNECTION });
      await finished;
    });

    expect(result.current.running).toBe(false);
    expect(result.current.checks).toEqual(finalChecks);
    expect(result.current.outcome).toEqual({ state: 'none' });
    expect(onConnected).toHaveBeenCalledWith(CONNECTION);
    expect(callsOf(spy, 'get_connection')).toEqual([]);
  });

  it('reads the connection back when the save did not send it', async () => {
    const spy = mockCommands({ get_connection: () => CONNECTION });
    const { result, onConnected } = renderRun();

    await act(() => result.current.start(() => Promise.resolve({ saved: true, checks: [], connection: null })));

    expect(callsOf(spy, 'get_connection')).toEqual([{}]);
    expect(onConnected).toHaveBeenCalledWith(CONNECTION);
    expect(result.current.outcome).toEqual({ state: 'none' });
  });

  it('says the connection could not be read back when it was saved but is not there', async () => {
    mockCommands({ get_connection: () => null });
    const { result, onConnected } = renderRun();

    await act(() => result.current.start(() => Promise.resolve({ saved: true, checks: [], connection: null })));

    expect(onConnected).not.toHaveBeenCalled();
    expect(result.current.running).toBe(false);
    expect(result.current.outcome).toEqual({
      state: 'failed',
      error: new CommandError('internal', 'The connection was saved but could not be read back. Restart the app.'),
    });
  });

  it('ends as "Nothing was saved" when a required check failed', async () => {
    mockCommands({});
    const { result, onConnected } = renderRun();

    await act(() =>
      result.current.start(() => Promise.resolve({ saved: false, checks: [CREDENTIALS_FAILED], connection: null })),
    );

    expect(onConnected).not.toHaveBeenCalled();
    expect(result.current.running).toBe(false);
    expect(result.current.checks).toEqual([CREDENTIALS_FAILED]);
    expect(result.current.outcome).toEqual({ state: 'not_saved' });
  });

  it("ends with the command's error when it fails, keeping the checks it streamed", async () => {
    mockCommands({});
    const { result } = renderRun();

    await act(() =>
      result.current.start((onCheck) => {
        onCheck(SUBDOMAIN_RUNNING);
        // The wire shape of a failed command: a plain object, not an Error.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        return Promise.reject({ code: 'keychain_unavailable', message: 'no keychain' });
      }),
    );

    expect(result.current.running).toBe(false);
    expect(result.current.checks).toEqual([SUBDOMAIN_RUNNING]);
    const outcome = result.current.outcome;
    expect(outcome.state === 'failed' ? [outcome.error.code, outcome.error.message] : outcome.state).toEqual([
      'keychain_unavailable',
      'no keychain',
    ]);
  });

  it('starts each run from a clean slate', async () => {
    mockCommands({});
    const { result } = renderRun();
    await act(() =>
      result.current.start(() => Promise.resolve({ saved: false, checks: [CREDENTIALS_FAILED], connection: null })),
    );
    const driven = drivenCommand();

    let finished: Promise<void> = Promise.resolve();
    act(() => {
      finished = result.current.start(driven.command);
    });

    expect(result.current.running).toBe(true);
    expect(result.current.checks).toEqual([]);
    expect(result.current.outcome).toEqual({ state: 'none' });
    await act(async () => {
      driven.report.resolve({ saved: false, checks: [], connection: null });
      await finished;
    });
  });

  it('reports a failure beside the run as its outcome', () => {
    mockCommands({});
    const { result } = renderRun();

    act(() => {
      result.current.fail({ code: 'internal', message: 'cannot cancel' });
    });

    expect(result.current.outcome).toEqual({ state: 'failed', error: new CommandError('internal', 'cannot cancel') });
  });
});
