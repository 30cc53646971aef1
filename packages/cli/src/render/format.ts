/** A learning rate as a person reads it: 3.2e-3, 0.05, 1.5. */
export function formatRate(rate: number | null | undefined): string {
  if (rate == null || !Number.isFinite(rate)) return '—';
  if (rate >= 0.01 && rate < 1000) return Number(rate.toPrecision(2)).toString();
  const [mantissa = '', exponent] = rate.toExponential(1).split('e');
  return `${mantissa.replace(/\.0$/, '')}e${Number(exponent)}`;
}

export function formatLoss(loss: number | null | undefined): string {
  if (loss == null) return '—';
  if (!Number.isFinite(loss)) return String(loss);
  return loss.toFixed(4);
}

/** A fixed-width text table; the first row is the header. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  const line = (r: readonly string[]) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd();
  return [line(rows[0] ?? []), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
