/** HTML text helpers shared by the HTML report and its charts. */

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text made safe for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** A fragment id made of safe characters (risk profile and section names). */
export function anchorId(...parts: readonly string[]): string {
  return parts.map((p) => p.replace(/[^A-Za-z0-9_-]/g, '-')).join('-');
}
