import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EcsDocument } from '../../src/model/document.js';
import { createParser } from '../../src/parse/index.js';
import { timeZone } from '../../src/time/zone.js';
import { acceptanceCorpus, type Expectation } from '../fixtures/acceptance-corpus.js';

/** The fields of the acceptance (issue 14), as read from a document. */
const READ: { [K in keyof Expectation]-?: (d: EcsDocument) => unknown } = {
  dataset: (d) => d.event.dataset,
  outcome: (d) => (d.event.dataset === 'dropship.auth' ? d.event.outcome : undefined),
  user: (d) => d.user?.name,
  src: (d) => d.source?.ip,
  sport: (d) => d.source?.port,
  dst: (d) => d.destination?.ip,
  dport: (d) => d.destination?.port,
  transport: (d) => d.network?.transport,
  ipVersion: (d) => d.network?.type,
  inIf: (d) => d.observer?.ingress?.interface?.name,
  outIf: (d) => d.observer?.egress?.interface?.name,
  host: (d) => d.observer?.hostname,
  ts: (d) => d['@timestamp'],
  verdict: (d) => d.event.type?.find((t) => t === 'denied' || t === 'allowed'),
};

test('a corpus of SSH, dropbear, filterlog and MikroTik lines (Asia/Tokyo, year 2018): at least 95 % of the expected fields right', () => {
  const parse = createParser({ zone: timeZone('Asia/Tokyo'), year: 2018, now: () => Date.UTC(2026, 0, 1) });
  let fields = 0;
  let right = 0;
  const wrong: string[] = [];
  for (const [line, expect] of acceptanceCorpus) {
    const doc = parse(line);
    for (const key of Object.keys(READ) as (keyof Expectation)[]) {
      fields++;
      const got = READ[key](doc);
      if (got === expect[key]) right++;
      else wrong.push(`${key}: ${JSON.stringify(got)} ≠ ${JSON.stringify(expect[key])} in ${line.slice(0, 70)}…`);
    }
  }
  console.log(`acceptance corpus: ${right} of ${fields} fields right (${((right / fields) * 100).toFixed(1)} %), ${acceptanceCorpus.length} lines`);
  for (const w of wrong) console.log(`  ${w}`);
  assert.ok(acceptanceCorpus.length >= 40);
  assert.ok(right / fields >= 0.95, `${((right / fields) * 100).toFixed(1)} % < 95 %`);
});
