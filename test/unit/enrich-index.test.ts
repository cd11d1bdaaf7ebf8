import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createEnricher } from '../../src/enrich/index.js';
import type { EcsDocument } from '../../src/model/document.js';
import { timeZone } from '../../src/time/zone.js';

function doc(fields: Partial<EcsDocument>): EcsDocument {
  return {
    '@timestamp': '2026-11-23T15:30:00.000Z',
    ecs: { version: '8.17.0' },
    event: { kind: 'event', original: 'x', created: '2026-11-23T15:30:01.000Z' },
    ...fields,
  };
}

describe('createEnricher', () => {
  it('fills service and local time on one document', async () => {
    const enricher = await createEnricher({ geoip: false, timezone: timeZone('Asia/Tokyo') });
    const d = doc({ source: { ip: '198.51.100.9' }, destination: { ip: '192.168.1.1', port: 53413 }, network: { transport: 'udp' } });
    enricher.enrich(d);
    assert.deepEqual(d.dropship, { service: { note: 'Netis/Netcore router backdoor' }, local: { hour: 0, weekday: 2 } });
  });

  it('keeps service fields the document already has and adds the missing ones', async () => {
    const enricher = await createEnricher({ geoip: false, timezone: timeZone('UTC') });
    const d = doc({ destination: { ip: '192.168.1.1', port: 23 }, network: { transport: 'tcp' }, dropship: { service: { name: 'router-says' } } });
    enricher.enrich(d);
    assert.equal(d.dropship?.service?.name, 'router-says');
    assert.equal(d.dropship?.service?.note, 'Mirai-style telnet brute force');
  });

  it('shares frozen sub-objects between documents', async () => {
    const enricher = await createEnricher({ geoip: undefined, timezone: timeZone('UTC') });
    const a = doc({ source: { ip: '8.8.8.8' }, destination: { ip: '192.168.1.1', port: 22 }, network: { transport: 'tcp' } });
    const b = doc({ source: { ip: '8.8.8.8' }, destination: { ip: '192.168.1.1', port: 22 }, network: { transport: 'tcp' } });
    enricher.enrich(a);
    enricher.enrich(b);
    assert.equal(a.source?.geo, b.source?.geo);
    assert.equal(a.dropship?.service, b.dropship?.service);
    assert.equal(a.dropship?.local, b.dropship?.local);
    for (const o of [a.source?.geo, a.dropship?.service, a.dropship?.local]) assert.ok(Object.isFrozen(o));
    assert.notEqual(a.dropship, b.dropship, 'each document gets its own dropship object');
  });

  it('leaves documents without usable fields untouched', async () => {
    const enricher = await createEnricher({ geoip: undefined, timezone: timeZone('UTC') });
    const d = doc({ '@timestamp': 'not a time', source: { ip: 'not an ip' }, destination: { port: 99999 }, network: { transport: 'icmp' } });
    const before = structuredClone(d);
    enricher.enrich(d);
    assert.deepEqual(d, before);
  });

  it('looks up the destination too, and a changing destination is not served stale', async () => {
    const enricher = await createEnricher({ geoip: undefined, timezone: timeZone('UTC') });
    const a = doc({ source: { ip: '10.0.0.2' }, destination: { ip: '8.8.8.8' } });
    const b = doc({ source: { ip: '10.0.0.2' }, destination: { ip: '210.150.186.238' } });
    enricher.enrich(a);
    enricher.enrich(b);
    assert.equal(a.destination?.geo?.country_iso_code, 'US');
    assert.equal(b.destination?.geo?.country_iso_code, 'JP');
    assert.equal(b.dropship?.scanner, undefined, 'scanner matching applies to sources only');
  });
});
