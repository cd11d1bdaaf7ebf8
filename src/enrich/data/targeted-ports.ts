/**
 * Ports that attackers probe because of a known flaw in a device family, shown as
 * `dropship.service.note` next to the IANA service name (which for these ports is either
 * missing or unrelated to the traffic actually seen).
 *
 * Every entry cites public reporting of that port being targeted. Entries without a source
 * found and read by the compiler were left out. Compiled 2026-11-23.
 */

export interface TargetedPort {
  port: number;
  transport: 'tcp' | 'udp';
  note: string;
}

export const TARGETED_PORTS: readonly TargetedPort[] = [
  // Netis/Netcore routers listen on 53413/udp with a hard-coded password (Trend Micro, 2014);
  // Shadowserver ran an Internet-wide scan for it.
  //   https://www.securityweek.com/easily-exploitable-vulnerability-found-netis-routers/
  //   https://netisscan.shadowserver.org/
  { port: 53413, transport: 'udp', note: 'Netis/Netcore router backdoor' },

  // CVE-2017-17215: TR-064 command injection on Huawei HG532, spread by Satori/Mirai variants.
  //   https://www.cybersecurity-help.cz/vulnerabilities/9722/
  //   https://ics-cert.kaspersky.com/publications/news/2017/12/14/satori
  { port: 37215, transport: 'tcp', note: 'Huawei HG532 TR-064 exploit (CVE-2017-17215)' },

  // CVE-2014-8361: Realtek SDK miniigd UPnP SOAP command injection, the second Satori exploit.
  //   https://ics-cert.kaspersky.com/publications/news/2017/12/14/satori
  //   https://www.cyber.nj.gov/threat-profiles/botnet-variants/satori
  { port: 52869, transport: 'tcp', note: 'Realtek SDK UPnP SOAP exploit (CVE-2014-8361)' },

  // TR-069/TR-064 remote management; a Mirai variant hit ~900,000 Deutsche Telekom routers in 2016.
  //   https://www.itnews.com.au/news/mirai-botnet-attacks-900000-german-broadband-routers-442887
  { port: 7547, transport: 'tcp', note: 'TR-069 router management (Mirai variant, 2016)' },

  // Android Debug Bridge left open over the network; ADB.Miner worm (2018).
  //   https://securityonline.info/7000-android-devices-are-infected-with-adb-miner-malicious-programs
  //   https://indigodefense.com/2018/06/13/tens-of-thousands-of-android-devices-are-exposing-their-debug-port
  { port: 5555, transport: 'tcp', note: 'Android Debug Bridge (ADB.Miner worm)' },

  // Mirai scans telnet on 23 and 2323 and logs in with default credentials.
  //   https://uk.extremenetworks.com/extreme-networks-blog/detecting-mirai-botnet-scans
  //   https://ics-cert.kaspersky.com/publications/new-mirai/feed
  { port: 23, transport: 'tcp', note: 'Mirai-style telnet brute force' },
  { port: 2323, transport: 'tcp', note: 'Mirai-style telnet brute force' },

  // Satori also brute-forces telnet on 2223.
  //   https://www.cyber.nj.gov/threat-profiles/botnet-variants/satori
  { port: 2223, transport: 'tcp', note: 'Satori telnet brute force' },

  // MikroTik Winbox: scanners use it to find RouterOS devices (MikroTik's own notice), and
  // CVE-2018-14847 let attackers read the user database through it.
  //   https://forum.mikrotik.com/viewtopic.php?p=651150
  //   https://netpro.ar/blog/winbox-inaccesible-temporalmente-por-ataques-globales-al-puerto-tcp8291
  { port: 8291, transport: 'tcp', note: 'MikroTik Winbox (CVE-2018-14847)' },
];
