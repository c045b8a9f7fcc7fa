import { useState, type ReactNode } from 'react';
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Button } from '@zendeskgarden/react-buttons';
import { Field } from '@zendeskgarden/react-forms';
import { CommandError, resetSigningSecret, rotateUrlKey, type UrlKeyRotation } from '../api';

type Action<T> = { state: 'idle' } | { state: 'running' } | { state: 'done'; value: T } | { state: 'failed'; message: string };

/**
 * The relay's keys and the console's credentials: a new webhook URL key (the old URL keeps opening for the grace
 * period while our webhook moves to the new URL), a reset of Zendesk's signing secret (accepted at once), and new
 * Zendesk credentials through the Connect form (checked before anything is replaced; the webhook stays as it is).
 */
export function Keys({
  graceHours,
  webhookSetUp,
  demo,
  onRotateCredentials,
}: {
  graceHours: number;
  webhookSetUp: boolean;
  demo: boolean;
  onRotateCredentials: () => void;
}) {
  const [urlKey, setUrlKey] = useState<Action<UrlKeyRotation>>({ state: 'idle' });
  const [secret, setSecret] = useState<Action<string>>({ state: 'idle' });

  async function rotate() {
    if (urlKey.state === 'running') return;
    setUrlKey({ state: 'running' });
    try {
      setUrlKey({ state: 'done', value: await rotateUrlKey() });
    } catch (raw) {
      setUrlKey({ state: 'failed', message: CommandError.from(raw).message });
    }
  }

  async function reset() {
    if (secret.state === 'running') return;
    setSecret({ state: 'running' });
    try {
      const done = await resetSigningSecret();
      setSecret({ state: 'done', value: done.webhookId });
    } catch (raw) {
      setSecret({ state: 'failed', message: CommandError.from(raw).message });
    }
  }

  return (
    <>
      <KeyRow
        title="Webhook URL key"
        text={
          <>
            The webhook URL Zendesk posts to is signed with this key. A new key makes a new URL and moves our webhook in
            Zendesk to it at once; the previous URL keeps working for {graceHours} hours, so deliveries Zendesk already
            queued or retries still arrive.
          </>
        }
        button={
          <Button data-testid="settings-rotate-url-key" aria-disabled={urlKey.state === 'running'} onClick={() => void rotate()}>
            {urlKey.state === 'running' ? 'Rotating…' : 'Rotate the URL key'}
          </Button>
        }
      >
        {urlKey.state === 'done' && (
          <Field.Message validation={urlKey.value.webhook === 'failed' ? 'warning' : 'success'} role="status" data-testid="settings-url-key-result">
            {rotationSentence(urlKey.value)}
          </Field.Message>
        )}
        {urlKey.state === 'failed' && (
          <Field.Message validation="error" role="alert" data-testid="settings-url-key-result">
            {urlKey.message}
          </Field.Message>
        )}
      </KeyRow>

      <KeyRow
        title="Zendesk's signing secret"
        text={
          webhookSetUp
            ? 'Zendesk signs every delivery with our webhook\u2019s secret. A reset makes Zendesk create a new one, which the relay accepts at once; the previous one stays accepted for deliveries already signed.'
            : 'Zendesk signs every delivery with our webhook\u2019s secret. There is no webhook yet: run setup first.'
        }
        button={
          <Button
            data-testid="settings-reset-secret"
            disabled={!webhookSetUp}
            aria-disabled={secret.state === 'running'}
            onClick={() => void reset()}
          >
            {secret.state === 'running' ? 'Resetting…' : 'Reset the signing secret'}
          </Button>
        }
      >
        {secret.state === 'done' && (
          <Field.Message validation="success" role="status" data-testid="settings-secret-result">
            Zendesk made a new signing secret for webhook {secret.value}; the relay checks deliveries with it from now on.
          </Field.Message>
        )}
        {secret.state === 'failed' && (
          <Field.Message validation="error" role="alert" data-testid="settings-secret-result">
            {secret.message}
          </Field.Message>
        )}
      </KeyRow>

      <KeyRow
        title="Zendesk credentials"
        text={
          demo
            ? 'The sandbox account signs in by itself: it has no credentials of yours to rotate.'
            : 'Sign in again with new credentials: OAuth consent again, or a new API token. Every check runs before anything is replaced, the old credentials keep working until then, and the webhook and its URL stay as they are.'
        }
        button={
          <Button data-testid="settings-rotate-credentials" disabled={demo} onClick={onRotateCredentials}>
            Rotate credentials…
          </Button>
        }
      />
    </>
  );
}

function rotationSentence(rotation: UrlKeyRotation): string {
  const until = new Date(rotation.previousValidUntil);
  const when = Number.isNaN(until.getTime())
    ? rotation.previousValidUntil
    : until.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  const start = `New URL ${rotation.url}; the previous one works until ${when}.`;
  switch (rotation.webhook) {
    case 'moved':
      return `${start} Our webhook in Zendesk now posts to the new URL.`;
    case 'not_set_up':
      return `${start} There is no webhook yet: setup makes it at the new URL.`;
    case 'gone':
      return `${start} Our webhook is gone from Zendesk: run setup to make it again at the new URL.`;
    case 'failed':
      return `${start} Zendesk did not take the new URL (${rotation.reason ?? 'no reason given'}): repair the webhook on the Setup screen before the old URL stops working.`;
  }
}

function KeyRow({ title, text, button, children }: { title: string; text: ReactNode; button: ReactNode; children?: ReactNode }) {
  return (
    <Item>
      <div>
        <strong>{title}</strong>
        <Text>{text}</Text>
        {children}
      </div>
      {button}
    </Item>
  );
}

const Item = styled.div`
  display: flex;
  align-items: flex-start;
  justify-content: space-between;
  gap: ${({ theme }) => theme.space.lg};
  padding: ${({ theme }) => theme.space.sm} 0;
  border-bottom: ${({ theme }) => theme.borders.sm} ${({ theme }) => getColor({ theme, variable: 'border.subtle' })};

  &:last-child {
    border-bottom: none;
  }

  > button {
    flex: none;
  }
`;

const Text = styled.div`
  max-width: 640px;
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;
