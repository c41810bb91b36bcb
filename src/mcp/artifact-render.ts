/** Pure renderings of an {@link ArtifactView}: text for `quant runs show`, JSON for machines and MCP. */
import type { ArtifactView, TableCell } from '../sdk/artifact-view.js';
import { formatColumns } from '../util/text-table.js';

function formatCell(value: TableCell): string {
  if (value === null) return 'NaN';
  return typeof value === 'number' ? String(value) : value;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * The human rendering: JSON pretty-printed, a table as its shape and first rows, text as is, a folder
 * as one line per file (address, size), other files as their size.
 */
export function renderArtifactText(view: ArtifactView): string {
  switch (view.kind) {
    case 'json':
      return JSON.stringify(view.value, null, 2);
    case 'table': {
      const [rows, cols] = view.shape;
      const header = `${view.address}: parquet, ${rows} rows × ${cols} columns`;
      const table = formatColumns([
        [...view.columns],
        ...view.head.map((row) => view.columns.map((c) => formatCell(row[c] ?? null))),
      ]);
      const more = rows > view.head.length ? `\n… ${rows - view.head.length} more rows` : '';
      return `${header}\n${table}${more}`;
    }
    case 'text':
      return view.text;
    case 'listing':
      return view.files.length === 0
        ? `${view.address}: no files`
        : formatColumns(view.files.map((f) => [f.address, formatBytes(f.bytes)]));
    case 'binary':
      return `${view.address}: ${view.mimeType}, ${view.bytes.length} bytes (not shown)`;
  }
}

/** The machine rendering: a JSON-serialisable value (binary content as base64). */
export function artifactViewJson(view: ArtifactView): Record<string, unknown> {
  switch (view.kind) {
    case 'json':
      return { address: view.address, kind: 'json', value: view.value };
    case 'table':
      return {
        address: view.address,
        kind: 'table',
        format: view.format,
        shape: view.shape,
        columns: view.columns,
        head: view.head,
      };
    case 'text':
      return { address: view.address, kind: 'text', mime_type: view.mimeType, text: view.text };
    case 'listing':
      return {
        address: view.address,
        kind: 'listing',
        files: view.files.map((f) => ({
          path: f.path,
          address: f.address,
          bytes: f.bytes,
          mime_type: f.mimeType,
        })),
      };
    case 'binary':
      return {
        address: view.address,
        kind: 'binary',
        mime_type: view.mimeType,
        bytes: view.bytes.length,
        base64: Buffer.from(view.bytes).toString('base64'),
      };
  }
}

/** MCP `resources/read` contents of a view: JSON text, the table summary as JSON, text, or a blob. */
export function artifactResourceContents(
  uri: string,
  view: ArtifactView,
): { uri: string; mimeType: string; text: string } | { uri: string; mimeType: string; blob: string } {
  switch (view.kind) {
    case 'json':
      return { uri, mimeType: 'application/json', text: JSON.stringify(view.value, null, 2) };
    case 'text':
      return { uri, mimeType: view.mimeType, text: view.text };
    case 'binary':
      return { uri, mimeType: view.mimeType, blob: Buffer.from(view.bytes).toString('base64') };
    case 'table':
    case 'listing': {
      const { address: _address, ...rest } = artifactViewJson(view);
      return { uri, mimeType: 'application/json', text: JSON.stringify(rest, null, 2) };
    }
  }
}
