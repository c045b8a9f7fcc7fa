import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Button } from '@zendeskgarden/react-buttons';
import { Field, Input } from '@zendeskgarden/react-forms';
import { CommandError, copyText, oauthRedirect, setOAuthRedirectPort, type OAuthRedirect } from '../api';

type Loaded = { state: 'loading' } | { state: 'ready'; redirect: OAuthRedirect } | { state: 'failed'; error: string };

type Note = { kind: 'copied' | 'saved'; text: string } | { kind: 'error'; text: string };

/**
 * "Redirect URL to register in your OAuth client": the exact URL the browser sign-in listens on
 * (`http://127.0.0.1:<port>/oauth/callback`), a Copy button, and "Change port", which opens a small field that
 * saves the `oauth-redirect-port` setting (the app checks it and says why it refuses a value). The port cannot
 * change while a sign-in runs (`locked`): it already listens there. A new `editRequest` opens the field from
 * elsewhere (the "port in use" check's fix) and puts the cursor in it.
 *
 * It sits inside the sign-in form, so it is no form itself: Enter in the port field saves the port, not the sign-in.
 * Test ids: `connect-oauth-redirect`, `-url`, `-copy`, `-change`, `-port`, `-save`, `-cancel`, `-message`.
 */
export function RedirectUrl({ locked, editRequest }: { locked: boolean; editRequest: number }) {
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });
  const [editing, setEditing] = useState(false);
  const [port, setPort] = useState('');
  const [saving, setSaving] = useState(false);
  const [note, setNote] = useState<Note | null>(null);
  const labelId = useId();
  const portInput = useRef<HTMLInputElement>(null);
  const group = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let gone = false;
    oauthRedirect().then(
      (redirect) => {
        if (!gone) {
          setLoaded({ state: 'ready', redirect });
        }
      },
      (raw: unknown) => {
        if (!gone) {
          setLoaded({ state: 'failed', error: CommandError.from(raw).message });
        }
      },
    );
    return () => {
      gone = true;
    };
  }, []);

  const current = loaded.state === 'ready' ? loaded.redirect : null;

  const openEditor = useCallback(() => {
    setPort(current === null ? '' : String(current.port));
    setNote(null);
    setEditing(true);
  }, [current]);

  // Asked from the "port in use" check: open the field (or go back to it) and put the cursor there. Each request
  // is handled once, so the field the admin closed does not open again when the URL changes.
  const handledRequest = useRef(0);
  useEffect(() => {
    if (editRequest > handledRequest.current) {
      handledRequest.current = editRequest;
      openEditor();
      reveal();
    }
  }, [editRequest, openEditor]);

  useEffect(() => {
    if (editing) {
      reveal();
    }
  }, [editing]);

  // The whole group in view (the URL, the field and its hint), not only the field the cursor goes to.
  function reveal() {
    portInput.current?.focus({ preventScroll: true });
    group.current?.scrollIntoView({ block: 'nearest' });
  }

  async function save() {
    if (saving) {
      return;
    }
    if (current !== null && port.trim() === String(current.port)) {
      setEditing(false);
      return;
    }
    setSaving(true);
    setNote(null);
    try {
      const saved = await setOAuthRedirectPort(port.trim());
      setLoaded({ state: 'ready', redirect: saved });
      setEditing(false);
      setNote({
        kind: 'saved',
        text:
          saved.url === null
            ? 'Saved: each sign-in now listens on a free port the system picks.'
            : 'Saved: register this new URL in your OAuth client before you sign in.',
      });
    } catch (raw) {
      setNote({ kind: 'error', text: CommandError.from(raw).message });
    } finally {
      setSaving(false);
    }
  }

  async function copy(url: string) {
    setNote(null);
    try {
      await copyText(url);
      setNote({ kind: 'copied', text: 'Copied.' });
    } catch (raw) {
      setNote({ kind: 'error', text: CommandError.from(raw).message });
    }
  }

  function onPortKey(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === 'Enter') {
      // The sign-in form around this field must not submit.
      event.preventDefault();
      void save();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      setEditing(false);
      setNote(null);
    }
  }

  return (
    <Block ref={group} role="group" aria-labelledby={labelId} data-testid="connect-oauth-redirect">
      <Label id={labelId}>Redirect URL to register in your OAuth client</Label>
      <Hint>
        Add it to the client&apos;s Redirect URLs. After you approve in the browser, Zendesk sends you back to this
        address on this computer, where the console receives the sign-in.
      </Hint>
      {loaded.state === 'loading' && <Hint role="status">Reading the redirect URL…</Hint>}
      {loaded.state === 'failed' && (
        <Message role="alert" $error data-testid="connect-oauth-redirect-message">
          The redirect URL could not be read: {loaded.error}
        </Message>
      )}
      {current !== null && (
        <Row>
          <Url data-testid="connect-oauth-redirect-url">
            {current.url ?? 'http://127.0.0.1:<any free port>/oauth/callback'}
          </Url>
          {current.url !== null && (
            <Button
              size="small"
              data-testid="connect-oauth-redirect-copy"
              aria-label="Copy the redirect URL"
              onClick={() => {
                if (current.url !== null) {
                  void copy(current.url);
                }
              }}
            >
              Copy
            </Button>
          )}
          {!editing && (
            <Button
              isLink
              data-testid="connect-oauth-redirect-change"
              aria-disabled={locked}
              title={locked ? 'The sign-in under way listens on this port' : undefined}
              onClick={() => {
                if (!locked) {
                  openEditor();
                }
              }}
            >
              Change port
            </Button>
          )}
        </Row>
      )}
      {current !== null && current.url === null && (
        <Hint>
          Port 0: the system picks a free port at each sign-in, so the OAuth client must accept any port on 127.0.0.1.
        </Hint>
      )}
      {editing && (
        <Editor>
          <Field.Label>Port</Field.Label>
          <Field.Hint>
            From 1024 to 65535 (8751 unless changed), or 0 for any free port. Pick one no other program uses, then
            register the new URL in your OAuth client.
          </Field.Hint>
          <Row>
            <PortInput
              ref={portInput}
              data-testid="connect-oauth-redirect-port"
              value={port}
              isCompact
              inputMode="numeric"
              autoComplete="off"
              validation={note?.kind === 'error' ? 'error' : undefined}
              onChange={(event) => {
                setPort(event.target.value);
                setNote(null);
              }}
              onKeyDown={onPortKey}
            />
            <Button
              size="small"
              isPrimary
              data-testid="connect-oauth-redirect-save"
              aria-disabled={saving || locked}
              onClick={() => {
                if (!locked) {
                  void save();
                }
              }}
            >
              Save port
            </Button>
            <Button
              size="small"
              isBasic
              data-testid="connect-oauth-redirect-cancel"
              onClick={() => {
                setEditing(false);
                setNote(null);
              }}
            >
              Cancel
            </Button>
          </Row>
        </Editor>
      )}
      {note !== null && (
        <Message
          role={note.kind === 'error' ? 'alert' : 'status'}
          $error={note.kind === 'error'}
          data-testid="connect-oauth-redirect-message"
        >
          {note.text}
        </Message>
      )}
    </Block>
  );
}

const Block = styled.div`
  display: flex;
  flex-direction: column;
  gap: ${({ theme }) => theme.space.xxs};
`;

// Garden's field label and hint, for a group that is not one input.
const Label = styled.span`
  font-weight: ${({ theme }) => theme.fontWeights.semibold};
  line-height: ${({ theme }) => theme.lineHeights.md};
`;

const Hint = styled.span`
  line-height: ${({ theme }) => theme.lineHeights.md};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

const Row = styled.div`
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: ${({ theme }) => theme.space.xs};
  margin-top: ${({ theme }) => theme.space.xxs};
`;

const Url = styled.code`
  border: ${({ theme }) => theme.borders.sm} ${({ theme }) => getColor({ theme, variable: 'border.default' })};
  border-radius: ${({ theme }) => theme.borderRadii.sm};
  padding: ${({ theme }) => theme.space.xxs} ${({ theme }) => theme.space.xs};
  background: ${({ theme }) => getColor({ theme, variable: 'background.subtle' })};
  font-family: ${({ theme }) => theme.fonts.mono};
  font-size: ${({ theme }) => theme.fontSizes.sm};
  overflow-wrap: anywhere;
`;

const Editor = styled(Field)`
  margin-top: ${({ theme }) => theme.space.xs};
`;

const PortInput = styled(Input)`
  width: 120px;
`;

const Message = styled.span<{ $error?: boolean }>`
  font-size: ${({ theme }) => theme.fontSizes.sm};
  color: ${({ theme, $error = false }) =>
    getColor({ theme, variable: $error ? 'foreground.danger' : 'foreground.success' })};
`;
