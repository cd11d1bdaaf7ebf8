import type { Format } from './format.js';
import { dropbear } from './dropbear.js';
import { filterlog } from './filterlog.js';
import { mikrotik } from './mikrotik.js';
import { netfilter } from './netfilter.js';
import { netfilterFragment } from './netfilter-fragment.js';
import { openssh } from './openssh.js';

/**
 * The formats dropship reads, in the order a line is offered to them (after the one its syslog
 * program names, if any): the first whose find() answers takes the line. Netfilter first, as most
 * lines are; fragments last, as their test is the loosest. A line no format takes is kept in the
 * dropship.syslog dataset (../index.ts).
 *
 * Adding a format: its module in this folder, its fixtures, and one line here (../README.md).
 */
export const FORMATS: readonly Format[] = [
  netfilter,
  mikrotik,
  filterlog,
  openssh,
  dropbear,
  netfilterFragment,
];

export type { Format, ParseContext } from './format.js';
