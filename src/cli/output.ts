/** Terminal output helpers: the only place besides main.ts that writes to the process streams. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** True when progress may be shown (stderr is a TTY and not CI). */
  readonly interactive: boolean;
}

export function processIo(): Io {
  return {
    out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    interactive: process.stderr.isTTY === true && !process.env['CI'],
  };
}

/** Align rows of cells into columns separated by two spaces. */
export function formatColumns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
}
