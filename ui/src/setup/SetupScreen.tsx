import { useState } from 'react';
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Tabs } from '@zendeskgarden/react-tabs';
import { Paragraph } from '@zendeskgarden/react-typography';
import type { ConnectionState } from '../connection';
import type { ScreenId } from '../screens';
import { ChecklistTab, CHECKLIST_REFRESH_MS } from './ChecklistTab';
import { ManualTab } from './ManualTab';

/**
 * The Setup screen (SPEC §13): the live checklist of what reply sync needs in Zendesk, each item with its status,
 * evidence and fix, "Create for me" when anything is missing; and the manual path, step by step.
 */
export function SetupScreen({
  connection,
  onNavigate,
  refreshEveryMs = CHECKLIST_REFRESH_MS,
}: {
  connection: ConnectionState;
  onNavigate: (screen: ScreenId) => void;
  refreshEveryMs?: number;
}) {
  const [tab, setTab] = useState<'checklist' | 'manual'>('checklist');
  if (connection.state !== 'ready') {
    return <Paragraph>Reading the saved connection…</Paragraph>;
  }
  if (connection.connection === null) {
    return (
      <Paragraph data-testid="setup-not-connected">
        Setup works on a connected Zendesk account: connect one on the Connect screen, or try the sandbox, first.
      </Paragraph>
    );
  }
  return (
    <>
      <Intro>
        Replies reach the customer when Zendesk has a webhook pointing at the relay and a trigger that calls it on
        every public comment. The checklist watches both and what they depend on.
      </Intro>
      <Tabs
        selectedItem={tab}
        onChange={(item: unknown) => {
          setTab(item === 'manual' ? 'manual' : 'checklist');
        }}
      >
        <Tabs.TabList>
          <Tabs.Tab item="checklist" data-testid="setup-tab-checklist">
            Checklist
          </Tabs.Tab>
          <Tabs.Tab item="manual" data-testid="setup-tab-manual">
            Manual setup
          </Tabs.Tab>
        </Tabs.TabList>
        <Tabs.TabPanel item="checklist">
          {tab === 'checklist' && <ChecklistTab onNavigate={onNavigate} refreshEveryMs={refreshEveryMs} />}
        </Tabs.TabPanel>
        <Tabs.TabPanel item="manual">{tab === 'manual' && <ManualTab />}</Tabs.TabPanel>
      </Tabs>
    </>
  );
}

const Intro = styled(Paragraph)`
  margin-bottom: ${({ theme }) => theme.space.md};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;
