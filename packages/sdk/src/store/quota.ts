import type { Usage } from "../index.js";

/** Whether the user's allowance covers a request, as the form shows it before submitting. */
export interface QuotaCheck {
  /** Under credits billing: the balance is below the model's price. */
  tooFewCredits: boolean;
  /** Under seconds billing: the request asks for more seconds than are left. */
  overQuota: boolean;
  /** Seconds left this period under seconds billing; null under credits billing or before usage loads. */
  remainingSeconds: number | null;
}

/**
 * The form's quota rule, the server's own: under credits billing the balance must cover the
 * model's price; under seconds billing the requested seconds must fit in what is left (with a hair
 * of tolerance, as the server compares the same numbers in floating point). Unknown usage or price
 * blocks nothing: the server decides.
 */
export function checkQuota(usage: Usage | null, price: number | null, requestedSeconds: number): QuotaCheck {
  const credits = usage?.credits ?? null;
  const tooFewCredits = credits !== null && price !== null && credits.balance < price;
  const remainingSeconds = credits === null ? (usage?.remainingSeconds ?? null) : null;
  const overQuota = remainingSeconds !== null && requestedSeconds > remainingSeconds + 1e-9;
  return { tooFewCredits, overQuota, remainingSeconds };
}
