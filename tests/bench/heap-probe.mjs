/**
 * Loaded into a bench worker by BENCH_HEAP_SNAPSHOTS (issue 12: where does a waiting change's
 * memory go?). Node runs it in the main thread and in the SDK's workflow thread. When the bench
 * writes `take-<n>` into HEAP_PROBE_DIR (not a signal: the SDK's runtime shuts the worker down on
 * SIGUSR2, and SIGUSR1 opens the inspector) the main thread writes its heap snapshot into HEAP_PROBE_DIR and asks every thread to write its own
 * (through a BroadcastChannel: streaming a thread's snapshot to the main thread killed the
 * worker), prints the memory of each, and then writes `done-<n>` so the bench goes on.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import { BroadcastChannel, isMainThread, threadId } from 'node:worker_threads';

const dir = process.env.HEAP_PROBE_DIR;
/** HEAP_PROBE_STATS_ONLY=1: the sizes without the snapshots, whose full collection would shrink the next row's heaps. */
const snapshots = process.env.HEAP_PROBE_STATS_ONLY !== '1';
const channel = new BroadcastChannel('heap-probe');
channel.unref();
const mb = (x) => Math.round(x / 2 ** 20);
const stats = () => {
  const h = getHeapStatistics();
  return `heap used ${mb(h.used_heap_size)} of ${mb(h.total_heap_size)} MB, malloced ${mb(h.malloced_memory)} MB, external ${mb(h.external_memory)} MB, contexts ${h.number_of_native_contexts} (detached ${h.number_of_detached_contexts})`;
};

/** Resident memory by kind of mapping: the brk heap, anonymous mappings (malloc's arenas, V8's pages), files. */
const mappings = () => {
  const rss = { brk: 0, anon: 0, file: 0, bigAnon: 0 };
  let kind = 'file';
  let big = false;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const path = head[3] ?? '';
      kind = path === '[heap]' ? 'brk' : path === '' ? 'anon' : 'file';
      big = parseInt(head[2], 16) - parseInt(head[1], 16) >= 32 * 2 ** 20;
    } else if (line.startsWith('Rss:')) {
      const kb = Number(line.split(/\s+/)[1]);
      rss[kind] += kb;
      if (kind === 'anon' && big) rss.bigAnon += kb;
    }
  }
  return `mapped rss: brk ${Math.round(rss.brk / 1024)} MB, anonymous ${Math.round(rss.anon / 1024)} MB (in mappings of 32 MB or more ${Math.round(rss.bigAnon / 1024)}), files ${Math.round(rss.file / 1024)} MB`;
};

if (isMainThread) {
  let n = 0;
  const replies = [];
  channel.onmessage = (e) => typeof e.data === 'object' && e.data.reply && replies.push(e.data.reply);
  const take = async () => {
    const k = n + 1;
    if (!existsSync(`${dir}/take-${k}`)) return;
    n = k;
    replies.length = 0;
    const lines = [`rss ${mb(process.memoryUsage().rss)} MB`, mappings(), `main: ${stats()}`];
    if (snapshots) writeHeapSnapshot(`${dir}/main-${k}.heapsnapshot`);
    channel.postMessage({ snap: k });
    const deadline = Date.now() + 300_000;
    while (replies.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    await new Promise((resolve) => setTimeout(resolve, 1000)); // a second thread, if any, answers too
    const line = `[heap-probe] ${k}: ${[...lines, ...replies].join('; ')}`;
    process.stderr.write(`${line}\n`);
    writeFileSync(`${dir}/done-${k}`, line);
  };
  let busy = false;
  setInterval(() => {
    if (busy) return;
    busy = true;
    void take().finally(() => (busy = false));
  }, 500).unref();
} else {
  channel.onmessage = (e) => {
    if (typeof e.data !== 'object' || !e.data.snap) return;
    const line = `thread ${threadId}: ${stats()}`;
    if (snapshots) writeHeapSnapshot(`${dir}/thread${threadId}-${e.data.snap}.heapsnapshot`);
    channel.postMessage({ reply: line });
  };
}
