import type { Dataset } from '../../model/data-stream.js';
import type { EcsDocument } from '../../model/document.js';
import type { SyslogHeader } from '../syslog.js';

/**
 * A log format: which lines are its own, which dataset it feeds, and how a line becomes a
 * document. One module per format in this folder, registered in index.ts; the syslog envelope,
 * time resolution and the ECS base come from the parser (../index.ts), the scanners from ../kv.ts,
 * ../numbers.ts and ../endpoint.ts, the ECS fields from src/normalize/. See ../README.md.
 */
export interface Format {
  /** What `dropship.format` says for its documents. */
  readonly name: string;
  readonly dataset: Dataset;
  /**
   * Syslog program names (the header's tag, `sshd[123]:` → `sshd`) whose lines are this format's
   * whatever their body: such a line is offered to this format first (and, if find() refuses it,
   * to the others in order).
   */
  readonly programs?: readonly string[];
  /**
   * read() itself treats control characters in the text after the syslog header (the message, from
   * header.messageStart) as blanks and reports them (records.ts ReadProblems.controlCharacters), so
   * the parser checks only the header's fields for them. Otherwise the parser blanks them in the
   * whole line before the format sees it.
   */
  readonly screensControls?: boolean;
  /** Where this format's data starts in `line` (at or after header.messageStart), or -1 if the line is not its own. */
  find(line: string, header: SyslogHeader): number;
  /**
   * Fills `doc` (the envelope: time, original line, syslog header, observer, dataset) from the
   * line, whose data starts at `at`. Bad input never throws: what cannot be read is left out and
   * said (see records.ts ReadProblems); an exception becomes an internal-error document.
   */
  read(doc: EcsDocument, line: string, at: number, header: SyslogHeader, context: ParseContext): EcsDocument;
}

/** What one parser (one stream of lines, in order) lets formats keep between lines. */
export interface ParseContext {
  /** Epoch ms of the line being read. */
  tsMs: number;
  /** Heads of netfilter lines split across syslog messages, by sender (see netfilter-fragment.ts). */
  readonly splitHeads: Map<string, unknown>;
}
