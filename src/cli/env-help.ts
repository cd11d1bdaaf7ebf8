/** Imports nothing: main.ts shows it in the top-level help without loading any command. */

/** The environment every command reads, for `--help`. */
export const DROPSHIP_ENV_HELP = `
dropship environment:
  DROPSHIP_LOG_LEVEL   trace, debug, info (default), warn, error, fatal or silent
  DROPSHIP_STATE_DIR   state directory (default: $XDG_STATE_HOME/dropship, else ~/.local/state/dropship)
  DROPSHIP_DEBUG       set (to anything) to print an error's stack trace after its one line
  NO_COLOR             set to print log lines on a terminal without colour
  TZ                   the host's time zone, the default of --timezone`;
