/**
 * Builds a whole-document response (JSON text). The default is `new Response(text, init)`; an
 * adapter whose runtime has a cheaper equivalent may hand one over (the Node adapter does: a
 * Node 20 Response over a string builds a byte stream only for the server to read it back).
 */
export type DocumentFactory = (text: string, init: { status: number; headers: Record<string, string> }) => Response;

export const standardDocument: DocumentFactory = (text, init) => new Response(text, init);
