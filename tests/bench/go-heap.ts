/**
 * nats-server's live Go heap, beside its RSS: what the waiting changes keep alive, told apart from
 * what the Go runtime holds on to (its collector lets the heap grow to twice what survived the
 * last collection, GOGC=100, and gives freed pages back to the system lazily). Read from its
 * profiling endpoint (`-profile`) after a collection it asks for (`gc=1`), once the row's RSS is
 * read. The Temporal dev server has no such endpoint, and its `memory_heap` gauge, read without a
 * collection, moved by 20-70 KB per change between rows of one run: garbage, not data.
 */

/**
 * HeapAlloc after two collections: the bytes alive. One is not enough: the message blocks' buffers
 * go back to a `sync.Pool` when their cache expires, and a pool's contents survive one collection
 * (as its victims) and are freed by the next; after one, 4 of the 6.1 KB per waiting change read
 * at 10 000 were such buffers (a heap profile, 2026-12-02).
 */
export async function natsLiveHeapBytes(profilePort: number): Promise<number | undefined> {
  await fetchText(`http://127.0.0.1:${profilePort}/debug/pprof/heap?gc=1&debug=1`);
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
