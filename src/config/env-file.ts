// Parses /etc/logsphere/logsphere.env: KEY=VALUE lines, `#` comments, optional `export `,
// values optionally in single or double quotes. The same syntax systemd's EnvironmentFile= reads
// for the simple cases, so one file serves the units and the tools.

export interface EnvFileProblem {
  line: number;
  message: string;
}

export interface ParsedEnvFile {
  values: Record<string, string>;
  problems: EnvFileProblem[];
}

const assignment = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;

export function parseEnvFile(text: string): ParsedEnvFile {
  const values: Record<string, string> = {};
  const problems: EnvFileProblem[] = [];
  // Lines end in \n or \r\n; split on \n, a \r before it goes with the trim (a regular expression
  // costs the hook its compilation at every login).
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = assignment.exec(line);
    if (!match) {
      problems.push({ line: i + 1, message: 'expected KEY=VALUE' });
      continue;
    }
    const [, key = '', assigned = ''] = match;
    let value = assigned.trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) {
      value = value.slice(1, -1);
    } else {
      const comment = value.includes('#') ? value.search(/\s#/) : -1;
      if (comment >= 0) value = value.slice(0, comment).trimEnd();
    }
    values[key] = value;
  }
  return { values, problems };
}
