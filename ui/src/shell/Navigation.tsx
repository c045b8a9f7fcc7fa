import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { SCREENS, type ScreenId } from '../screens';

/** The left navigation, one real button per screen; the current one is marked with `aria-current`. */
export function Navigation({ current, onSelect }: { current: ScreenId; onSelect: (screen: ScreenId) => void }) {
  return (
    <Sidebar aria-label="Console">
      <Product>Handoff Console</Product>
      <Items>
        {SCREENS.map((screen) => (
          <li key={screen.id}>
            <Item
              type="button"
              data-testid={`nav-${screen.id}`}
              aria-current={screen.id === current ? 'page' : undefined}
              onClick={() => {
                onSelect(screen.id);
              }}
            >
              {screen.title}
            </Item>
          </li>
        ))}
      </Items>
    </Sidebar>
  );
}

const Sidebar = styled.nav`
  grid-area: nav;
  overflow-y: auto;
  border-right: ${({ theme }) => theme.borders.sm} ${({ theme }) => getColor({ theme, variable: 'border.default' })};
  background: ${({ theme }) => getColor({ theme, variable: 'background.subtle' })};
  padding: ${({ theme }) => theme.space.md} 0;
`;

const Product = styled.div`
  padding: 0 ${({ theme }) => theme.space.md} ${({ theme }) => theme.space.md};
  font-size: ${({ theme }) => theme.fontSizes.lg};
  font-weight: ${({ theme }) => theme.fontWeights.semibold};
`;

const Items = styled.ul`
  list-style: none;
  margin: 0;
  padding: 0;
`;

const Item = styled.button`
  display: block;
  width: 100%;
  border: none;
  border-left: ${({ theme }) => theme.borderWidths.md} solid transparent;
  background: none;
  cursor: pointer;
  padding: ${({ theme }) => theme.space.xs} ${({ theme }) => theme.space.md};
  text-align: left;
  line-height: ${({ theme }) => theme.lineHeights.md};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.default' })};
  font-family: inherit;
  font-size: ${({ theme }) => theme.fontSizes.md};

  &:hover {
    background: ${({ theme }) => getColor({ theme, variable: 'background.emphasis', transparency: theme.opacity[100] })};
  }

  &[aria-current='page'] {
    border-left-color: ${({ theme }) => getColor({ theme, variable: 'border.primaryEmphasis' })};
    background: ${({ theme }) => getColor({ theme, variable: 'background.default' })};
    font-weight: ${({ theme }) => theme.fontWeights.semibold};
  }

  &:focus-visible {
    outline: ${({ theme }) => theme.borderWidths.md} solid
      ${({ theme }) => getColor({ theme, variable: 'border.primaryEmphasis' })};
    outline-offset: -${({ theme }) => theme.borderWidths.md};
  }
`;
