import { useCallback, useEffect, useState, type ReactNode } from 'react';
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Button } from '@zendeskgarden/react-buttons';
import { Field, Select, Toggle } from '@zendeskgarden/react-forms';
import { Alert } from '@zendeskgarden/react-notifications';
import { Spinner } from '@zendeskgarden/react-loaders';
import { LG, Paragraph } from '@zendeskgarden/react-typography';
import {
  CommandError,
  getSettings,
  openFolder,
  runSetup,
  setSetting,
  type Deliverer,
  type SessionChannel,
  type SettingsView,
} from '../api';
import type { ConnectionState } from '../connection';
import type { ScreenId } from '../screens';
import { SetupRun, applyEvent, startProgress, type RunProgress } from '../setup/SetupRun';
import { DefaultAgent } from './DefaultAgent';
import { Disconnect, type Disconnected } from './Disconnect';
import { Keys } from './Keys';
import { Row, SettingField, checkUrl } from './SettingField';

/** Zendesk tags: lowercase letters, digits, `_` and `-`, starting with a letter or digit; the app allows 40. */
const TAG_PREFIX = /^[a-z0-9][a-z0-9_-]{0,39}$/;

const CHANNEL_NAMES: Record<SessionChannel, string> = {
  email: 'Email',
  whatsapp: 'WhatsApp',
  sms: 'SMS',
  web: 'Web chat',
  phone: 'Phone',
};

type Loaded = { state: 'loading' } | { state: 'ready'; settings: SettingsView } | { state: 'failed'; error: CommandError };

/**
 * The Settings screen (SPEC §13): tags and tickets, the default agent, who delivers replies on each channel and where
 * the platform's copy goes, the relay's addresses, the AI Fields LLM endpoint, the URL key, the signing secret and
 * the credentials, the data and logs folders, and Disconnect. Every value is checked here for what cannot be right,
 * and again by the app, which says why it refuses.
 */
export function SettingsScreen({
  connection,
  onNavigate,
  onRotateCredentials,
  onDisconnected,
}: {
  connection: ConnectionState;
  onNavigate: (screen: ScreenId) => void;
  onRotateCredentials: () => void;
  onDisconnected: (done: Disconnected) => void;
}) {
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });
  const [webhookUpdate, setWebhookUpdate] = useState<'offered' | RunProgress | null>(null);

  const load = useCallback(() => {
    getSettings().then(
      (settings) => {
        setLoaded({ state: 'ready', settings });
      },
      (raw: unknown) => {
        setLoaded({ state: 'failed', error: CommandError.from(raw) });
      },
    );
  }, []);
  useEffect(load, [load]);

  if (connection.state !== 'ready') {
    return <Paragraph>Reading the saved connection…</Paragraph>;
  }
  const saved = connection.connection;
  if (loaded.state === 'loading') {
    return (
      <Progress role="status">
        <Spinner size="20px" delayMS={0} aria-hidden="true" />
        Reading the settings
      </Progress>
    );
  }
  if (loaded.state === 'failed') {
    return (
      <Alert type="error" role="alert" data-testid="settings-error">
        <Alert.Title>The settings could not be read</Alert.Title>
        <Alert.Paragraph>{loaded.error.message}</Alert.Paragraph>
      </Alert>
    );
  }
  const settings = loaded.settings;
  const saveAndReload = async (key: Parameters<typeof setSetting>[0], value: string) => {
    const stored = await setSetting(key, value);
    load();
    return stored;
  };

  async function updateWebhook() {
    let progress = startProgress('webhook');
    setWebhookUpdate(progress);
    try {
      await runSetup('webhook', (event) => {
        progress = applyEvent(progress, event);
        setWebhookUpdate(progress);
      });
      progress = { ...progress, finished: 'done' };
    } catch (raw) {
      progress = { ...progress, finished: 'failed', error: CommandError.from(raw) };
    }
    setWebhookUpdate(progress);
  }

  return (
    <Sections>
      <Section title="Tickets" id="settings-tickets">
        <SettingField
          testId="settings-tag-prefix"
          label="Tag prefix"
          hint={`Every tag the integration writes starts with it: ${settings.tagPrefix}, ${settings.tagPrefix}_handedoff, ${settings.tagPrefix}_channel_email… Views and triggers can filter on them.`}
          stored={settings.tagPrefix}
          check={(value) =>
            TAG_PREFIX.test(value)
              ? null
              : `"${value}" is not a tag prefix: use 1 to 40 lowercase letters, digits, _ or -, starting with a letter or digit, such as opencx.`
          }
          onSave={(value) => saveAndReload('tag-prefix', value)}
        />
        <Field>
          <Toggle
            data-testid="settings-every-conversation"
            checked={settings.ticketEveryConversation}
            onChange={(event) => {
              void saveAndReload('ticket-every-conversation', String(event.target.checked));
            }}
          >
            <Field.Label>Create a ticket for every conversation</Field.Label>
            <Field.Hint>
              On: the ticket is made when a conversation starts and updated at handoff. Off: only handed-off conversations
              get a ticket.
            </Field.Hint>
          </Toggle>
        </Field>
        {saved !== null && (
          <DefaultAgent current={settings.defaultAgent} onChanged={load} />
        )}
      </Section>

      <Section title="Reply delivery" id="settings-delivery">
        <Explain>
          A rep&apos;s public reply reaches the customer once. For each channel, either the AI platform delivers it (the
          relay sends it to the outbound URL), or Zendesk&apos;s own email does; the checklist then keeps Zendesk&apos;s
          notification trigger from emailing the channels the platform delivers.
        </Explain>
        <Channels data-testid="settings-channels">
          {settings.channels.map(({ channel, delivers }) => (
            <Field key={channel}>
              <Field.Label>{CHANNEL_NAMES[channel]}</Field.Label>
              <Select
                data-testid={`settings-delivery-${channel}`}
                value={delivers}
                isCompact
                onChange={(event) => {
                  const next = settings.channels
                    .filter((entry) =>
                      entry.channel === channel ? (event.target.value as Deliverer) === 'zendesk' : entry.delivers === 'zendesk',
                    )
                    .map((entry) => entry.channel);
                  void saveAndReload('zendesk-delivers', next.join(','));
                }}
              >
                <option value="platform">The AI platform</option>
                <option value="zendesk">Zendesk&apos;s email</option>
              </Select>
            </Field>
          ))}
        </Channels>
        <SettingField
          testId="settings-outbound-url"
          label="Outbound URL"
          hint="The AI platform's endpoint each reply is sent to, signed (Standard Webhooks). Empty: replies are only recorded on the conversation."
          stored={settings.outboundUrl}
          placeholder="https://platform.example.com/zendesk/replies"
          check={checkUrl(true)}
          onSave={(value) => saveAndReload('outbound-url', value)}
        />
      </Section>

      <Section title="Relay addresses" id="settings-addresses">
        <SettingField
          testId="settings-public-url"
          label="Public URL"
          hint={
            settings.publicUrlIsLocal
              ? 'Not set: it is the relay\u2019s own address, which only this machine can reach. A real Zendesk account needs a tunnel or public address here. The webhook URL and the View session links are built on it.'
              : 'Where Zendesk and the View session links reach the relay (a tunnel or public address). The webhook URL is built on it.'
          }
          stored={settings.publicUrlIsLocal ? '' : settings.publicUrl}
          placeholder={settings.publicUrl}
          check={checkUrl(true)}
          onSave={async (value) => {
            const stored = await saveAndReload('public-url', value);
            setWebhookUpdate('offered');
            return value === '' ? '' : stored;
          }}
        />
        {webhookUpdate === 'offered' && (
          <Notice type="warning" data-testid="settings-webhook-outdated">
            <Alert.Title>Zendesk still posts to the old address</Alert.Title>
            <Alert.Paragraph>The webhook URL changed with the public URL: point our webhook in Zendesk at it.</Alert.Paragraph>
            <Button size="small" data-testid="settings-update-webhook" onClick={() => void updateWebhook()}>
              Update the webhook
            </Button>
          </Notice>
        )}
        {webhookUpdate !== null && webhookUpdate !== 'offered' && <SetupRun progress={webhookUpdate} />}
        <Field>
          <Field.Label>Listen address</Field.Label>
          <Field.Hint>Where the relay this console runs listens. It is changed on the Relay screen, while the relay is stopped.</Field.Hint>
          <Row>
            <Mono data-testid="settings-listen-address">{settings.listenAddress}</Mono>
            <Button
              isLink
              data-testid="settings-open-relay"
              onClick={() => {
                onNavigate('relay');
              }}
            >
              Open the Relay screen
            </Button>
          </Row>
        </Field>
      </Section>

      <Section title="AI Fields filler" id="settings-llm">
        <Explain>
          Mapped fields are filled offline by default. To have an OpenAI-compatible model fill them instead, set its
          endpoint and model here, and its key with <code>handoff llm-key set --stdin</code> (the key stays in the
          keychain).
        </Explain>
        <SettingField
          testId="settings-llm-url"
          label="LLM endpoint"
          hint="https, or http to this machine only. Empty: the offline filler."
          stored={settings.llmUrl}
          placeholder="https://api.openai.com/v1"
          check={checkUrl(true)}
          onSave={(value) => saveAndReload('llm-url', value)}
        />
        <SettingField
          testId="settings-llm-model"
          label="Model"
          hint="The model the endpoint names, such as gpt-4o-mini. Empty: the offline filler."
          stored={settings.llmModel}
          check={(value) =>
            /^[A-Za-z0-9\-_.:/@+]{0,200}$/.test(value)
              ? null
              : `"${value}" is not a model name: use letters, digits and - _ . : / @ +, such as gpt-4o-mini.`
          }
          onSave={(value) => saveAndReload('llm-model', value)}
        />
      </Section>

      {saved !== null && (
        <Section title="Keys and credentials" id="settings-keys">
          <Keys
            graceHours={settings.urlKeyGraceHours}
            webhookSetUp={settings.webhookSetUp}
            demo={saved.demo}
            onRotateCredentials={onRotateCredentials}
          />
        </Section>
      )}

      <Section title="Folders" id="settings-folders">
        <FolderRow label="Data folder" path={settings.dataFolder} folder="data" hint="Settings, conversations and deliveries (SQLite). Secrets are never here: they are in the keychain." />
        <FolderRow label="Logs folder" path={settings.logsFolder} folder="logs" hint="One log file a day, the last 14 kept. Webhook URLs appear redacted." />
      </Section>

      {saved !== null && (
        <Section title="Disconnect" id="settings-disconnect-section">
          <Explain>
            Removes what the console made in {saved.host} (its trigger and webhook, nothing else), its tokens and
            keychain entries, and the connection. Tickets stay in Zendesk, and conversations stay on this computer.
          </Explain>
          <Disconnect onDisconnected={onDisconnected} />
        </Section>
      )}
    </Sections>
  );
}

function Section({ title, id, children }: { title: string; id: string; children: ReactNode }) {
  return (
    <Card aria-labelledby={id} data-testid={id}>
      <LG tag="h2" id={id} isBold>
        {title}
      </LG>
      {children}
    </Card>
  );
}

function FolderRow({ label, path, folder, hint }: { label: string; path: string; folder: 'data' | 'logs'; hint: string }) {
  const [error, setError] = useState<string | null>(null);
  return (
    <Field>
      <Field.Label>{label}</Field.Label>
      <Field.Hint>{hint}</Field.Hint>
      <Row>
        <Mono data-testid={`settings-${folder}-folder`}>{path}</Mono>
        <Button
          size="small"
          data-testid={`settings-open-${folder}`}
          onClick={() => {
            setError(null);
            openFolder(folder).catch((raw: unknown) => {
              setError(CommandError.from(raw).message);
            });
          }}
        >
          Open folder
        </Button>
      </Row>
      {error !== null && (
        <Field.Message validation="error" role="alert">
          {error}
        </Field.Message>
      )}
    </Field>
  );
}

const Sections = styled.div`
  display: flex;
  flex-direction: column;
  gap: ${({ theme }) => theme.space.lg};
  max-width: 960px;
`;

const Card = styled.section`
  display: flex;
  flex-direction: column;
  gap: ${({ theme }) => theme.space.md};
  border: ${({ theme }) => theme.borders.sm} ${({ theme }) => getColor({ theme, variable: 'border.default' })};
  border-radius: ${({ theme }) => theme.borderRadii.md};
  padding: ${({ theme }) => theme.space.md};

  h2 {
    margin: 0;
  }
`;

const Explain = styled(Paragraph)`
  max-width: 760px;
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

const Channels = styled.div`
  display: grid;
  grid-template-columns: repeat(auto-fill, minmax(160px, 1fr));
  gap: ${({ theme }) => theme.space.sm};
`;

const Mono = styled.code`
  font-family: ${({ theme }) => theme.fonts.mono};
  font-size: ${({ theme }) => theme.fontSizes.sm};
  overflow-wrap: anywhere;
  border-radius: ${({ theme }) => theme.borderRadii.sm};
  background: ${({ theme }) => getColor({ theme, variable: 'background.subtle' })};
  padding: ${({ theme }) => theme.space.xxs} ${({ theme }) => theme.space.xs};
`;

const Progress = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.xs};
`;

const Notice = styled(Alert)`
  button {
    margin-top: ${({ theme }) => theme.space.xs};
  }
`;
