/**
 * Seconds for people. Under a minute: at most two decimals, no trailing zeros ("1.03 s", "0.5 s"),
 * the scale of one video. From a minute on: whole minutes and seconds, rounded down ("9 min 58 s",
 * "10 min"), the scale of a monthly quota. Locale-independent on purpose, so server and browser
 * agree.
 */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return "? s";
  if (Math.abs(seconds) < 60) return `${Number((Math.round(seconds * 100) / 100).toFixed(2))} s`;
  const total = Math.floor(seconds);
  const minutes = Math.floor(total / 60);
  const rest = total - minutes * 60;
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
}

/** A 0..1 progress as a whole percentage, clamped. */
export function percent(progress: number): number {
  return Math.min(100, Math.max(0, Math.round(progress * 100)));
}

/** A number of credits for people: "1 credit", "12 credits". */
export function formatCredits(credits: number): string {
  return `${credits} ${credits === 1 ? "credit" : "credits"}`;
}
