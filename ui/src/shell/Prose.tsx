import { Fragment } from 'react';
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';

/**
 * A sentence from the core (a cause, a fix) with its `quoted` commands and values shown as code. The core writes
 * the same sentences for the CLI, where backticks mark what to type; in the window they read as code instead.
 * An unpaired backtick stays as it is.
 */
export function Prose({ text }: { text: string | null }) {
  if (text === null) {
    return null;
  }
  const parts = text.split('`');
  if (parts.length < 3 || parts.length % 2 === 0) {
    return <>{text}</>;
  }
  return (
    <>
      {parts.map((part, index) =>
        index % 2 === 1 ? <InlineCode key={index}>{part}</InlineCode> : <Fragment key={index}>{part}</Fragment>,
      )}
    </>
  );
}

const InlineCode = styled.code`
  font-family: ${({ theme }) => theme.fonts.mono};
  font-size: ${({ theme }) => theme.fontSizes.sm};
  overflow-wrap: anywhere;
  border-radius: ${({ theme }) => theme.borderRadii.sm};
  background: ${({ theme }) => getColor({ theme, variable: 'background.subtle' })};
  padding: 0 ${({ theme }) => theme.space.xxs};
`;
