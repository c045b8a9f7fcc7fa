import { Paragraph } from '@zendeskgarden/react-typography';

/** A screen that is not built yet says what it will hold and that it is not available, and shows nothing else. */
export function UpcomingScreen({ summary }: { summary: string }) {
  return (
    <>
      <Paragraph>{summary}</Paragraph>
      <Paragraph>It is not available yet.</Paragraph>
    </>
  );
}
