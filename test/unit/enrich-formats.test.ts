import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEnricher } from '../../src/enrich/index.js';
import { createParser } from '../../src/parse/index.js';
import { timeZone } from '../../src/time/zone.js';

/** Enrichment is the same for every format's documents: it reads source/destination, not the format. */
test('SSH, filterlog and MikroTik documents get country, known scanner and local time as netfilter ones do', async () => {
  const zone = timeZone('Asia/Tokyo');
  const parse = createParser({ zone, year: 2018, now: () => Date.UTC(2026, 0, 1) });
  const enricher = await createEnricher({ geoip: undefined, timezone: zone });
  const lines = [
    'Nov 16 09:02:11 vps sshd[1]: Failed password for root from 210.150.186.238 port 41230 ssh2',
    'Nov 16 09:02:11 OpenWrt dropbear[1]: Bad password attempt for \'root\' from 210.150.186.238:41230',
    'Nov 16 09:02:11 fw filterlog[1]: 9,,,1000000103,igb3,match,block,in,4,0x0,,51,16809,0,none,6,tcp,40,210.150.186.238,198.51.100.165,41230,22,0,S,1,,4936,,',
    'Nov 16 09:02:11 RB firewall,info input: in:ether1 out:(unknown 0), proto TCP (SYN), 210.150.186.238:41230->198.51.100.1:22, len 60',
  ];
  for (const line of lines) {
    const doc = parse(line);
    enricher.enrich(doc);
    assert.equal(doc.source?.geo?.country_iso_code, 'JP', line);
    assert.ok(doc.tags?.includes('known_scanner'), line);
    assert.match(String(doc.dropship?.scanner?.name), /NICT|NOTICE/i, line);
    assert.deepEqual(doc.dropship?.local, { hour: 9, weekday: 5 }, line); // 2018-11-16 was a Friday
  }
});
