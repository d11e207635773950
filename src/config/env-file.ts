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
  const lines = text.split(/\r?\n/);
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
      const comment = value.search(/\s#/);
      if (comment >= 0) value = value.slice(0, comment).trimEnd();
    }
    values[key] = value;
  }
  return { values, problems };
}
