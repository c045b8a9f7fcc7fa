import styled from 'styled-components';

/** Text for screen readers (and tests) that sighted users get from an icon or a mark beside it. */
export const VisuallyHidden = styled.span`
  position: absolute;
  width: 1px;
  height: 1px;
  overflow: hidden;
  clip: rect(0 0 0 0);
  white-space: nowrap;
`;
