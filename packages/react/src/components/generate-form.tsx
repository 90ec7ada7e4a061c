import { durationSeconds, framesForSeconds, type GenerateRequest, mochiLimits } from "@openv/protocol";
import type { GenerateResult } from "@openv/sdk";
import { type FormEvent, type ReactNode, useId, useState } from "react";
import { errorMessage } from "../_internal/error-message.js";
import { formatSeconds } from "../_internal/format.js";
import { useGenerate } from "../hooks/use-generate.js";
import { useUsage } from "../hooks/use-usage.js";

/** Props of {@link GenerateForm}. */
export interface GenerateFormProps {
  /** Added to the form's class (`openv-form`). */
  className?: string;
  /** The length field's first value, in seconds. Default 1 (31 frames). */
  defaultSeconds?: number;
  /** The submit button's text. Default "Generate video". */
  submitLabel?: ReactNode;
  /** Called after the server accepted a request. */
  onGenerated?: (result: GenerateResult) => void;
}

const { frames: frameLimits, fps } = mochiLimits;
const minSeconds = Math.floor((frameLimits.min / fps) * 10) / 10;
const maxSeconds = Math.floor((frameLimits.max / fps) * 10) / 10;

/** A number field's value, or `fallback` when it is empty or not a number. */
function numberOr(value: string, fallback: number): number {
  const parsed = Number(value);
  return value.trim() === "" || !Number.isFinite(parsed) ? fallback : parsed;
}

/**
 * The form that requests a video: prompt, negative prompt, length in seconds (turned into the
 * nearest frame count Mochi accepts, shown next to it), and advanced settings (size, steps, CFG,
 * seed) in a `<details>`. It shows the seconds left this period and disables submitting while the
 * chosen length is more than that; refused requests show the SDK's typed error as a sentence
 * (for a quota error: the seconds left). Native constraint validation checks the ranges.
 *
 * @example
 * ```tsx
 * <GenerateForm defaultSeconds={2} onGenerated={({ video }) => console.log("queued", video.id)} />
 * ```
 */
export function GenerateForm({
  className,
  defaultSeconds = 1,
  submitLabel = "Generate video",
  onGenerated,
}: GenerateFormProps): ReactNode {
  const id = useId();
  const { generate, pending, error } = useGenerate();
  const { usage } = useUsage();
  const [prompt, setPrompt] = useState("");
  const [negativePrompt, setNegativePrompt] = useState("");
  const [seconds, setSeconds] = useState(String(defaultSeconds));
  const [width, setWidth] = useState(String(mochiLimits.width.default));
  const [height, setHeight] = useState(String(mochiLimits.height.default));
  const [steps, setSteps] = useState(String(mochiLimits.steps.default));
  const [cfg, setCfg] = useState(String(mochiLimits.cfg.default));
  const [seed, setSeed] = useState("");

  const frames = framesForSeconds(numberOr(seconds, defaultSeconds));
  const requestedSeconds = durationSeconds(frames);
  // A hair of tolerance: the server compares the same numbers in floating point.
  const overQuota = usage !== null && requestedSeconds > usage.remainingSeconds + 1e-9;
  const canSubmit = !pending && !overQuota && prompt.trim() !== "";

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!canSubmit) return;
    const input: GenerateRequest = {
      prompt: prompt.trim(),
      frames,
      width: numberOr(width, mochiLimits.width.default),
      height: numberOr(height, mochiLimits.height.default),
      steps: numberOr(steps, mochiLimits.steps.default),
      cfg: numberOr(cfg, mochiLimits.cfg.default),
      ...(negativePrompt.trim() !== "" && { negativePrompt: negativePrompt.trim() }),
      ...(seed.trim() !== "" && { seed: numberOr(seed, 0) }),
    };
    const result = await generate(input);
    if (result) {
      setPrompt("");
      onGenerated?.(result);
    }
  };

  const dimension = mochiLimits.dimension;
  return (
    <form
      className={className ? `openv-form ${className}` : "openv-form"}
      aria-label="Generate a video"
      aria-busy={pending}
      onSubmit={onSubmit}
    >
      <div className="openv-field">
        <label htmlFor={`${id}-prompt`}>Prompt</label>
        <textarea
          id={`${id}-prompt`}
          className="openv-prompt"
          name="prompt"
          required
          rows={3}
          maxLength={mochiLimits.promptMaxLength}
          placeholder="A red fox running through fresh snow, cinematic"
          value={prompt}
          onChange={(event) => setPrompt(event.target.value)}
        />
      </div>
      <div className="openv-field">
        <label htmlFor={`${id}-negative`}>Negative prompt</label>
        <textarea
          id={`${id}-negative`}
          className="openv-negative-prompt"
          name="negativePrompt"
          rows={2}
          maxLength={mochiLimits.promptMaxLength}
          placeholder="Optional: what to avoid, e.g. blurry, text"
          value={negativePrompt}
          onChange={(event) => setNegativePrompt(event.target.value)}
        />
      </div>
      <div className="openv-field">
        <label htmlFor={`${id}-seconds`}>Length (seconds)</label>
        <input
          id={`${id}-seconds`}
          className="openv-length"
          name="seconds"
          type="number"
          min={minSeconds}
          max={maxSeconds}
          step={0.1}
          required
          aria-describedby={`${id}-frames`}
          value={seconds}
          onChange={(event) => setSeconds(event.target.value)}
        />
        <output id={`${id}-frames`} className="openv-frames" htmlFor={`${id}-seconds`}>
          {frames} frames at {fps} fps = {formatSeconds(requestedSeconds)}
        </output>
      </div>
      <details className="openv-advanced">
        <summary>Advanced settings</summary>
        <div className="openv-advanced-fields">
          <div className="openv-field">
            <label htmlFor={`${id}-width`}>Width (px)</label>
            <input
              id={`${id}-width`}
              name="width"
              type="number"
              min={dimension.min}
              max={dimension.max}
              step={dimension.multipleOf}
              value={width}
              onChange={(event) => setWidth(event.target.value)}
            />
          </div>
          <div className="openv-field">
            <label htmlFor={`${id}-height`}>Height (px)</label>
            <input
              id={`${id}-height`}
              name="height"
              type="number"
              min={dimension.min}
              max={dimension.max}
              step={dimension.multipleOf}
              value={height}
              onChange={(event) => setHeight(event.target.value)}
            />
          </div>
          <div className="openv-field">
            <label htmlFor={`${id}-steps`}>Inference steps</label>
            <input
              id={`${id}-steps`}
              name="steps"
              type="number"
              min={mochiLimits.steps.min}
              max={mochiLimits.steps.max}
              step={1}
              value={steps}
              onChange={(event) => setSteps(event.target.value)}
            />
          </div>
          <div className="openv-field">
            <label htmlFor={`${id}-cfg`}>Guidance (CFG)</label>
            <input
              id={`${id}-cfg`}
              name="cfg"
              type="number"
              min={mochiLimits.cfg.min}
              max={mochiLimits.cfg.max}
              step={0.1}
              value={cfg}
              onChange={(event) => setCfg(event.target.value)}
            />
          </div>
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
              value={seed}
              onChange={(event) => setSeed(event.target.value)}
            />
          </div>
        </div>
      </details>
      <p className="openv-quota" data-over-quota={overQuota ? "" : undefined}>
        {usage
          ? `${formatSeconds(usage.remainingSeconds)} of ${formatSeconds(usage.limitSeconds)} left this period`
          : "Checking your remaining video time…"}
      </p>
      {overQuota && usage && (
        <p className="openv-quota-warning" id={`${id}-over`}>
          This length needs {formatSeconds(requestedSeconds)}, more than the {formatSeconds(usage.remainingSeconds)}{" "}
          left. Choose a shorter video.
        </p>
      )}
      {error && (
        <p className="openv-form-error" role="alert" data-code={error.code}>
          {errorMessage(error)}
        </p>
      )}
      <button
        type="submit"
        className="openv-submit"
        disabled={!canSubmit}
        aria-describedby={overQuota ? `${id}-over` : undefined}
      >
        {submitLabel}
      </button>
    </form>
  );
}
