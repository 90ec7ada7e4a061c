import { describeError } from "@openv/sdk/store";
import { type ReactNode, useId } from "react";
import { useTerms } from "../hooks/use-terms.js";

/** Props of {@link TermsGate}. */
export interface TermsGateProps {
  /** Rendered once the current terms version is accepted. */
  children?: ReactNode;
  /** The terms themselves (text, a summary, a link to the full document). Default: a short notice. */
  terms?: ReactNode;
  /** The heading. Default "Terms of use". */
  title?: ReactNode;
  /** The accept button's text. Default "Accept and continue". */
  acceptLabel?: ReactNode;
  /** Rendered while the check is in flight (and on the server). Default: a short status line. */
  fallback?: ReactNode;
  /** Added to the terms panel's class (`openv-terms`). */
  className?: string;
}

/**
 * Renders its children only once the user has accepted the current terms version. Until then it
 * shows the terms, their version and an accept button (the server refuses to generate before
 * that). On the server and while checking it renders `fallback`.
 *
 * @example
 * ```tsx
 * <TermsGate terms={<p>Read the <a href="/terms">terms of use</a>. Be kind.</p>}>
 *   <GenerateForm />
 * </TermsGate>
 * ```
 */
export function TermsGate({
  children,
  terms: termsText,
  title = "Terms of use",
  acceptLabel = "Accept and continue",
  fallback,
  className,
}: TermsGateProps): ReactNode {
  const headingId = useId();
  const { terms, loading, error, acceptance, refresh } = useTerms();
  const shownError = acceptance.error ?? error;

  if (terms?.accepted) return children;
  if (!terms) {
    if (error && !loading) {
      return (
        <div className="openv-terms-error" role="alert">
          <p>The terms of use could not be checked: {describeError(error)}</p>
          <button type="button" className="openv-terms-retry" onClick={() => void refresh()}>
            Try again
          </button>
        </div>
      );
    }
    return (
      fallback ?? (
        <p className="openv-terms-loading" role="status">
          Checking the terms of use…
        </p>
      )
    );
  }
  return (
    <section
      className={className ? `openv-terms ${className}` : "openv-terms"}
      aria-labelledby={headingId}
      data-version={terms.version}
    >
      <h2 id={headingId} className="openv-terms-title">
        {title}
      </h2>
      <p className="openv-terms-version">Version {terms.version}</p>
      <div className="openv-terms-text">
        {termsText ?? (
          <p>
            Generated videos are made by an AI model from your prompt. Do not request content that is illegal, harmful
            or that you have no right to depict. Each video counts against your allowance (monthly seconds or credits);
            a video that fails is refunded.
          </p>
        )}
      </div>
      {shownError && (
        <p className="openv-terms-error" role="alert">
          {describeError(shownError)}
        </p>
      )}
      <button
        type="button"
        className="openv-terms-accept"
        disabled={acceptance.isPending}
        onClick={() => acceptance.mutate(terms.version)}
      >
        {acceptLabel}
      </button>
    </section>
  );
}
