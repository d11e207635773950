// Help texts fitted to a terminal's width: paragraphs re-flowed, and each option's description
// re-flowed in its own column, continuation lines indented to it. The texts are written once,
// wide; what a reader sees fits the width their terminal has (80 when it says nothing).

/** Words of `text` in lines of at most `width` characters, each line after the first indented by `indent`. */
function flow(words: readonly string[], first: string, indent: number, width: number): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of words) {
    const candidate = empty ? `${line}${word}` : `${line} ${word}`;
    if (!empty && [...candidate].length > width) {
      lines.push(line);
      line = `${' '.repeat(indent)}${word}`;
    } else {
      line = candidate;
    }
    empty = false;
  }
  lines.push(line);
  return lines;
}

const words = (text: string) => text.trim().split(/\s+/).filter((w) => w !== '');

/** Where the description of a term line (an option, a command) begins; -1 when the line is not one. */
function descriptionColumn(line: string): number {
  if (!/^\s+\S/.test(line)) return -1;
  const m = /^(\s+\S.*?)(\s{2,})\S/.exec(line);
  return m ? (m[1] as string).length + (m[2] as string).length : -1;
}

/** Re-flows a usage text to `width` columns. */
export function wrapUsage(text: string, width = 80): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; ) {
    const line = lines[i] as string;
    if (line.startsWith('Usage:')) {
      out.push(...flow(words(line.slice('Usage:'.length)), 'Usage: ', 'Usage: '.length, width));
      i++;
      continue;
    }
    if (line.trim() === '' || /^\S.*:$/.test(line)) {
      out.push(line);
      i++;
      continue;
    }
    const column = descriptionColumn(line);
    if (column > 0) {
      // A term and its description, with the lines that go on in its column.
      const parts = [line.slice(column)];
      for (i++; i < lines.length; i++) {
        const next = lines[i] as string;
        const lead = next.length - next.trimStart().length;
        if (next.trim() === '' || lead < column) break;
        parts.push(next);
      }
      if (column <= width - 20) out.push(...flow(words(parts.join(' ')), line.slice(0, column), column, width));
      else {
        // Too narrow for the column: the term on its line, the description under it.
        const under = Math.min(8, Math.floor(width / 4));
        out.push(line.slice(0, column).trimEnd(), ...flow(words(parts.join(' ')), ' '.repeat(under), under, width));
      }
      continue;
    }
    // A paragraph: lines of one indent, up to a blank line or a term line.
    const indent = line.length - line.trimStart().length;
    const parts = [line];
    for (i++; i < lines.length; i++) {
      const next = lines[i] as string;
      if (next.trim() === '' || descriptionColumn(next) > 0 || next.length - next.trimStart().length !== indent) break;
      parts.push(next);
    }
    out.push(...flow(words(parts.join(' ')), ' '.repeat(indent), indent, width));
  }
  return out.join('\n');
}

/**
 * A line of prose in lines of at most `width` characters: `first` (ending in a space, or empty)
 * then the words of `text`; lines after the first are indented by `indent`. A word longer than a
 * line (a path) stays whole on a line of its own.
 */
export function wrapHanging(first: string, text: string, indent: number, width: number): string[] {
  return flow(words(text), first, indent, width);
}
