import type { TextCount } from "@openv/sdk/store";
import type { ReactNode } from "react";

/** Props of {@link PromptField}. */
interface PromptFieldProps {
  /** The field's id. */
  id: string;
  label: string;
  className: string;
  name: string;
  rows: number;
  placeholder: string;
  required?: boolean;
  value: string;
  count: TextCount;
  onChange: (value: string) => void;
}

/**
 * A prompt `<textarea>` with its character counter: "12 / 2,000", which turns into a warning
 * near the limit and says by how much it is over past it. No `maxLength`: a paste past the limit
 * is kept and explained, never silently cut.
 */
export function PromptField(props: PromptFieldProps): ReactNode {
  const { id, value, count } = props;
  const over = count.state === "over";
  return (
    <div className="openv-field">
      <label htmlFor={id}>{props.label}</label>
      <textarea
        id={id}
        className={props.className}
        name={props.name}
        required={props.required}
        rows={props.rows}
        placeholder={props.placeholder}
        value={value}
        aria-describedby={`${id}-count`}
        aria-invalid={over || undefined}
        onChange={(event) => props.onChange(event.target.value)}
      />
      <p
        id={`${id}-count`}
        className="openv-char-count"
        data-state={count.state ?? undefined}
        // Announced only when it matters, not on every keystroke.
        aria-live={count.state ? "polite" : "off"}
      >
        {count.counter}
      </p>
    </div>
  );
}
