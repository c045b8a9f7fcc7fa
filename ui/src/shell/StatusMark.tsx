import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import type { ItemState } from '../api';

const MARKS: Record<ItemState, string> = {
  ok: '\u2713',
  warning: '!',
  failing: '\u2715',
  unknown: '?',
};

export const STATE_TEXT: Record<ItemState, string> = {
  ok: 'OK',
  warning: 'Warning',
  failing: 'Failing',
  unknown: 'Unknown',
};

/** A checklist verdict as Admin Center marks it: a filled circle in the state's colour, with a glyph. */
export function StatusMark({ state }: { state: ItemState }) {
  return (
    <Mark $state={state} aria-hidden="true">
      {MARKS[state]}
    </Mark>
  );
}

const Mark = styled.span<{ $state: ItemState }>`
  display: inline-flex;
  flex: none;
  align-items: center;
  justify-content: center;
  border-radius: 50%;
  width: 20px;
  height: 20px;
  font-weight: ${({ theme }) => theme.fontWeights.bold};
  font-size: ${({ theme }) => theme.fontSizes.sm};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.onEmphasis' })};
  background: ${({ theme, $state }) => {
    switch ($state) {
      case 'ok':
        return getColor({ theme, variable: 'background.successEmphasis' });
      case 'failing':
        return getColor({ theme, variable: 'background.dangerEmphasis' });
      case 'warning':
        return getColor({ theme, variable: 'background.warningEmphasis' });
      case 'unknown':
        return getColor({ theme, variable: 'background.emphasis' });
    }
  }};
`;
