import { useCallback, useEffect, useState, type FormEvent } from 'react';
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Button } from '@zendeskgarden/react-buttons';
import { Field, Input } from '@zendeskgarden/react-forms';
import { Alert } from '@zendeskgarden/react-notifications';
import { Spinner } from '@zendeskgarden/react-loaders';
import { Tag } from '@zendeskgarden/react-tags';
import { LG, MD } from '@zendeskgarden/react-typography';
import {
  CommandError,
  copyWebhookUrl,
  relayOverview,
  revealWebhookUrl,
  setListenAddress,
  startRelay,
  stopRelay,
  webhookUrl,
  type RelayOverview,
  type RelayStateView,
} from '../api';
import { statusChanged } from '../shell/statusEvents';
import { Deliveries } from './Deliveries';
import { useLive } from './live';

/** How often the relay's state and the delivery stream are read again while the screen is shown. */
export const RELAY_REFRESH_MS = 1500;

const STATE_TAGS: Record<RelayStateView['state'], { label: string; hue: string }> = {
  running: { label: 'Running', hue: 'green' },
  stopped: { label: 'Stopped', hue: 'grey' },
  failed: { label: 'Not running', hue: 'red' },
};

type Busy = 'idle' | 'starting' | 'stopping';

/**
 * The Relay screen's top half, like `stripe listen`: whether the relay runs (it starts with the console once connected;
 * Stop keeps it stopped across launches until Start), where it listens (changed while stopped), its public URL, the signed webhook URL Zendesk posts to (redacted until "Reveal"; "Copy" has the
 * app put it on the clipboard), and the live stream of deliveries, newest first.
 */
export function RelayControls({ refreshEveryMs = RELAY_REFRESH_MS }: { refreshEveryMs?: number }) {
  const { live, refresh } = useLive(relayOverview, refreshEveryMs);
  const [busy, setBusy] = useState<Busy>('idle');
  const [actionError, setActionError] = useState<CommandError | null>(null);
  const [urlVersion, setUrlVersion] = useState(0);

  const act = useCallback(
    async (kind: Exclude<Busy, 'idle'>, action: () => Promise<RelayStateView>) => {
      setBusy(kind);
      setActionError(null);
      try {
        await action();
      } catch (raw) {
        setActionError(CommandError.from(raw));
      } finally {
        setBusy('idle');
        refresh();
        statusChanged();
      }
    },
    [refresh],
  );

  if (live.state === 'loading') {
    return (
      <Card data-testid="relay-controls" aria-labelledby="relay-controls-heading">
        <Heading />
        <Progress role="status">
          <Spinner size="20px" delayMS={0} aria-hidden="true" />
          Reading the relay
        </Progress>
      </Card>
    );
  }
  if (live.state === 'failed') {
    return (
      <Card data-testid="relay-controls" aria-labelledby="relay-controls-heading">
        <Heading />
        <Alert type="error" role="alert" data-testid="relay-error">
          <Alert.Title>The relay could not be read</Alert.Title>
          <Alert.Paragraph>{live.error.message}</Alert.Paragraph>
        </Alert>
      </Card>
    );
  }
  const overview = live.value;
  const relay = overview.relay;
  const tag = STATE_TAGS[relay.state];
  const running = relay.state === 'running';
  return (
    <Card data-testid="relay-controls" aria-labelledby="relay-controls-heading">
      <Head>
        <Heading />
        <span data-testid="relay-state" data-state={relay.state}>
          <Tag hue={tag.hue} size="small">
            {tag.label}
          </Tag>
        </span>
        <Spacer />
        {busy !== 'idle' && (
          <Progress role="status">
            <Spinner size="16px" delayMS={0} aria-hidden="true" />
            {busy === 'starting' ? 'Starting' : 'Stopping'}
          </Progress>
        )}
        {running ? (
          <Button
            data-testid="relay-stop"
            aria-disabled={busy !== 'idle'}
            onClick={() => {
              if (busy === 'idle') {
                void act('stopping', stopRelay);
              }
            }}
          >
            Stop
          </Button>
        ) : (
          <Button
            isPrimary
            data-testid="relay-start"
            aria-disabled={busy !== 'idle'}
            onClick={() => {
              if (busy === 'idle') {
                void act('starting', startRelay);
              }
            }}
          >
            Start
          </Button>
        )}
      </Head>
      <Lead data-testid="relay-lead">
        {running
          ? `Zendesk's deliveries and the AI platform's sessions API are served at http://${relay.address ?? overview.listenAddress}. ` +
            'The relay starts with the console whenever the account is connected; Stop keeps it stopped.'
          : overview.startsWithApp
            ? 'Start the relay to receive Zendesk’s deliveries (reps’ replies) and serve the sessions API from this app.'
            : 'You stopped the relay: Zendesk’s deliveries (reps’ replies) fail until it runs again. It stays stopped, ' +
              'also when the console starts again, until you click Start.'}
      </Lead>

      {actionError !== null ? (
        <Notice type="error" role="alert" data-testid="relay-error">
          <Alert.Title>The relay did not start</Alert.Title>
          <Alert.Paragraph>{sentence(actionError.message)}</Alert.Paragraph>
        </Notice>
      ) : (
        relay.state === 'failed' && (
          <Notice type="error" role="alert" data-testid="relay-error">
            <Alert.Title>The relay is not running</Alert.Title>
            <Alert.Paragraph>{sentence(relay.reason ?? 'It stopped')}</Alert.Paragraph>
          </Notice>
        )
      )}

      <Facts>
        <dt>Listen address</dt>
        <dd>
          <ListenAddress
            overview={overview}
            running={running}
            onSaved={() => {
              refresh();
              setUrlVersion((version) => version + 1);
            }}
          />
        </dd>
        <dt>Public URL</dt>
        <dd>
          <Mono data-testid="relay-public-url">{overview.publicUrl}</Mono>
          {overview.publicUrlIsLocal && (
            <Hint>
              The listen address, which only this machine can reach. For a real Zendesk account, serve it through a
              tunnel or a public address and set it with <code>handoff config set public-url https://…</code>.
            </Hint>
          )}
        </dd>
        <dt>Webhook URL</dt>
        <dd>
          <WebhookUrl version={`${urlVersion}:${overview.publicUrl}`} />
        </dd>
      </Facts>

      <Deliveries deliveries={overview.deliveries} />
    </Card>
  );
}

function Heading() {
  return (
    <LG tag="h2" id="relay-controls-heading" isBold>
      Webhook relay
    </LG>
  );
}

/** The listen address; "Change" (while stopped) opens a field, saved for the next start. */
function ListenAddress({
  overview,
  running,
  onSaved,
}: {
  overview: RelayOverview;
  running: boolean;
  onSaved: () => void;
}) {
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState(overview.listenAddress);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  async function save(event: FormEvent) {
    event.preventDefault();
    if (saving) {
      return;
    }
    setSaving(true);
    setError(null);
    try {
      await setListenAddress(value.trim());
      setEditing(false);
      onSaved();
    } catch (raw) {
      setError(CommandError.from(raw).message);
    } finally {
      setSaving(false);
    }
  }

  if (!editing) {
    return (
      <Inline>
        <Mono data-testid="relay-listen-address">{overview.listenAddress}</Mono>
        {running ? (
          <Hint>Stop the relay to change it.</Hint>
        ) : (
          <Button
            isLink
            data-testid="relay-listen-edit"
            onClick={() => {
              setValue(overview.listenAddress);
              setEditing(true);
            }}
          >
            Change
          </Button>
        )}
      </Inline>
    );
  }
  return (
    <form onSubmit={(event) => void save(event)} aria-label="Listen address">
      <Field>
        <Field.Label hidden>Listen address</Field.Label>
        <Field.Hint>IP and port, such as 127.0.0.1:8750. Unless a public URL is set, the webhook URL changes with it.</Field.Hint>
        <Inline>
          <Input
            data-testid="relay-listen-input"
            value={value}
            isCompact
            autoFocus
            onChange={(event) => {
              setValue(event.target.value);
            }}
            validation={error === null ? undefined : 'error'}
          />
          <Button isPrimary size="small" type="submit" data-testid="relay-listen-save" aria-disabled={saving}>
            Save
          </Button>
          <Button
            size="small"
            isBasic
            data-testid="relay-listen-cancel"
            onClick={() => {
              setEditing(false);
              setError(null);
            }}
          >
            Cancel
          </Button>
        </Inline>
        {error !== null && (
          <Field.Message validation="error" data-testid="relay-listen-error">
            {error}
          </Field.Message>
        )}
      </Field>
    </form>
  );
}

type Shown = { state: 'loading' } | { state: 'redacted' | 'revealed'; url: string } | { state: 'failed'; error: string };

/**
 * The signed URL: redacted (its tag is a credential) until "Reveal"; "Copy" asks the app to put the whole URL on the
 * clipboard, so copying never needs it in the window. `version` changes when the URL may have changed.
 */
function WebhookUrl({ version }: { version: string }) {
  const [shown, setShown] = useState<Shown>({ state: 'loading' });
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  const [copyError, setCopyError] = useState('');

  useEffect(() => {
    let gone = false;
    setCopied('no');
    webhookUrl().then(
      (url) => {
        if (!gone) {
          setShown({ state: 'redacted', url });
        }
      },
      (raw: unknown) => {
        if (!gone) {
          setShown({ state: 'failed', error: CommandError.from(raw).message });
        }
      },
    );
    return () => {
      gone = true;
    };
  }, [version]);

  async function toggle() {
    if (shown.state === 'revealed') {
      setShown({ state: 'loading' });
      try {
        setShown({ state: 'redacted', url: await webhookUrl() });
      } catch (raw) {
        setShown({ state: 'failed', error: CommandError.from(raw).message });
      }
      return;
    }
    try {
      setShown({ state: 'revealed', url: await revealWebhookUrl() });
    } catch (raw) {
      setShown({ state: 'failed', error: CommandError.from(raw).message });
    }
  }

  async function copy() {
    try {
      await copyWebhookUrl();
      setCopied('yes');
    } catch (raw) {
      setCopied('failed');
      setCopyError(CommandError.from(raw).message);
    }
  }

  if (shown.state === 'failed') {
    return (
      <Hint role="alert" data-testid="relay-webhook-url-error">
        {shown.error}
      </Hint>
    );
  }
  return (
    <>
      <Inline>
        <Mono data-testid="relay-webhook-url" data-revealed={shown.state === 'revealed'}>
          {shown.state === 'loading' ? '…' : shown.url}
        </Mono>
        <Button size="small" data-testid="relay-webhook-reveal" onClick={() => void toggle()}>
          {shown.state === 'revealed' ? 'Hide' : 'Reveal'}
        </Button>
        <Button size="small" data-testid="relay-webhook-copy" onClick={() => void copy()}>
          Copy
        </Button>
        {copied === 'yes' && (
          <Hint role="status" data-testid="relay-webhook-copied">
            Copied
          </Hint>
        )}
      </Inline>
      {copied === 'failed' && (
        <Hint role="alert" data-testid="relay-webhook-copy-error">
          {copyError}
        </Hint>
      )}
      <Hint>Zendesk&apos;s webhook posts here. Its last part is a credential: share it only with Zendesk.</Hint>
    </>
  );
}

/** The message as a sentence: a capital first letter and one full stop at its end. */
function sentence(message: string): string {
  const text = message.trim().replace(/[.\s]+$/, '');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

const Card = styled.section`
  margin-bottom: ${({ theme }) => theme.space.lg};
  border: ${({ theme }) => theme.borders.sm} ${({ theme }) => getColor({ theme, variable: 'border.default' })};
  border-radius: ${({ theme }) => theme.borderRadii.md};
  padding: ${({ theme }) => theme.space.md};
  background: ${({ theme }) => getColor({ theme, variable: 'background.default' })};

  h2 {
    margin: 0;
  }
`;

const Head = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.sm};
`;

const Spacer = styled.span`
  flex: 1;
`;

const Lead = styled(MD)`
  margin: ${({ theme }) => theme.space.xxs} 0 ${({ theme }) => theme.space.md};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

const Notice = styled(Alert)`
  margin-bottom: ${({ theme }) => theme.space.md};
`;

const Progress = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.xs};
`;

const Facts = styled.dl`
  display: grid;
  grid-template-columns: 140px minmax(0, 1fr);
  gap: ${({ theme }) => theme.space.sm} ${({ theme }) => theme.space.md};
  margin: 0 0 ${({ theme }) => theme.space.lg};

  dt {
    font-weight: ${({ theme }) => theme.fontWeights.semibold};
    line-height: 32px;
  }

  dd {
    margin: 0;
    min-width: 0;
  }
`;

const Inline = styled.div`
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: ${({ theme }) => theme.space.xs};
  min-height: 32px;
`;

const Mono = styled.code`
  font-family: ${({ theme }) => theme.fonts.mono};
  font-size: ${({ theme }) => theme.fontSizes.sm};
  overflow-wrap: anywhere;
  border-radius: ${({ theme }) => theme.borderRadii.sm};
  background: ${({ theme }) => getColor({ theme, variable: 'background.subtle' })};
  padding: ${({ theme }) => theme.space.xxs} ${({ theme }) => theme.space.xs};
`;

const Hint = styled.div`
  font-size: ${({ theme }) => theme.fontSizes.sm};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;
