import type { ReactNode } from 'react';
import { createGlobalStyle } from 'styled-components';
import { DEFAULT_THEME, ThemeProvider } from '@zendeskgarden/react-theming';

/** Garden's default theme (what Admin Center uses) and the page-level styles it does not set itself. */
export function Theme({ children }: { children: ReactNode }) {
  return (
    <ThemeProvider theme={DEFAULT_THEME}>
      <PageStyle />
      {children}
    </ThemeProvider>
  );
}

const PageStyle = createGlobalStyle`
  html, body {
    margin: 0;
    font-family: ${({ theme }) => theme.fonts.system};
    font-size: ${({ theme }) => theme.fontSizes.md};
    line-height: ${({ theme }) => theme.lineHeights.md};
  }
`;
