import { formatDuration, now } from "../time";

const LABELS: Record<string, string> = {
  "waiting-for-user": "needs you",
};

export function StatusBadge({ status }: { status: string }) {
  return (
    <span class={`status s-${status}`} data-status={status}>
      {LABELS[status] ?? status}
    </span>
  );
}

export function Since({ since }: { since: number }) {
  return <span class="since">{formatDuration(now.value - since)}</span>;
}
