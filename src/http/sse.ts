// Server-Sent Events framing: events end at a blank line; an event's payload is its `data:`
// lines joined by newlines. Upstreams mostly send `\n\n`, some `\r\n\r\n`.

export interface SseEvent {
  /** The raw event text, without the terminating blank line. */
  raw: string;
  /** Joined data lines, or null for events without data (comments, keep-alives). */
  data: string | null;
}

const EVENT_END = /\r?\n\r?\n/;

/** Splits a text buffer into complete events and the unfinished remainder. */
export function splitEvents(buffer: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  let rest = buffer;
  for (;;) {
    const m = EVENT_END.exec(rest);
    if (!m) break;
    const raw = rest.slice(0, m.index);
    rest = rest.slice(m.index + m[0].length);
    if (raw !== "") events.push({ raw, data: dataOf(raw) });
  }
  return { events, rest };
}

function dataOf(raw: string): string | null {
  // Fast path: the one-line `data: {...}` event every OpenAI-compatible upstream sends.
  if (raw.startsWith("data:") && raw.indexOf("\n") === -1) return stripLeadingSpace(raw.slice(5));
  let data: string | null = null;
  for (const line of raw.split(/\r?\n/)) {
    if (!line.startsWith("data:")) continue;
    const piece = stripLeadingSpace(line.slice(5));
    data = data === null ? piece : `${data}\n${piece}`;
  }
  return data;
}

const stripLeadingSpace = (s: string) => (s.startsWith(" ") ? s.slice(1) : s);

export const sseData = (payload: string) => `data: ${payload}\n\n`;
export const SSE_DONE = "data: [DONE]\n\n";
