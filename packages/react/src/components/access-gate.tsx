// Invite-only access (access21): a voucher form in front of what a restricted user may not use.
import { describeError } from "@openv/sdk/store";
import { type ReactNode, useId, useState } from "react";
import { useAccess } from "../hooks/use-access.js";

/** Props of {@link AccessGate}. */
export interface AccessGateProps {
  /** Rendered once the user may generate (role `user` or `admin`, or any user of an open server). */
  children?: ReactNode;
  /** The heading. Default "Invite only". */
  title?: ReactNode;
  /** What to tell a restricted user. Default: a sentence about voucher codes. */
  description?: ReactNode;
  /** The redeem button's text. Default "Redeem code". */
  redeemLabel?: ReactNode;
  /** Rendered while the check is in flight (and on the server). Default: a short status line. */
  fallback?: ReactNode;
  /** Added to the panel's class (`openv-access`). */
  className?: string;
}

/**
 * Renders its children only once the user may generate. On an invite-only server a `restricted`
 * user sees a voucher-code field instead; a redeemed code admits them at once. On the server and
 * while checking it renders `fallback`.
 *
 * @example
 * ```tsx
 * <AccessGate description={<p>OpenV is in private beta. Enter the code from your invitation.</p>}>
 *   <TermsGate>
 *     <GenerateForm />
 *   </TermsGate>
 * </AccessGate>
 * ```
 */
export function AccessGate({
  children,
  title = "Invite only",
  description,
  redeemLabel = "Redeem code",
  fallback,
  className,
}: AccessGateProps): ReactNode {
  const headingId = useId();
  const inputId = useId();
  const [code, setCode] = useState("");
  const { access, error, refresh, redemption } = useAccess();

  if (access && access.role !== "restricted") return children;
  if (!access) {
    if (error) {
      return (
        <div className="openv-terms-error" role="alert">
          <p>Your access could not be checked: {describeError(error)}</p>
          <button type="button" className="openv-terms-retry" onClick={() => void refresh()}>
            Try again
          </button>
        </div>
      );
    }
    return (
      fallback ?? (
        <p className="openv-terms-loading" role="status">
          Checking your access…
        </p>
      )
    );
  }
  return (
    <form
      className={className ? `openv-terms openv-access ${className}` : "openv-terms openv-access"}
      aria-labelledby={headingId}
      onSubmit={(event) => {
        event.preventDefault();
        if (code.trim()) redemption.mutate(code.trim());
      }}
    >
      <h2 id={headingId} className="openv-terms-title">
        {title}
      </h2>
      <div className="openv-terms-text">
        {description ?? <p>This service is invite-only. Enter the voucher code an admin gave you.</p>}
      </div>
      <label htmlFor={inputId}>Voucher code</label>
      <input
        id={inputId}
        className="openv-access-code"
        value={code}
        autoComplete="off"
        autoCapitalize="characters"
        spellCheck={false}
        placeholder="XXXX-XXXX-XXXX-XXXX"
        onChange={(event) => setCode(event.target.value)}
      />
      {redemption.error && (
        <p className="openv-terms-error" role="alert">
          {describeError(redemption.error)}
        </p>
      )}
      <button
        type="submit"
        className="openv-terms-accept openv-access-redeem"
        disabled={redemption.isPending || !code.trim()}
      >
        {redeemLabel}
      </button>
    </form>
  );
}
