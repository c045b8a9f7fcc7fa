import { useState } from 'react';
import styled from 'styled-components';
import { Button } from '@zendeskgarden/react-buttons';
import { Tabs } from '@zendeskgarden/react-tabs';
import type { AuthMethod, ConnectionView } from '../api';
import { API_TOKEN_DEADLINE } from './deadline';
import { OAuthSignInForm } from './OAuthSignInForm';
import { EMPTY_PREFILL, type ConnectPrefill } from './prefill';
import { TokenForm } from './TokenForm';

/**
 * The Connect form: auth method tabs, OAuth first (the recommended way in, and the only one left after
 * 2027-04-30), the legacy API token second. `prefill` carries the saved connection's subdomain, Default Agent and
 * base URL when the admin moves to OAuth or signs in again; `onBack` then offers a way back to the connection.
 */
export function ConnectFormPanel({
  onConnected,
  prefill = EMPTY_PREFILL,
  onBack,
}: {
  onConnected: (connection: ConnectionView) => void;
  prefill?: ConnectPrefill;
  onBack?: () => void;
}) {
  const [method, setMethod] = useState<AuthMethod>('oauth');
  return (
    <>
      {onBack !== undefined && (
        <Back>
          <Button isLink data-testid="connect-back" onClick={onBack}>
            {'\u2190'} Back to the connection
          </Button>
        </Back>
      )}
      <Tabs
        selectedItem={method}
        onChange={(item: unknown) => {
          setMethod(item === 'api_token' ? 'api_token' : 'oauth');
        }}
      >
        <Tabs.TabList>
          <Tabs.Tab item="oauth" data-testid="connect-tab-oauth">
            OAuth (recommended)
          </Tabs.Tab>
          <Tabs.Tab item="api_token" data-testid="connect-tab-token">
            API token (legacy, until {API_TOKEN_DEADLINE})
          </Tabs.Tab>
        </Tabs.TabList>
        <Tabs.TabPanel item="oauth">
          <OAuthSignInForm prefill={prefill} onConnected={onConnected} />
        </Tabs.TabPanel>
        <Tabs.TabPanel item="api_token">
          <TokenForm prefill={prefill} onConnected={onConnected} />
        </Tabs.TabPanel>
      </Tabs>
    </>
  );
}

const Back = styled.div`
  margin-bottom: ${({ theme }) => theme.space.sm};
`;
