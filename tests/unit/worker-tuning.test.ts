import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../workers/config';
import { tuningOptions } from '../../workers/worker';

describe('worker tuning from configuration (issue 12)', () => {
  it('a bounded workflow cache, fixed slots and a 3 s sticky queue timeout by default; each WORKER_* variable sets its option', () => {
    const d = loadConfig({}).worker;
    expect(d).toEqual({ maxCachedWorkflows: 250, slots: { workflowTasks: 40, activities: 100, localActivities: 100 }, stickyQueueTimeoutMs: 3000, workflowHeapMb: 316, workflowStackTraces: false });
    const t = loadConfig({
      WORKER_MAX_CACHED_WORKFLOWS: '600',
      WORKER_WORKFLOW_TASK_SLOTS: '8',
      WORKER_ACTIVITY_SLOTS: '20',
      WORKER_LOCAL_ACTIVITY_SLOTS: '30',
      WORKER_STICKY_QUEUE_TIMEOUT: '5s',
    }).worker;
    expect(tuningOptions(t)).toEqual({
      maxCachedWorkflows: 600,
      stickyQueueScheduleToStartTimeout: 5000,
      maxConcurrentWorkflowTaskExecutions: 8,
      maxConcurrentActivityTaskExecutions: 20,
      maxConcurrentLocalActivityExecutions: 30,
    });
  });

  it('the workflow thread heap limit follows the cache bound unless WORKER_WORKFLOW_HEAP_MB sets it', () => {
    expect(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '1000' }).worker.workflowHeapMb).toBe(878);
    expect(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '2' }).worker.workflowHeapMb).toBe(130);
    expect(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '1000', WORKER_WORKFLOW_HEAP_MB: '512' }).worker.workflowHeapMb).toBe(512);
  });

  it('a heap limit too small for the cache is refused at start-up, naming both variables and the least that fits', () => {
    const env = { WORKER_MAX_CACHED_WORKFLOWS: '1000', WORKER_WORKFLOW_HEAP_MB: '400' };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/WORKER_WORKFLOW_HEAP_MB: 400 MB cannot hold 1000 cached changes \(WORKER_MAX_CACHED_WORKFLOWS.*at least 478, 878 by default/);
    expect(loadConfig({ ...env, WORKER_WORKFLOW_HEAP_MB: '478' }).worker.workflowHeapMb).toBe(478);
  });

  it('the Web UI stack traces are off unless WORKER_WORKFLOW_STACK_TRACES=on (their cost: README "Figures")', () => {
    expect(loadConfig({ WORKER_WORKFLOW_STACK_TRACES: 'on' }).worker.workflowStackTraces).toBe(true);
    expect(loadConfig({ WORKER_WORKFLOW_STACK_TRACES: 'off' }).worker.workflowStackTraces).toBe(false);
  });

  it("WORKER_RESOURCE_TUNER uses the SDK's resource-based tuner instead of fixed slots", () => {
    const o = tuningOptions(loadConfig({ WORKER_RESOURCE_TUNER: '0.8,0.9' }).worker);
    expect(o.tuner).toEqual({ tunerOptions: { targetMemoryUsage: 0.8, targetCpuUsage: 0.9 } });
    expect(o.maxConcurrentWorkflowTaskExecutions).toBeUndefined();
  });

  it('bad values stop the process with a ConfigError naming the variable', () => {
    const bad: Record<string, string>[] = [
      { WORKER_MAX_CACHED_WORKFLOWS: '-1' },
      { WORKER_MAX_CACHED_WORKFLOWS: '0' },
      { WORKER_MAX_CACHED_WORKFLOWS: 'many' },
      { WORKER_WORKFLOW_TASK_SLOTS: '1' },
      { WORKER_STICKY_QUEUE_TIMEOUT: '3 seconds' },
      { WORKER_RESOURCE_TUNER: '0.8' },
      { WORKER_RESOURCE_TUNER: '1.5,0.9' },
      { WORKER_WORKFLOW_HEAP_MB: '64' },
      { WORKER_WORKFLOW_HEAP_MB: '1e9' },
      { WORKER_WORKFLOW_HEAP_MB: 'lots' },
      { WORKER_WORKFLOW_HEAP_MB: 'NaN' },
      { WORKER_WORKFLOW_HEAP_MB: '-512' },
      { WORKER_WORKFLOW_HEAP_MB: '' },
      { WORKER_WORKFLOW_HEAP_MB: '316.5' },
      { WORKER_WORKFLOW_HEAP_MB: 'Infinity' },
      { WORKER_MAX_CACHED_WORKFLOWS: 'NaN' },
      { WORKER_WORKFLOW_STACK_TRACES: 'yes' },
      { WORKER_WORKFLOW_STACK_TRACES: 'ON' },
      { WORKER_WORKFLOW_STACK_TRACES: '' },
      { WORKER_WORKFLOW_STACK_TRACES: 'true' },
      { WORKER_WORKFLOW_STACK_TRACES: ' on' },
      { WORKER_WORKFLOW_STACK_TRACES: 'on'.repeat(100_000) },
    ];
    for (const env of bad) {
      const name = Object.keys(env)[0]!;
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(new RegExp(name));
    }
  });
});
