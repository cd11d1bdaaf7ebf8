/**
 * Networks that research projects and search engines publish as their scan sources, so that a
 * blocked probe from them can be labelled instead of looking like an attack.
 *
 * Only operators that publish their own ranges are listed, each with the page the ranges were
 * read from. Ranges change: treat this as a snapshot and use --scanner-list for additions.
 */

export const SCANNERS_COMPILED = '2026-11-23';

export interface ScannerNetwork {
  cidr: string;
  name: string;
  operator: string;
  source: string;
}

const NICT = 'National Institute of Information and Communications Technology (NICT), Japan';

// 2018-11-07 notice of the pre-survey run ahead of NOTICE (ports 22/23/80, from 2018-11-14).
const NICT_PRESURVEY = 'https://www.nict.go.jp/info/topics/2018/11/07-2.html';
// 2019-02-13 notice listing the source addresses of the NOTICE survey itself (from 2019-02-20).
const NICT_NOTICE = 'https://www.nict.go.jp/info/topics/2019/02/13-2.html';

// Censys' opt-out instructions list these subnets; the page was read through the MISP
// warninglist that mirrors it (lists/censys-scanning/list.json in MISP/misp-warninglists).
const CENSYS = 'https://support.censys.io/hc/en-us/articles/360043177092-Opt-Out-of-Data-Collection';

const nict = (cidr: string, source: string): ScannerNetwork => ({ cidr, name: 'NICT NOTICE', operator: NICT, source });
const censys = (cidr: string): ScannerNetwork => ({ cidr, name: 'Censys', operator: 'Censys, Inc.', source: CENSYS });

export const SCANNER_NETWORKS: readonly ScannerNetwork[] = [
  nict('210.150.186.238/32', NICT_PRESURVEY),
  nict('122.1.4.87/32', NICT_PRESURVEY),
  nict('122.1.4.88/32', NICT_PRESURVEY),
  nict('150.249.227.160/28', NICT_NOTICE),
  nict('153.231.215.8/29', NICT_NOTICE),
  nict('153.231.216.176/29', NICT_NOTICE),
  nict('153.231.216.184/29', NICT_NOTICE),
  nict('153.231.216.216/29', NICT_NOTICE),
  nict('153.231.226.160/29', NICT_NOTICE),
  nict('153.231.226.168/29', NICT_NOTICE),
  nict('153.231.227.192/29', NICT_NOTICE),
  nict('153.231.227.208/29', NICT_NOTICE),
  nict('153.231.227.216/29', NICT_NOTICE),
  nict('153.231.227.224/29', NICT_NOTICE),

  censys('162.142.125.0/24'),
  censys('167.94.138.0/24'),
  censys('167.94.145.0/24'),
  censys('167.94.146.0/24'),
  censys('167.248.133.0/24'),
  censys('199.45.154.0/24'),
  censys('199.45.155.0/24'),
  censys('206.168.34.0/24'),
  censys('2602:80d:1000:b0cc:e::/80'),
  censys('2602:80d:1003::/112'),
  censys('2602:80d:1004::/112'),
  censys('2620:96:e000:b0cc:e::/80'),
];
