import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../workers/config';

describe('worker configuration: the health endpoint (issue 13)', () => {
  it('WORKER_HEALTH_PORT is parsed as a port; unset means no endpoint; garbage stops the process naming the variable', () => {
    expect(loadConfig({ WORKER_HEALTH_PORT: '8081' }).healthPort).toBe(8081);
    expect(loadConfig({}).healthPort).toBeUndefined();
    for (const bad of ['http', '-1', '70000', '80.5']) {
      expect(() => loadConfig({ WORKER_HEALTH_PORT: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ WORKER_HEALTH_PORT: bad })).toThrow(/WORKER_HEALTH_PORT/);
    }
  });
});
