import type { ReactNode } from 'react';
import { createGlobalStyle, css } from 'styled-components';
import { DEFAULT_THEME, ThemeProvider, type IGardenTheme } from '@zendeskgarden/react-theming';

// Garden clips buttons, tabs and tags (`overflow: hidden`) so long labels end in an ellipsis. WebDriver's visibility
// rule, which the end-to-end tests click and read through, counts such a clipped flex box holding bare text as not
// displayed (it then reports no text for it). The console's labels are short, so the clip is lifted for those
// components through Garden's per-component theme hook.
const UNCLIPPED = css`
  overflow: visible;
`;

/** Garden's default theme (what Admin Center uses), with the console's few component adjustments. */
export const CONSOLE_THEME: IGardenTheme = {
  ...DEFAULT_THEME,
  components: {
    ...DEFAULT_THEME.components,
    'buttons.button': UNCLIPPED,
    'tabs.tab': UNCLIPPED,
    'tags.tag_view': UNCLIPPED,
  },
};

/** The console's theme and the page-level styles Garden does not set itself. */
export function Theme({ children }: { children: ReactNode }) {
  return (
    <ThemeProvider theme={CONSOLE_THEME}>
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
