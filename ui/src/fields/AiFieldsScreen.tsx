import { useCallback, useEffect, useRef, useState } from 'react';
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Button } from '@zendeskgarden/react-buttons';
import { Field, Textarea } from '@zendeskgarden/react-forms';
import { Dots } from '@zendeskgarden/react-loaders';
import { Alert } from '@zendeskgarden/react-notifications';
import { Table } from '@zendeskgarden/react-tables';
import { Tag } from '@zendeskgarden/react-tags';
import { Paragraph, XL } from '@zendeskgarden/react-typography';
import {
  CommandError,
  getFields,
  mapField,
  previewFields,
  unmapField,
  type FieldsOverview,
  type PreviewFillView,
} from '../api';
import type { ConnectionState } from '../connection';
import { FieldPicker } from './FieldPicker';
import { typeLabel } from './fieldSearch';

type Load = { state: 'loading' } | { state: 'failed'; error: CommandError } | { state: 'ready'; overview: FieldsOverview };

/**
 * AI Fields (SPEC §13): the mapped fields table (field, type, description, status with drift), "Add field" with the
 * searchable picker and a description, values Zendesk dropped, and the preview pane.
 */
export function AiFieldsScreen({ connection }: { connection: ConnectionState }) {
  const connected = connection.state === 'ready' && connection.connection !== null;
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [refreshing, setRefreshing] = useState(false);

  const reload = useCallback((refresh: boolean) => {
    setRefreshing(refresh);
    getFields(refresh).then(
      (overview) => {
        setLoad({ state: 'ready', overview });
        setRefreshing(false);
      },
      (raw: unknown) => {
        setLoad({ state: 'failed', error: CommandError.from(raw) });
        setRefreshing(false);
      },
    );
  }, []);

  useEffect(() => {
    if (connected) {
      reload(false);
    }
  }, [connected, reload]);

  if (connection.state === 'loading') {
    return (
      <Paragraph data-testid="fields-loading">
        <Dots /> Loading…
      </Paragraph>
    );
  }
  if (!connected) {
    return (
      <Paragraph data-testid="fields-not-connected">
        Connect a Zendesk account first: AI Fields loads the account&apos;s ticket fields.
      </Paragraph>
    );
  }
  if (load.state === 'loading') {
    return (
      <Paragraph data-testid="fields-loading">
        <Dots /> Loading the account&apos;s ticket fields…
      </Paragraph>
    );
  }
  if (load.state === 'failed') {
    return (
      <Alert type="error" role="alert" data-testid="fields-error">
        <Alert.Title>The ticket fields could not be loaded</Alert.Title>
        <Alert.Paragraph>{load.error.message}</Alert.Paragraph>
        <Button
          size="small"
          onClick={() => {
            setLoad({ state: 'loading' });
            reload(true);
          }}
        >
          Try again
        </Button>
      </Alert>
    );
  }
  return (
    <Loaded
      overview={load.overview}
      refreshing={refreshing}
      onRefresh={() => {
        reload(true);
      }}
      onChanged={() => {
        reload(false);
      }}
    />
  );
}

function Loaded({
  overview,
  refreshing,
  onRefresh,
  onChanged,
}: {
  overview: FieldsOverview;
  refreshing: boolean;
  onRefresh: () => void;
  onChanged: () => void;
}) {
  const [adding, setAdding] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const mappable = overview.fields.filter((field) => field.mappable).length;

  return (
    <>
      <Intro>
        <Paragraph>
          Map Zendesk fields to values the AI fills at handoff, so triage, routing and reporting work on day one. For a
          drop-down the AI picks one of the existing options; for text it writes a short value.
        </Paragraph>
        <Toolbar>
          <Muted data-testid="fields-fetched-at">
            {overview.fields.length} fields, {mappable} can be filled · fetched {formatTime(overview.fetchedAt)}
          </Muted>
          <Button size="small" onClick={onRefresh} disabled={refreshing} data-testid="fields-refresh">
            {refreshing ? 'Refreshing…' : 'Refresh fields'}
          </Button>
        </Toolbar>
      </Intro>

      {overview.dropped.length > 0 && (
        <Notice type="warning" role="alert" data-testid="fields-dropped">
          <Alert.Title>Zendesk dropped values the AI wrote</Alert.Title>
          {overview.dropped.map((message) => (
            <Alert.Paragraph key={message}>{message}</Alert.Paragraph>
          ))}
        </Notice>
      )}

      <Section aria-labelledby="fields-mapped-heading">
        <SectionHead>
          <XL tag="h2" id="fields-mapped-heading" isBold>
            Mapped fields
          </XL>
          {!adding && (
            <Button
              isPrimary
              size="small"
              data-testid="fields-add"
              onClick={() => {
                setAdding(true);
              }}
            >
              Add field
            </Button>
          )}
        </SectionHead>
        {adding && (
          <AddField
            overview={overview}
            onDone={() => {
              setAdding(false);
              onChanged();
            }}
            onCancel={() => {
              setAdding(false);
            }}
          />
        )}
        {error !== null && (
          <Notice type="error" role="alert">
            <Alert.Paragraph>{error}</Alert.Paragraph>
          </Notice>
        )}
        {overview.mapped.length === 0 ? (
          <Muted data-testid="fields-empty">No field is mapped yet: tickets get no AI-filled fields.</Muted>
        ) : (
          <Table data-testid="fields-mapped-table" size="small">
            <Table.Head>
              <Table.HeaderRow>
                <Table.HeaderCell width="24%">Field</Table.HeaderCell>
                <Table.HeaderCell width="12%">Type</Table.HeaderCell>
                <Table.HeaderCell>Description</Table.HeaderCell>
                <Table.HeaderCell width="22%">Status</Table.HeaderCell>
                <Table.HeaderCell width="90px" />
              </Table.HeaderRow>
            </Table.Head>
            <Table.Body>
              {overview.mapped.map((mapped) => (
                <Table.Row
                  key={mapped.fieldId}
                  data-testid={`fields-mapped-row-${mapped.fieldId}`}
                  data-status={mapped.status}
                >
                  <Table.Cell>
                    {mapped.title}
                    <Muted as="div">{mapped.fieldId}</Muted>
                  </Table.Cell>
                  <Table.Cell>{typeLabel(mapped.type)}</Table.Cell>
                  <Table.Cell>
                    <Description>{mapped.description}</Description>
                  </Table.Cell>
                  <Table.Cell>
                    {mapped.status === 'ok' ? (
                      <Tag hue="green">Active</Tag>
                    ) : (
                      <>
                        <Tag hue="red">Drift</Tag>
                        <DriftText data-testid={`fields-drift-${mapped.fieldId}`}>{mapped.drift}</DriftText>
                      </>
                    )}
                  </Table.Cell>
                  <Table.Cell>
                    <Button
                      size="small"
                      isBasic
                      isDanger
                      data-testid={`fields-unmap-${mapped.fieldId}`}
                      onClick={() => {
                        setError(null);
                        unmapField(mapped.fieldId).then(onChanged, (raw: unknown) => {
                          setError(CommandError.from(raw).message);
                        });
                      }}
                    >
                      Remove
                    </Button>
                  </Table.Cell>
                </Table.Row>
              ))}
            </Table.Body>
          </Table>
        )}
      </Section>

      <PreviewPane disabled={overview.mapped.length === 0} />
    </>
  );
}

function AddField({
  overview,
  onDone,
  onCancel,
}: {
  overview: FieldsOverview;
  onDone: () => void;
  onCancel: () => void;
}) {
  const [fieldId, setFieldId] = useState<number | null>(null);
  const [description, setDescription] = useState('');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const chosen = overview.fields.find((field) => field.id === fieldId) ?? null;
  const alreadyMapped = overview.mapped.some((mapped) => mapped.fieldId === fieldId);

  return (
    <Panel data-testid="fields-add-panel">
      <FieldPicker fields={overview.fields} selected={fieldId} onSelect={setFieldId} />
      {chosen !== null && (
        <Chosen data-testid="fields-chosen">
          {chosen.title} · {typeLabel(chosen.type)}
          {chosen.type === 'tagger' ? ` · ${chosen.optionCount} options` : ''}
          {alreadyMapped ? ' · already mapped: saving replaces its description' : ''}
        </Chosen>
      )}
      <Field>
        <Field.Label>What should the AI fill?</Field.Label>
        <Field.Hint>
          For a drop-down, you can list words for each option, one option per line: &ldquo;Billing: invoice, charged,
          factura&rdquo;.
        </Field.Hint>
        <Textarea
          data-testid="fields-description"
          minRows={3}
          maxRows={8}
          placeholder={overview.descriptionPlaceholder}
          value={description}
          onChange={(event) => {
            setDescription(event.target.value);
          }}
        />
      </Field>
      {error !== null && (
        <Notice type="error" role="alert" data-testid="fields-add-error">
          <Alert.Paragraph>{error}</Alert.Paragraph>
        </Notice>
      )}
      <Actions>
        <Button
          isPrimary
          data-testid="fields-save"
          disabled={fieldId === null || description.trim() === '' || saving}
          onClick={() => {
            if (fieldId === null) {
              return;
            }
            setSaving(true);
            setError(null);
            mapField(fieldId, description).then(onDone, (raw: unknown) => {
              setSaving(false);
              setError(CommandError.from(raw).message);
            });
          }}
        >
          {saving ? 'Saving…' : 'Save'}
        </Button>
        <Button isBasic data-testid="fields-cancel" onClick={onCancel}>
          Cancel
        </Button>
      </Actions>
    </Panel>
  );
}

const SAMPLE_CONVERSATION = 'Customer: I was charged twice for my order\nAI: I am sorry to hear that. Let me check.';

function PreviewPane({ disabled }: { disabled: boolean }) {
  const [conversation, setConversation] = useState('');
  const [running, setRunning] = useState(false);
  const [fills, setFills] = useState<PreviewFillView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const results = useRef<HTMLTableElement>(null);

  // The answers appear under the conversation, often below the fold: bring them into view.
  useEffect(() => {
    if (fills !== null) {
      results.current?.scrollIntoView({ block: 'nearest' });
    }
  }, [fills]);

  return (
    <Section aria-labelledby="fields-preview-heading">
      <XL tag="h2" id="fields-preview-heading" isBold>
        Preview
      </XL>
      <Field>
        <Field.Label>Conversation</Field.Label>
        <Field.Hint>One turn per line, starting with &ldquo;Customer:&rdquo;, &ldquo;AI:&rdquo; or &ldquo;Agent:&rdquo;; plain text works too.</Field.Hint>
        <Textarea
          data-testid="fields-preview-conversation"
          minRows={4}
          maxRows={12}
          placeholder={SAMPLE_CONVERSATION}
          value={conversation}
          onChange={(event) => {
            setConversation(event.target.value);
          }}
        />
      </Field>
      <Actions>
        <Button
          data-testid="fields-preview-run"
          disabled={disabled || conversation.trim() === '' || running}
          onClick={() => {
            setRunning(true);
            setError(null);
            previewFields(conversation).then(
              (result) => {
                setFills(result);
                setRunning(false);
              },
              (raw: unknown) => {
                setError(CommandError.from(raw).message);
                setRunning(false);
              },
            );
          }}
        >
          {running ? 'Filling…' : 'Preview the fields'}
        </Button>
        {disabled && <Muted>Map a field to preview what the AI would fill.</Muted>}
      </Actions>
      {error !== null && (
        <Notice type="error" role="alert" data-testid="fields-preview-error">
          <Alert.Paragraph>{error}</Alert.Paragraph>
        </Notice>
      )}
      {fills !== null && (
        <Table data-testid="fields-preview-results" size="small" ref={results}>
          <Table.Head>
            <Table.HeaderRow>
              <Table.HeaderCell width="24%">Field</Table.HeaderCell>
              <Table.HeaderCell width="24%">Value</Table.HeaderCell>
              <Table.HeaderCell width="10%">Score</Table.HeaderCell>
              <Table.HeaderCell>Why</Table.HeaderCell>
            </Table.HeaderRow>
          </Table.Head>
          <Table.Body>
            {fills.map((fill) => (
              <Table.Row
                key={fill.fieldId}
                data-testid={`fields-preview-row-${fill.fieldId}`}
                data-value={fill.value ?? ''}
              >
                <Table.Cell>{fill.title}</Table.Cell>
                <Table.Cell>
                  {fill.value === null ? (
                    <Muted>Left empty (not sure enough)</Muted>
                  ) : (
                    <>
                      {fill.optionName ?? fill.value}
                      {fill.optionName !== null && <Code>{fill.value}</Code>}
                    </>
                  )}
                </Table.Cell>
                <Table.Cell>{fill.score.toFixed(2)}</Table.Cell>
                <Table.Cell>{fill.why}</Table.Cell>
              </Table.Row>
            ))}
          </Table.Body>
        </Table>
      )}
    </Section>
  );
}

function formatTime(rfc3339: string): string {
  const moment = new Date(rfc3339);
  return Number.isNaN(moment.getTime()) ? rfc3339 : moment.toLocaleString();
}

const Intro = styled.div`
  margin-bottom: ${({ theme }) => theme.space.md};
`;

const Toolbar = styled.div`
  display: flex;
  align-items: center;
  justify-content: space-between;
  gap: ${({ theme }) => theme.space.md};
  margin-top: ${({ theme }) => theme.space.sm};
`;

const Muted = styled.span`
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
  font-size: ${({ theme }) => theme.fontSizes.sm};
`;

const Section = styled.section`
  margin-top: ${({ theme }) => theme.space.lg};
  padding-top: ${({ theme }) => theme.space.md};
  border-top: ${({ theme }) => theme.borders.sm} ${({ theme }) => getColor({ theme, variable: 'border.default' })};

  h2 {
    margin-bottom: ${({ theme }) => theme.space.sm};
  }
`;

const SectionHead = styled.div`
  display: flex;
  align-items: center;
  justify-content: space-between;
  margin-bottom: ${({ theme }) => theme.space.sm};

  h2 {
    margin-bottom: 0;
  }
`;

const Panel = styled.div`
  display: flex;
  flex-direction: column;
  gap: ${({ theme }) => theme.space.md};
  margin-bottom: ${({ theme }) => theme.space.md};
  border: ${({ theme }) => theme.borders.sm} ${({ theme }) => getColor({ theme, variable: 'border.default' })};
  border-radius: ${({ theme }) => theme.borderRadii.md};
  background: ${({ theme }) => getColor({ theme, variable: 'background.subtle' })};
  padding: ${({ theme }) => theme.space.md};
`;

const Chosen = styled.div`
  font-size: ${({ theme }) => theme.fontSizes.sm};
`;

const Actions = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.sm};
  margin: ${({ theme }) => theme.space.sm} 0;
`;

const Notice = styled(Alert)`
  margin: ${({ theme }) => theme.space.sm} 0;
`;

const Description = styled.div`
  white-space: pre-line;
  max-height: 4.5em;
  overflow: hidden;
`;

const DriftText = styled.div`
  margin-top: ${({ theme }) => theme.space.xxs};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.danger' })};
  font-size: ${({ theme }) => theme.fontSizes.sm};
`;

const Code = styled.code`
  display: block;
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
  font-size: ${({ theme }) => theme.fontSizes.sm};
`;
