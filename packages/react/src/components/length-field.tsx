import type { GeneratePlan } from "@openv/sdk/store";
import type { ReactNode } from "react";

/** Props of {@link LengthField}. */
interface LengthFieldProps {
  /** The form's id prefix. */
  id: string;
  value: string;
  length: GeneratePlan["length"];
  onChange: (value: string) => void;
}

/**
 * The length in seconds, with the frames it becomes beside it. Its `min`, `max` and `step` are the
 * ones the form checks, so a length the browser refuses is also one the form explains (in place of
 * the frame count) instead of showing a clamped number.
 */
export function LengthField({ id, value, length, onChange }: LengthFieldProps): ReactNode {
  return (
    <div className="openv-field">
      <label htmlFor={`${id}-seconds`}>Length (seconds)</label>
      <input
        id={`${id}-seconds`}
        className="openv-length"
        name="seconds"
        type="number"
        min={length.range.min}
        max={length.range.max}
        step={0.1}
        required
        aria-describedby={`${id}-frames ${id}-length-range`}
        aria-invalid={length.problem ? true : undefined}
        value={value}
        onChange={(event) => onChange(event.target.value)}
      />
      <output
        id={`${id}-frames`}
        className="openv-frames"
        htmlFor={`${id}-seconds`}
        data-invalid={length.problem ? "" : undefined}
      >
        {length.text}
      </output>
      <p id={`${id}-length-range`} className="openv-hint">
        {length.rangeText}
      </p>
    </div>
  );
}
