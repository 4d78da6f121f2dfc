// Reads an SSE response the way a client would, keeping the arrival time of each event.
export interface TimedEvent {
  data: string;
  at: number;
}

export async function readEvents(res: Response): Promise<TimedEvent[]> {
  const events: TimedEvent[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) !== -1) {
      const raw = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = raw
        .split("\n")
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trimStart())
        .join("\n");
      if (data) events.push({ data, at: performance.now() });
    }
  }
  return events;
}

export const jsonEvents = (events: TimedEvent[]) =>
  events.filter((e) => e.data !== "[DONE]").map((e) => JSON.parse(e.data) as Record<string, unknown>);
