import { useEffect, useState } from 'react';
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Button } from '@zendeskgarden/react-buttons';
import { Alert } from '@zendeskgarden/react-notifications';
import { Spinner } from '@zendeskgarden/react-loaders';
import { LG, MD, Paragraph } from '@zendeskgarden/react-typography';
import {
  CommandError,
  copyText,
  copyWebhookUrl,
  manualSetup,
  openAdminPage,
  revealWebhookUrl,
  type ManualField,
  type ManualGuide,
} from '../api';

type Loaded = { state: 'loading' } | { state: 'ready'; guide: ManualGuide } | { state: 'failed'; error: CommandError };

/** "Endpoint URL" -> "endpoint-url", for test ids. */
export function slug(label: string): string {
  return label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/(^-|-$)/g, '');
}

/**
 * The manual path: the same webhook and trigger as values to type in Admin Center, step by step, each with a copy
 * button, and a button that opens the step's Admin Center page in the system browser (the app checks it is the
 * account's own page). The webhook URL stays redacted until revealed; its copy button has the app copy it.
 */
export function ManualTab() {
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });
  const [note, setNote] = useState<{ kind: 'copied' | 'opened' | 'error'; text: string } | null>(null);

  useEffect(() => {
    let gone = false;
    manualSetup().then(
      (guide) => {
        if (!gone) {
          setLoaded({ state: 'ready', guide });
        }
      },
      (raw: unknown) => {
        if (!gone) {
          setLoaded({ state: 'failed', error: CommandError.from(raw) });
        }
      },
    );
    return () => {
      gone = true;
    };
  }, []);

  async function attempt(action: () => Promise<void>, done: { kind: 'copied' | 'opened'; text: string }) {
    try {
      await action();
      setNote(done);
    } catch (raw) {
      setNote({ kind: 'error', text: CommandError.from(raw).message });
    }
  }

  if (loaded.state === 'loading') {
    return (
      <Body>
        <Progress role="status">
          <Spinner size="20px" delayMS={0} aria-hidden="true" />
          Preparing the values
        </Progress>
      </Body>
    );
  }
  if (loaded.state === 'failed') {
    return (
      <Body>
        <Alert type="error" role="alert" data-testid="manual-error">
          <Alert.Title>The guide could not be prepared</Alert.Title>
          <Alert.Paragraph>{loaded.error.message}</Alert.Paragraph>
        </Alert>
      </Body>
    );
  }
  const { guide } = loaded;
  return (
    <Body data-testid="manual-guide">
      <Paragraph>
        Prefer to make them yourself? Follow these steps in Admin Center; the checklist then finds what you made.
      </Paragraph>
      {guide.demo && (
        <Notice type="info" data-testid="manual-demo-note">
          <Alert.Paragraph>
            The sandbox has no Admin Center: its buttons open the pages of the same name on a real account.
          </Alert.Paragraph>
        </Notice>
      )}
      {note !== null && (
        <Notice
          type={note.kind === 'error' ? 'error' : 'success'}
          role={note.kind === 'error' ? 'alert' : 'status'}
          data-testid={note.kind === 'error' ? 'manual-action-error' : 'manual-action-done'}
        >
          <Alert.Paragraph>{note.text}</Alert.Paragraph>
        </Notice>
      )}
      <Steps>
        {guide.steps.map((step, index) => (
          <Step key={step.title} data-testid={`manual-step-${index + 1}`}>
            <StepHead>
              <Number aria-hidden="true">{index + 1}</Number>
              <LG tag="h2" isBold>
                {step.title}
              </LG>
              {step.open !== null && (
                <Button
                  size="small"
                  data-testid={`manual-open-${index + 1}`}
                  onClick={() => {
                    const url = step.open;
                    if (url !== null) {
                      void attempt(() => openAdminPage(url), {
                        kind: 'opened',
                        text: 'Opened in your browser.',
                      });
                    }
                  }}
                >
                  Open in Admin Center
                </Button>
              )}
            </StepHead>
            <MD>{step.instruction}</MD>
            {step.fields.length > 0 && (
              <Values>
                {step.fields.map((field) => (
                  <Value
                    key={field.label}
                    field={field}
                    onCopy={() =>
                      void attempt(() => (field.secret ? copyWebhookUrl() : copyText(field.value)), {
                        kind: 'copied',
                        text: `${field.label} copied.`,
                      })
                    }
                  />
                ))}
              </Values>
            )}
          </Step>
        ))}
      </Steps>
    </Body>
  );
}

/** One value with its copy button; the secret one (the webhook URL) also reveals on demand. */
function Value({ field, onCopy }: { field: ManualField; onCopy: () => void }) {
  const [revealed, setRevealed] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const id = slug(field.label);
  const multiline = field.value.includes('\n');
  return (
    <>
      <dt>{field.label}</dt>
      <dd>
        <Row>
          <Mono as={multiline ? 'pre' : 'code'} data-testid={`manual-value-${id}`} data-revealed={revealed !== null}>
            {revealed ?? field.value}
          </Mono>
          <Actions>
            {field.secret && (
              <Button
                size="small"
                data-testid={`manual-reveal-${id}`}
                onClick={() => {
                  if (revealed !== null) {
                    setRevealed(null);
                    return;
                  }
                  revealWebhookUrl().then(setRevealed, (raw: unknown) => {
                    setError(CommandError.from(raw).message);
                  });
                }}
              >
                {revealed === null ? 'Reveal' : 'Hide'}
              </Button>
            )}
            <Button size="small" data-testid={`manual-copy-${id}`} onClick={onCopy} aria-label={`Copy ${field.label}`}>
              Copy
            </Button>
          </Actions>
        </Row>
        {error !== null && <ErrorText role="alert">{error}</ErrorText>}
      </dd>
    </>
  );
}

const Body = styled.div`
  padding-top: ${({ theme }) => theme.space.md};
`;

const Progress = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.xs};
`;

const Notice = styled(Alert)`
  margin: ${({ theme }) => theme.space.sm} 0;
`;

const Steps = styled.ol`
  list-style: none;
  margin: ${({ theme }) => theme.space.md} 0 0;
  padding: 0;
`;

const Step = styled.li`
  margin-bottom: ${({ theme }) => theme.space.md};
  border: ${({ theme }) => theme.borders.sm} ${({ theme }) => getColor({ theme, variable: 'border.default' })};
  border-radius: ${({ theme }) => theme.borderRadii.md};
  padding: ${({ theme }) => theme.space.md};
`;

const StepHead = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.sm};
  margin-bottom: ${({ theme }) => theme.space.xs};

  h2 {
    flex: 1;
    margin: 0;
  }
`;

const Number = styled.span`
  display: inline-flex;
  flex: none;
  align-items: center;
  justify-content: center;
  border-radius: 50%;
  width: 24px;
  height: 24px;
  font-weight: ${({ theme }) => theme.fontWeights.semibold};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.onEmphasis' })};
  background: ${({ theme }) => getColor({ theme, variable: 'background.primaryEmphasis' })};
`;

const Values = styled.dl`
  display: grid;
  grid-template-columns: 140px minmax(0, 1fr);
  gap: ${({ theme }) => theme.space.xs} ${({ theme }) => theme.space.md};
  margin: ${({ theme }) => theme.space.sm} 0 0;

  dt {
    font-weight: ${({ theme }) => theme.fontWeights.semibold};
    line-height: 32px;
  }

  dd {
    margin: 0;
    min-width: 0;
  }
`;

const Row = styled.div`
  display: flex;
  align-items: flex-start;
  gap: ${({ theme }) => theme.space.xs};
`;

const Actions = styled.div`
  display: flex;
  flex: none;
  gap: ${({ theme }) => theme.space.xxs};
`;

const Mono = styled.code`
  flex: 1;
  margin: 0;
  min-width: 0;
  border-radius: ${({ theme }) => theme.borderRadii.sm};
  background: ${({ theme }) => getColor({ theme, variable: 'background.subtle' })};
  padding: ${({ theme }) => theme.space.xs};
  font-family: ${({ theme }) => theme.fonts.mono};
  font-size: ${({ theme }) => theme.fontSizes.sm};
  white-space: pre-wrap;
  overflow-wrap: anywhere;
`;

const ErrorText = styled.div`
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.danger' })};
  font-size: ${({ theme }) => theme.fontSizes.sm};
`;
