// The form's quota rule as a plain function: what blocks the submit before the server is asked.

import { describe, expect, it } from "vitest";
import { checkQuota } from "../src/store/quota.js";
import { creditBalance, secondsLeft } from "./support/fixtures.js";

describe("checkQuota", () => {
  it("seconds billing: a request that fits passes, one over what is left is blocked", () => {
    expect(checkQuota(secondsLeft(2), null, 31 / 30)).toEqual({
      tooFewCredits: false,
      overQuota: false,
      remainingSeconds: 2,
    });
    expect(checkQuota(secondsLeft(1), null, 31 / 30)).toMatchObject({ overQuota: true, remainingSeconds: 1 });
  });

  it("seconds billing: exactly what is left passes despite floating point", () => {
    expect(checkQuota(secondsLeft(0.1 + 0.2), null, 0.3).overQuota).toBe(false);
  });

  it("credits billing: the balance must cover the model's price; seconds do not count", () => {
    expect(checkQuota(creditBalance(4), 5, 100)).toEqual({
      tooFewCredits: true,
      overQuota: false,
      remainingSeconds: null,
    });
    expect(checkQuota(creditBalance(5), 5, 100)).toEqual({
      tooFewCredits: false,
      overQuota: false,
      remainingSeconds: null,
    });
  });

  it("unknown usage or price blocks nothing: the server decides", () => {
    expect(checkQuota(null, 5, 100)).toEqual({ tooFewCredits: false, overQuota: false, remainingSeconds: null });
    expect(checkQuota(creditBalance(0), null, 1).tooFewCredits).toBe(false);
  });
});
