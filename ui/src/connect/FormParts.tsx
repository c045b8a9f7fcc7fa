import { useId, useState, type ReactNode } from 'react';
import styled from 'styled-components';
import { Button } from '@zendeskgarden/react-buttons';
import { Field, Input, type IInputProps } from '@zendeskgarden/react-forms';
import { Dots } from '@zendeskgarden/react-loaders';
import type { CheckEvent, ConnectionView } from '../api';
import type { CheckRun } from './checkRun';
import { CheckList } from './CheckList';
import type { BoundField, FormFields } from './formFields';
import type { ConnectPrefill } from './prefill';
import { useNormalizedSubdomain } from './useNormalizedSubdomain';
import { VerifyOutcome } from './VerifyOutcome';

/** What each Connect tab is given: the values to start from, and what to do once the connection is saved. */
export interface ConnectTabProps {
  prefill: ConnectPrefill;
  onConnected: (connection: ConnectionView) => void;
}

/** The fields both Connect tabs (OAuth and API token) have. */
type SharedName = 'subdomain' | 'defaultAgentId' | 'baseUrl';

/**
 * The form both Connect tabs are: the subdomain first, then the tab's own fields (`children`), the optional Default
 * Agent, the Advanced base URL override and the submit button. `onSubmit` runs only once every field is valid and
 * while no run is under way. The test ids are `testIdPrefix` and a suffix: on the API token tab `connect-subdomain`,
 * `connect-subdomain-normalized`, `connect-default-agent`, `connect-advanced`, `connect-base-url`, `connect-submit`;
 * on the OAuth tab `connect-oauth-subdomain`, `connect-oauth-subdomain-normalized`, `connect-oauth-default-agent`,
 * `connect-oauth-advanced`, `connect-oauth-base-url`, `connect-oauth-submit`.
 */
export function ConnectFormShell({
  testIdPrefix,
  form,
  running,
  onSubmit,
  autoFocusSubdomain = false,
  agentHint,
  agentBelow,
  submitLabel,
  busyLabel,
  children,
}: {
  testIdPrefix: 'connect' | 'connect-oauth';
  form: Pick<FormFields<Record<SharedName, string>>, 'bind' | 'attemptSubmit'>;
  running: boolean;
  onSubmit: () => void;
  autoFocusSubdomain?: boolean;
  agentHint: string;
  agentBelow?: ReactNode;
  submitLabel: string;
  busyLabel: string;
  children: ReactNode;
}) {
  return (
    <Form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (form.attemptSubmit() && !running) {
          onSubmit();
        }
      }}
      aria-busy={running}
    >
      <SubdomainField
        data-testid={`${testIdPrefix}-subdomain`}
        normalizedTestId={`${testIdPrefix}-subdomain-normalized`}
        autoFocus={autoFocusSubdomain}
        {...form.bind('subdomain')}
      />
      {children}
      <DefaultAgentField
        data-testid={`${testIdPrefix}-default-agent`}
        hint={agentHint}
        {...form.bind('defaultAgentId')}
        below={agentBelow}
      />
      <AdvancedBaseUrl
        toggleTestId={`${testIdPrefix}-advanced`}
        data-testid={`${testIdPrefix}-base-url`}
        {...form.bind('baseUrl')}
      />
      <SubmitButton testId={`${testIdPrefix}-submit`} running={running} label={submitLabel} busyLabel={busyLabel} />
    </Form>
  );
}

type TextFieldProps = Omit<IInputProps, 'validation'> & {
  'data-testid': string;
  label: ReactNode;
  hint?: ReactNode;
  /** The message under the input; the input is marked invalid while there is one. */
  error?: string | undefined;
  /** What shows under the input when there is no message. */
  below?: ReactNode;
};

/** A labelled input with its hint, and its message once there is one. */
export function TextField({ label, hint, error, below, ...input }: TextFieldProps) {
  return (
    <Field>
      <Field.Label>{label}</Field.Label>
      {hint !== undefined && <Field.Hint>{hint}</Field.Hint>}
      <Input {...input} validation={error === undefined ? undefined : 'error'} />
      {error !== undefined ? <Field.Message validation="error">{error}</Field.Message> : below}
    </Field>
  );
}

/** The subdomain, with the account's host under it once the app has normalized what was typed. */
function SubdomainField({
  normalizedTestId,
  error,
  ...input
}: BoundField & { 'data-testid': string; normalizedTestId: string; autoFocus?: boolean }) {
  const normalized = useNormalizedSubdomain(input.value);
  return (
    <TextField
      label="Subdomain"
      hint="Your account name, for example acme, acme.zendesk.com or its full URL."
      {...input}
      error={error ?? (normalized.state === 'invalid' ? normalized.message : undefined)}
      below={
        normalized.state === 'host' && (
          <Field.Message validation="success" role="status">
            Account: <span data-testid={normalizedTestId}>{normalized.host}</span>
          </Field.Message>
        )
      }
      autoComplete="off"
      spellCheck={false}
    />
  );
}

/** The optional Default Agent ID; `below` answers for it when it is valid. */
function DefaultAgentField({
  hint,
  below,
  ...input
}: BoundField & { 'data-testid': string; hint: string; below?: ReactNode }) {
  return (
    <TextField
      label={
        <>
          Default Agent ID <Optional>(optional)</Optional>
        </>
      }
      hint={hint}
      {...input}
      inputMode="numeric"
      below={below}
      autoComplete="off"
    />
  );
}

/** The "Advanced" toggle and the base URL override it discloses; open from the start when there is an override. */
function AdvancedBaseUrl({
  toggleTestId,
  ...input
}: BoundField & { 'data-testid': string; toggleTestId: string }) {
  const [open, setOpen] = useState(input.value !== '');
  const id = useId();
  return (
    <>
      <div>
        <Button
          isLink
          data-testid={toggleTestId}
          aria-expanded={open}
          aria-controls={id}
          onClick={() => {
            setOpen((previous) => !previous);
          }}
        >
          {open ? '\u25BE' : '\u25B8'} Advanced
        </Button>
      </div>
      <div id={id} hidden={!open}>
        <TextField
          label={
            <>
              Zendesk base URL (simulator or proxy) <Optional>(optional)</Optional>
            </>
          }
          hint="Leave empty to talk to Zendesk itself."
          {...input}
          placeholder="http://127.0.0.1:8080"
          autoComplete="off"
          spellCheck={false}
        />
      </div>
    </>
  );
}

/** The form's primary button: `label`, or `busyLabel` with dots while the run goes on. */
function SubmitButton({
  testId,
  running,
  label,
  busyLabel,
}: {
  testId: string;
  running: boolean;
  label: string;
  busyLabel: string;
}) {
  return (
    <Actions>
      <Button isPrimary type="submit" data-testid={testId} aria-disabled={running}>
        {running ? (
          <>
            {`${busyLabel}\u00A0`}
            <Dots delayMS={0} aria-hidden="true" />
          </>
        ) : (
          label
        )}
      </Button>
    </Actions>
  );
}

/** The run's checks once there are any, and how it ended when it did not connect. */
export function RunReport({ run, fixFor }: { run: CheckRun; fixFor?: (check: CheckEvent) => ReactNode }) {
  return (
    <>
      {run.checks.length > 0 && <CheckList checks={run.checks} finished={!run.running} fixFor={fixFor} />}
      <VerifyOutcome outcome={run.outcome} />
    </>
  );
}

const Form = styled.form`
  display: flex;
  flex-direction: column;
  gap: ${({ theme }) => theme.space.md};
  margin-top: ${({ theme }) => theme.space.md};
  max-width: 480px;
`;

const Actions = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.sm};
  margin-top: ${({ theme }) => theme.space.sm};
`;

export const Optional = styled.span`
  font-weight: ${({ theme }) => theme.fontWeights.regular};
`;
