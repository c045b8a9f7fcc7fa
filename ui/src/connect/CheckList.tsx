import type { ReactNode } from 'react';
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Spinner } from '@zendeskgarden/react-loaders';
import type { CheckEvent, CheckStatus } from '../api';
import { Prose } from '../shell/Prose';
import { VisuallyHidden } from '../shell/VisuallyHidden';

/**
 * Adds or updates one check, keeping the order in which checks first appeared: a check is reported as `running`
 * and later again with its final status, and must stay in its place when it does.
 */
export function upsertCheck(checks: readonly CheckEvent[], event: CheckEvent): CheckEvent[] {
  const index = checks.findIndex((check) => check.id === event.id);
  if (index === -1) {
    return [...checks, event];
  }
  return checks.map((check, position) => (position === index ? event : check));
}

const STATUS_TEXT: Record<CheckStatus, string> = {
  running: 'Checking',
  passed: 'Passed',
  failed: 'Failed',
  warning: 'Warning',
  skipped: 'Skipped',
};

/**
 * The checks of one "Verify & Save" run, each with its status icon, detail, and for problems the cause and fix.
 * `fixFor` may answer a check's fix in the window's own terms (a button where the app's text names a command);
 * `null` keeps the app's text.
 */
export function CheckList({
  checks,
  finished,
  fixFor,
}: {
  checks: readonly CheckEvent[];
  finished: boolean;
  fixFor?: (check: CheckEvent) => ReactNode;
}) {
  return (
    <List aria-label="Connection checks" aria-live="polite">
      {checks.map((check) => (
        <Item key={check.id} data-testid={`check-${check.id}`} data-status={check.status}>
          <StatusIcon status={check.status} stopped={finished} />
          <Body>
            <Label>
              {check.label}
              <VisuallyHidden>: {STATUS_TEXT[check.status]}</VisuallyHidden>
            </Label>
            {check.detail !== '' && <Detail>{check.detail}</Detail>}
            {check.status === 'running' && finished && <Detail>Stopped before it finished.</Detail>}
            {check.cause !== null && (
              <Explanation>
                <strong>Cause:</strong> <Prose text={check.cause} />
              </Explanation>
            )}
            {check.fix !== null && (
              <Explanation data-testid={`fix-${check.id}`}>
                <strong>Fix:</strong> {fixFor?.(check) ?? <Prose text={check.fix} />}
              </Explanation>
            )}
          </Body>
        </Item>
      ))}
    </List>
  );
}

/** A check still `running` after its run ended (the command failed midway) shows a neutral mark, not a spinner. */
function StatusIcon({ status, stopped }: { status: CheckStatus; stopped: boolean }) {
  if (status === 'running' && !stopped) {
    return (
      <IconBox>
        <Spinner size="18px" delayMS={0} aria-hidden="true" />
      </IconBox>
    );
  }
  const mark = status === 'running' ? 'skipped' : status;
  return (
    <IconBox $status={mark} aria-hidden="true">
      {MARKS[mark]}
    </IconBox>
  );
}

const MARKS: Record<Exclude<CheckStatus, 'running'>, string> = {
  passed: '\u2713',
  failed: '\u2715',
  warning: '!',
  skipped: '\u2013',
};

const List = styled.ul`
  list-style: none;
  margin: ${({ theme }) => theme.space.md} 0 0;
  padding: 0;
`;

const Item = styled.li`
  display: flex;
  gap: ${({ theme }) => theme.space.sm};
  padding: ${({ theme }) => theme.space.sm} 0;
  border-bottom: ${({ theme }) => theme.borders.sm} ${({ theme }) => getColor({ theme, variable: 'border.subtle' })};
`;

const IconBox = styled.span<{ $status?: Exclude<CheckStatus, 'running'> }>`
  display: inline-flex;
  flex: none;
  align-items: center;
  justify-content: center;
  border-radius: 50%;
  width: 20px;
  height: 20px;
  font-weight: ${({ theme }) => theme.fontWeights.bold};
  font-size: ${({ theme }) => theme.fontSizes.sm};
  color: ${({ theme, $status }) => ($status === undefined ? 'inherit' : getColor({ theme, variable: 'foreground.onEmphasis' }))};
  background: ${({ theme, $status }) => {
    switch ($status) {
      case 'passed':
        return getColor({ theme, variable: 'background.successEmphasis' });
      case 'failed':
        return getColor({ theme, variable: 'background.dangerEmphasis' });
      case 'warning':
        return getColor({ theme, variable: 'background.warningEmphasis' });
      case 'skipped':
        return getColor({ theme, variable: 'background.emphasis' });
      case undefined:
        return 'transparent';
    }
  }};
`;

const Body = styled.div`
  display: flex;
  flex-direction: column;
  gap: ${({ theme }) => theme.space.xxs};
`;

const Label = styled.span`
  font-weight: ${({ theme }) => theme.fontWeights.semibold};
`;

const Detail = styled.span`
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

const Explanation = styled.span``;

