import type { GeneratePlan } from "@openv/sdk/store";
import type { ReactNode } from "react";

/** Props of {@link AllowanceNotice}. */
interface AllowanceNoticeProps {
  /** The form's id prefix. */
  id: string;
  /** Credits billing (else the seconds policy). */
  credits: boolean;
  plan: GeneratePlan;
}

/**
 * What the user has left, shown before they submit: the price and balance under credits billing,
 * the seconds left under the seconds policy, and a warning (the submit button's description) when
 * the request would not fit.
 */
export function AllowanceNotice({ id, credits, plan }: AllowanceNoticeProps): ReactNode {
  const tooFew = plan.blockers.find((candidate) => candidate.reason === "credits");
  const over = plan.blockers.find((candidate) => candidate.reason === "over-quota");
  return (
    <>
      {credits ? (
        <p className="openv-price" data-too-few-credits={tooFew ? "" : undefined}>
          {plan.allowance}
        </p>
      ) : (
        <p className="openv-quota" data-over-quota={over ? "" : undefined}>
          {plan.allowance}
        </p>
      )}
      {tooFew && (
        <p className="openv-credits-warning" id={`${id}-credits`}>
          {tooFew.message}
        </p>
      )}
      {over && (
        <p className="openv-quota-warning" id={`${id}-over-quota`}>
          {over.message}
        </p>
      )}
    </>
  );
}
