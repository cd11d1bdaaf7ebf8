import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { netfilterCases } from './fixtures/netfilter-cases.js';
import { expectFields, parserFor } from './helpers/doc.js';

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
