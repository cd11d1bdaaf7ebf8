/**
 * Control characters in log lines (a NUL after a value, a stray ESC): never part of a value. They
 * are read as blanks, the document keeps the line as it came in event.original, and it is tagged
 * (normalize/ecs.ts TAG_CONTROL_CHARACTERS).
 */

export const DEL = 127;

/** C0 control characters other than tab, and DEL. */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
const CONTROLS = new RegExp(CONTROL.source, 'g');

/**
 * A quick first test: V8 scans for one range of characters (tab included) several times faster
 * than for CONTROL's; CONTROL decides when it matches, and DEL is looked for on its own.
 */
const MAYBE_CONTROL = /[\u0000-\u001f]/;

/** Whether text[0, end) holds a control character. */
export function hasControl(text: string, end = text.length): boolean {
  // Short spans (the header and log prefix before a format's own data) are read in place; a
  // slice plus two regular expressions cost more there.
  if (end <= 128) {
    for (let i = 0; i < end; i++) {
      const c = text.charCodeAt(i);
      if ((c < 32 && c !== 9) || c === DEL) return true;
    }
    return false;
  }
  const span = end === text.length ? text : text.slice(0, end);
  return (MAYBE_CONTROL.test(span) && CONTROL.test(span)) || span.indexOf('\u007f') >= 0;
}

/** The text with each control character replaced by a blank. */
export function blankControls(text: string): string {
  return text.replace(CONTROLS, ' ');
}
