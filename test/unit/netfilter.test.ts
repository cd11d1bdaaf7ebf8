import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { netfilterCases } from '../fixtures/netfilter-cases.js';
import { expectFields, parserFor } from '../helpers/doc.js';

describe('netfilter lines to ECS', () => {
  const parse = parserFor();
  for (const c of netfilterCases) {
    test(c.name, () => {
      const doc = parse(c.line);
      assert.equal(doc.event.original, c.line.replace(/[\r\n\0]+$/, ''));
      expectFields(doc, c.expect, c.name);
    });
  }
});

test('a line parsed again (prefix, MAC, address and time answers now cached) gives the same document', () => {
  const parse = parserFor();
  const first = netfilterCases.map((c) => JSON.stringify(parse(c.line)));
  const again = netfilterCases.map((c) => JSON.stringify(parse(c.line)));
  assert.deepEqual(again, first);
  // Cached sub-objects are shared, so they are frozen against changes through one document.
  const edgeos = netfilterCases.find((c) => c.line.includes('-D]'));
  assert.ok(edgeos !== undefined);
  const ubiquiti = parse(edgeos.line).iptables?.ubiquiti;
  assert.ok(ubiquiti !== undefined && Object.isFrozen(ubiquiti));
});
