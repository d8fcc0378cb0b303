import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { changeStates, terminalStates } from '../../workflows/phone-change.defs';

const diagram = readFileSync(new URL('../../workflows/phone-change/diagram.mmd', import.meta.url), 'utf8');

/** The states named by transitions in the Mermaid file. */
function diagramStates(): Set<string> {
  const states = new Set<string>();
  for (const line of diagram.split('\n')) {
    const m = /^\s*(\[\*\]|\w+)\s*-->\s*(\[\*\]|\w+)/.exec(line);
    if (!m) continue;
    for (const s of [m[1], m[2]]) if (s && s !== '[*]') states.add(s);
  }
  return states;
}

describe('the state diagram beside the workflow', () => {
  it('names exactly the states the code has', () => {
    expect([...diagramStates()].sort()).toEqual([...changeStates].sort());
  });

  it('ends every terminal state, and only those', () => {
    const ending = new Set([...diagram.matchAll(/^\s*(\w+)\s*-->\s*\[\*\]/gm)].map((m) => m[1]));
    expect([...ending].sort()).toEqual([...terminalStates].sort());
  });
});
