import { type ModelLimits, mochiLimits } from "@openv/protocol";
import type { GenerateFields } from "@openv/sdk/store";
import type { ReactNode } from "react";

type AdvancedName = "width" | "height" | "steps" | "cfg";

/** Props of {@link AdvancedSettings}. */
interface AdvancedSettingsProps {
  /** The form's id prefix. */
  id: string;
  fields: GenerateFields;
  limits: ModelLimits;
  onChange: (patch: Partial<GenerateFields>) => void;
}

/** Size, steps, CFG and seed in a `<details>`, each within the chosen model's limits. */
export function AdvancedSettings({ id, fields, limits, onChange }: AdvancedSettingsProps): ReactNode {
  const numbers: { name: AdvancedName; label: string; step: number }[] = [
    { name: "width", label: "Width (px)", step: limits.width.multipleOf },
    { name: "height", label: "Height (px)", step: limits.height.multipleOf },
    { name: "steps", label: "Inference steps", step: 1 },
    { name: "cfg", label: "Guidance (CFG)", step: 0.1 },
  ];
  return (
    <details className="openv-advanced">
      <summary>Advanced settings</summary>
      <div className="openv-advanced-fields">
        {numbers.map(({ name, label, step }) => (
          <div className="openv-field" key={name}>
            <label htmlFor={`${id}-${name}`}>{label}</label>
            <input
              id={`${id}-${name}`}
              name={name}
              type="number"
              min={limits[name].min}
              max={limits[name].max}
              step={step}
              value={fields[name] ?? String(limits[name].default)}
              onChange={(event) => onChange({ [name]: event.target.value })}
            />
          </div>
        ))}
        <div className="openv-field">
          <label htmlFor={`${id}-seed`}>Seed</label>
          <input
            id={`${id}-seed`}
            name="seed"
            type="number"
            min={0}
            max={mochiLimits.seedMax}
            step={1}
            placeholder="Random"
            value={fields.seed}
            onChange={(event) => onChange({ seed: event.target.value })}
          />
        </div>
      </div>
    </details>
  );
}
