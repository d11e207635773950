// Colour on a terminal, and only there: never with NO_COLOR set (https://no-color.org), never on
// a terminal that says it is dumb, never into a pipe or a file. JSON output is never painted.
// Painting is applied last, to text already escaped and laid out: escape sequences take no column.

export type Tone = 'heading' | 'ok' | 'warn' | 'fail' | 'dim';

/** Paints `text` in a tone; the identity when colour is off. */
export type Paint = (text: string, tone: Tone) => string;

const sgr: Record<Tone, string> = { heading: '1', ok: '32', warn: '33', fail: '1;31', dim: '2' };

/** Whether output gets colour: a terminal, NO_COLOR unset or empty, TERM not `dumb`. */
export function colourWanted(env: Readonly<Record<string, string | undefined>>, stdoutIsTerminal: boolean): boolean {
  return stdoutIsTerminal && (env['NO_COLOR'] ?? '') === '' && env['TERM'] !== 'dumb';
}

export const plain: Paint = (text) => text;

export const coloured: Paint = (text, tone) => (text === '' ? text : `\u001b[${sgr[tone]}m${text}\u001b[0m`);

export function painter(colour: boolean): Paint {
  return colour ? coloured : plain;
}
