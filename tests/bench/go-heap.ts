/**
 * nats-server's live Go heap, beside its RSS: what the waiting changes keep alive, told apart from
 * what the Go runtime holds on to (its collector lets the heap grow to twice what survived the
 * last collection, GOGC=100, and gives freed pages back to the system lazily). Read from its
 * profiling endpoint (`-profile`) after a collection it asks for (`gc=1`), once the row's RSS is
 * read. The Temporal dev server has no such endpoint, and its `memory_heap` gauge, read without a
 * collection, moved by 20-70 KB per change between rows of one run: garbage, not data.
 */

/** HeapAlloc after a collection: the bytes alive. */
export async function natsLiveHeapBytes(profilePort: number): Promise<number | undefined> {
  const text = await fetchText(`http://127.0.0.1:${profilePort}/debug/pprof/heap?gc=1&debug=1`);
  const m = text && /^# HeapAlloc = (\d+)$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

async function fetchText(url: string): Promise<string | undefined> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return r.ok ? await r.text() : undefined;
  } catch {
    return undefined;
  }
}
