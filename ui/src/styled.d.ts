import 'styled-components';
import type { IGardenTheme } from '@zendeskgarden/react-theming';

// Styled components in this app read Garden's theme (colors, spacing, type scale) from `props.theme`.
declare module 'styled-components' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging needs an interface
  export interface DefaultTheme extends IGardenTheme {}
}
